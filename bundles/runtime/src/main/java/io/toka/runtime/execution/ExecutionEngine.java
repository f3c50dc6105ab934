package io.toka.runtime.execution;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A language: a whiteboard service carrying the property {@link #LANGUAGE}. The runtime manager finds engines
 * live, checks {@code code:execute:<language>}, caps concurrency, caches prepared code and records history; the
 * engine only prepares and runs code.
 *
 * <p>Implementations must be thread-safe.
 */
@ConsumerType
public interface ExecutionEngine {

    /** Service property: the language name, lower case, e.g. {@code python}. */
    String LANGUAGE = "toka.engine.language";

    /** The language name; equals the {@link #LANGUAGE} property. */
    String language();

    /** The engine version, e.g. {@code Rhino 1.9.2} or {@code Python 3.11.2}. */
    String version();

    /**
     * Prepares code for running: parses or compiles it. The manager caches the result, keyed by the SHA-256 of
     * language and code, and may hand the same prepared object to many concurrent runs.
     *
     * @param code the source (for WebAssembly, the module bytes as base64, or empty when the inputs name a file)
     * @return the prepared form; for engines with nothing to prepare, the code itself
     * @throws CodeException if the code is invalid; its message and line go to the caller
     */
    Object prepare(String code) throws CodeException;

    /**
     * Runs prepared code once.
     *
     * @param prepared what {@link #prepare} returned
     * @param call the inputs and limits
     * @return the outcome
     * @throws CodeException if the code fails in a way that has a message and maybe a line (a runtime error)
     * @throws InterruptedException if interrupted; the engine must stop the code
     */
    EngineResult run(Object prepared, Call call) throws CodeException, InterruptedException;

    /**
     * One run's inputs and limits, already capped by the manager's configuration.
     *
     * @param inputs the request's inputs
     * @param timeout wall-clock limit
     * @param deadline when the timeout expires
     * @param memoryBytes memory limit
     * @param maxOutputBytes output cap
     * @param workspace the workspace root, for engines that read files from it (e.g. WebAssembly modules)
     * @param caller who asked, already authorized by the manager; {@code null} when an engine is called outside
     *     the manager (tests). The agent-workflow engine delegates the agent's token from it.
     */
    record Call(Map<String, Object> inputs, Duration timeout, Instant deadline, long memoryBytes,
            long maxOutputBytes, java.nio.file.Path workspace, io.toka.security.SecurityContext caller) {

        /** A call without a caller. */
        public Call(Map<String, Object> inputs, Duration timeout, Instant deadline, long memoryBytes,
                long maxOutputBytes, java.nio.file.Path workspace) {
            this(inputs, timeout, deadline, memoryBytes, maxOutputBytes, workspace, null);
        }
    }

    /**
     * What a run produced.
     *
     * @param success whether it succeeded
     * @param output the output
     * @param error the error message, or {@code null}
     * @param exitCode the exit code, or {@code null}
     * @param usage the resource usage
     */
    record EngineResult(boolean success, String output, String error, Integer exitCode,
            ExecutionResult.ResourceUsage usage) {
    }

    /** Invalid code, or code that failed with a message; {@link #line()} is 1-based, or 0 when unknown. */
    class CodeException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int line;

        public CodeException(String message, int line) {
            super(message);
            this.line = line;
        }

        public CodeException(String message, int line, Throwable cause) {
            super(message, cause);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }
}
