package io.toka.tools.nativ.internal;

import io.toka.tool.ToolException;
import java.util.List;

/**
 * What run-command lets one allowed program do with its arguments: never run another program, and never write
 * or delete files (its standard output is the result). A policy is specific to the program, since the same
 * letter means "numeric" to sort and "run this" to another program; {@link CommandPolicies} holds them.
 * Implementations are immutable and thread-safe.
 */
@FunctionalInterface
interface CommandPolicy {

    /** Reason given for an argument that makes the program start another one. */
    String RUNS_PROGRAM = "it runs another program";

    /** Reason given for an argument that makes the program write a file. */
    String WRITES_FILE = "it writes a file; leave it out and take the program's standard output from the result";

    /**
     * @param args the arguments, without the program itself
     * @throws ToolException naming the refused argument, why it is refused and, where it helps, what is allowed
     */
    void check(List<String> args) throws ToolException;
}
