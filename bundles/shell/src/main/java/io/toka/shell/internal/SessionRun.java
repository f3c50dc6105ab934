package io.toka.shell.internal;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.SecurityContext;
import java.util.Map;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.SessionService;
import io.toka.orchestration.SessionStatus;
import io.toka.security.ShellSecurity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code toka:session-run <dir | names...>}: runs a set of agents as one session — critical ones one at a time,
 * then high ones in dependency order, then the rest in parallel waves. A directory's {@code *.yaml} files are
 * defined first (as API agents).
 */
@Command(scope = "toka", name = "session-run", description = "Runs a set of agents (names, or a directory of agent YAML files) as a session")
@Service
public class SessionRun implements Action {

    @Reference
    SessionService sessions;

    @Reference
    AgentService agents;

    @Reference
    ShellSecurity security;

    @Reference
    ToolRegistry tools;

    @Argument(index = 0, name = "agents", required = true, multiValued = true,
            description = "Agent names, or one workspace directory of *.yaml agent files (a path: ./agents, dir/)")
    List<String> targets;

    @Option(name = "--wait", aliases = "-w", description = "Wait this long for the session to finish, e.g. 10m")
    String wait;

    @Override
    public Object execute() throws Exception {
        SecurityContext caller = security.currentUser();
        caller.authorize("session.run", List.of("session:run", "agent:run"));
        List<String> names = new ArrayList<>();
        boolean directory = targets.size() == 1 && (targets.get(0).contains("/") || targets.get(0).equals("."));
        if (directory) {
            caller.authorize("agent.define", List.of("agent:define"));
            // Toka's JVM reads no host directory for a shell user: the agent files must be in the workspace, and each
            // is read through the file-reader tool with the user's own rights
            Path dir = ConfinedPaths.resolve(targets.get(0), List.of(ConfinedPaths.workspace()));
            Path root = ConfinedPaths.workspace().toRealPath();
            List<Path> files;
            try (Stream<Path> listing = Files.list(dir)) {
                files = listing.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                        .sorted().toList();
            }
            for (Path f : files) {
                String relative = root.relativize(f).toString();
                ToolCallResult read = tools.invoke("file-reader", Map.of("path", relative), caller);
                if (!read.isSuccess()) {
                    throw new IllegalArgumentException("cannot read '" + relative + "': " + read.result().output());
                }
                try {
                    AgentConfig c = agents.define(read.result().output(), "workspace:" + relative, caller);
                    names.add(c.name());
                } catch (AgentConfigException e) {
                    throw new IllegalArgumentException(e.getMessage());
                }
            }
            if (names.isEmpty()) {
                throw new IllegalArgumentException("no *.yaml agent files in " + targets.get(0));
            }
        } else {
            names.addAll(targets);
        }
        SessionStatus s = sessions.start(names, caller);
        System.out.println("Session " + s.id() + ": " + String.join(", ", s.agents()));
        Duration w = AgentCommands.parseWait(wait);
        if (w != null) {
            SessionStatus done = sessions.await(s.id(), w);
            System.out.printf("Session %s %s (%.0f%%)%s%n", done.id(), done.phase(), done.progress() * 100,
                    done.error() == null ? "" : ": " + done.error());
            for (AgentStatus a : done.summary()) {
                System.out.println("  " + AgentCommands.line(a));
            }
        }
        return null;
    }
}
