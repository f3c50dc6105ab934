package io.toka.mcp.internal;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.security.SecurityContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Agents without a model: "quick" finishes its two tasks in three steps of progress; "slow" runs until terminated.
 * {@link #run} checks {@code agent:run} through {@link SecurityContext#authorize}, as the real service does.
 */
final class FakeAgentService implements AgentService {

    private final Map<String, AgentConfig> configs = new ConcurrentHashMap<>();
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    final List<String> terminated = new CopyOnWriteArrayList<>();
    final List<String> runBy = new CopyOnWriteArrayList<>();

    private final class Run {
        final String runId = UUID.randomUUID().toString();
        final CountDownLatch done = new CountDownLatch(1);
        volatile AgentStatus status;

        Run(String name) {
            status = new AgentStatus(name, runId, AgentStatus.State.RUNNING, 1, 2, 0.0, "starting", Instant.now(),
                    null, List.of(), null);
        }

        void set(AgentStatus.State state, double progress, String message, String verdict) {
            AgentStatus s = status;
            boolean end = state != AgentStatus.State.RUNNING;
            status = new AgentStatus(s.agent(), runId, state, 2, 2, progress, message, s.startedAt(),
                    end ? Instant.now() : null, end && state == AgentStatus.State.COMPLETED
                            ? List.of(new AgentStatus.TaskOutcome("say hello", true, "said hello", 1, 0, 1, 5))
                            : List.of(), verdict);
            if (end) {
                done.countDown();
            }
        }
    }

    FakeAgentService() {
        define("quick", "Finishes at once.");
        define("slow", "Runs until stopped.");
    }

    private void define(String name, String description) {
        configs.put(name, new AgentConfig(new AgentConfig.Metadata(name, "1.0.0", null, null, null),
                new AgentConfig.Spec(name, "test", AgentConfig.Priority.MEDIUM, description), null, List.of(),
                List.of(new AgentConfig.Task("say hello", AgentConfig.Priority.MEDIUM)), null, null, null, 10, "test"));
    }

    @Override
    public List<AgentConfig> agents() {
        return configs.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
    }

    @Override
    public Optional<AgentConfig> agent(String name) {
        return Optional.ofNullable(configs.get(name));
    }

    @Override
    public AgentConfig define(String yaml, String source, SecurityContext caller) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean remove(String name, SecurityContext caller) {
        throw new UnsupportedOperationException();
    }

    @Override
    public AgentStatus run(String name, SecurityContext caller) {
        caller.authorize("agent.run", List.of("agent:run"));
        if (!configs.containsKey(name)) {
            throw new IllegalArgumentException("unknown agent " + name);
        }
        Run existing = runs.get(name);
        if (existing != null && existing.done.getCount() > 0) {
            throw new IllegalStateException("agent " + name + " is already running");
        }
        Run r = new Run(name);
        runs.put(name, r);
        runBy.add(caller.subject());
        if (name.equals("quick")) {
            Thread t = new Thread(() -> {
                r.set(AgentStatus.State.RUNNING, 0.5, "halfway", null);
                sleep();
                r.set(AgentStatus.State.COMPLETED, 1.0, "done", "all tasks succeeded");
            });
            t.setDaemon(true);
            t.start();
        }
        return r.status;
    }

    private static void sleep() {
        try {
            Thread.sleep(300); // lets the tool's poll see the half-way state
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public AgentStatus pause(String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public AgentStatus resume(String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public AgentStatus terminate(String name) {
        terminated.add(name);
        Run r = runs.get(name);
        if (r != null && r.done.getCount() > 0) {
            r.set(AgentStatus.State.TERMINATED, r.status.progress(), "terminated", null);
        }
        return r == null ? null : r.status;
    }

    @Override
    public Optional<AgentStatus> status(String name) {
        Run r = runs.get(name);
        return r == null ? Optional.empty() : Optional.of(r.status);
    }

    @Override
    public List<AgentStatus> statuses() {
        return runs.values().stream().map(r -> r.status).toList();
    }

    @Override
    public AgentStatus await(String name, Duration timeout) throws InterruptedException {
        Run r = runs.get(name);
        r.done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return r.status;
    }
}
