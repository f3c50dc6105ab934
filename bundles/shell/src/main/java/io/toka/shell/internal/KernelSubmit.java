package io.toka.shell.internal;

import io.toka.event.Event;
import io.toka.kernel.Kernel;
import io.toka.kernel.KernelException;
import io.toka.kernel.Message;
import io.toka.kernel.Operation;
import io.toka.security.AuthenticationException;
import io.toka.security.ShellSecurity;
import io.toka.security.TokenService;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code toka:kernel-submit --token T schedule <agent> <task...> | spawn <parent> <name> | observe <agent> <text>}:
 * sends a message to the kernel with the given capability and prints the recorded event.
 */
@Command(scope = "toka", name = "kernel-submit",
        description = "Submits an operation to the kernel: schedule <agent> <task...> | spawn <parent> <name> | observe <agent> <text...>")
@Service
public class KernelSubmit implements Action {

    @Reference
    Kernel kernel;

    @Reference
    TokenService tokens;

    @Reference
    ShellSecurity security;

    @Option(name = "--token", aliases = "-t", required = true, description = "The capability token itself (from your shell: --token \"$(cat file)\")")
    String token;

    @Option(name = "--origin", aliases = "-o", description = "The sender (default: the token's subject)")
    String origin;

    @Argument(index = 0, name = "operation", description = "schedule, spawn or observe", required = true)
    String operation;

    @Argument(index = 1, name = "agent", description = "The agent (the parent for spawn)", required = true)
    String agent;

    @Argument(index = 2, name = "text", description = "The task, the new agent's name, or the observation",
            required = true, multiValued = true)
    List<String> text;

    @Override
    public Object execute() throws Exception {
        // a logged-in shell user, and the token itself: Toka reads no token file on the user's behalf
        security.currentUser();
        String raw = ConfinedPaths.token(token);
        String joined = String.join(" ", text);
        Operation op = switch (operation) {
            case "schedule" -> new Operation.ScheduleAgentTask(agent, joined);
            case "spawn" -> new Operation.SpawnSubAgent(agent, joined);
            case "observe" -> new Operation.EmitObservation(agent, joined.getBytes(StandardCharsets.UTF_8));
            default -> throw new IllegalArgumentException("operation must be schedule, spawn or observe, not '"
                    + operation + "'");
        };
        String from = origin;
        if (from == null) {
            try {
                from = tokens.authenticate(raw).subject();
            } catch (AuthenticationException e) {
                throw new IllegalArgumentException("capability denied");
            }
        }
        try {
            Event e = kernel.submit(new Message(from, raw, op));
            System.out.println("Recorded event " + e.seq() + " " + e.kind() + " (" + e.id() + "): " + e.payload());
        } catch (KernelException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        return null;
    }
}
