package io.toka.shell.internal;

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

    @Argument(index = 0, name = "agents", required = true, multiValued = true,
            description = "Agent names, or one directory of *.yaml agent files")
    List<String> targets;

    @Option(name = "--wait", aliases = "-w", description = "Wait this long for the session to finish, e.g. 10m")
    String wait;

    @Override
    public Object execute() throws IOException, InterruptedException {
        security.currentUser().authorize("session.run", List.of("session:run", "agent:run"));
        List<String> names = new ArrayList<>();
        Path dir = targets.size() == 1 ? Path.of(targets.get(0)) : null;
        if (dir != null && Files.isDirectory(dir)) {
            security.currentUser().authorize("agent.define", List.of("agent:define"));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                        .sorted().toList()) {
                    try {
                        AgentConfig c = agents.define(Files.readString(f), f.toAbsolutePath().toString());
                        names.add(c.name());
                    } catch (AgentConfigException e) {
                        throw new IllegalArgumentException(e.getMessage());
                    }
                }
            }
            if (names.isEmpty()) {
                throw new IllegalArgumentException("no *.yaml agent files in " + dir);
            }
        } else {
            names.addAll(targets);
        }
        SessionStatus s = sessions.start(names, security.currentUser());
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
