package io.toka.orchestration.internal.session;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.SessionService;
import io.toka.orchestration.SessionStatus;
import io.toka.orchestration.internal.config.AgentCatalog;
import io.toka.orchestration.internal.config.DependencyResolver;
import io.toka.security.SecurityContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs sessions: sets of agents in phases. {@code CRITICAL}: the critical agents one at a time, in dependency order,
 * each awaited; if one does not complete, the session stops and the rest are recorded as not run. {@code HIGH}: the
 * high agents one at a time, in dependency order. {@code PARALLEL}: the medium and low agents in dependency waves, at
 * most {@code maxConcurrentAgents} at once within a wave. An agent whose required dependency (inside the session)
 * did not complete is not run and counts as failed. The session is {@code COMPLETED} when every agent completed,
 * otherwise {@code FAILED} with the reasons. Progress is finished agents / all agents.
 */
@Component(service = SessionService.class, configurationPid = SessionServiceImpl.PID)
@Designate(ocd = SessionServiceImpl.Config.class)
public final class SessionServiceImpl implements SessionService {

    /** Configuration PID. */
    public static final String PID = "io.toka.agents.sessions";

    /** Session configuration. */
    @ObjectClassDefinition(name = "Toka agent sessions", description = "How sessions run sets of agents.")
    public @interface Config {
        @AttributeDefinition(name = "Concurrent agents per session",
                description = "Medium and low agents of one dependency wave that run at once.", min = "1")
        int maxConcurrentAgents() default 10;

        @AttributeDefinition(name = "Sessions kept",
                description = "Finished sessions kept for queries; the oldest are forgotten first.", min = "1")
        int keepSessions() default 100;
    }

    private static final Logger LOG = LoggerFactory.getLogger(SessionServiceImpl.class);

    private final AgentService agents;
    private final AgentCatalog catalog;
    private final int maxConcurrent;
    private final int keep;
    private final ExecutorService threads;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    @Activate
    public SessionServiceImpl(@Reference AgentService agents, @Reference AgentCatalog catalog, Config config) {
        if (config.maxConcurrentAgents() < 1 || config.keepSessions() < 1) {
            throw new IllegalArgumentException("maxConcurrentAgents and keepSessions must be at least 1, not "
                    + config.maxConcurrentAgents() + " and " + config.keepSessions());
        }
        this.agents = agents;
        this.catalog = catalog;
        this.maxConcurrent = config.maxConcurrentAgents();
        this.keep = config.keepSessions();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory f = r -> {
            Thread t = new Thread(r, "toka-session-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.threads = Executors.newCachedThreadPool(f);
    }

    @Deactivate
    public void deactivate() {
        threads.shutdownNow();
    }

    @Override
    public SessionStatus start(List<String> names, SecurityContext caller) {
        Objects.requireNonNull(caller, "caller");
        if (names == null || names.isEmpty()) {
            throw new IllegalArgumentException("a session needs at least one agent");
        }
        List<AgentConfig> known = catalog.all();
        Set<String> set = new LinkedHashSet<>(names);
        for (String n : set) {
            if (known.stream().noneMatch(c -> c.name().equals(n))) {
                throw new IllegalArgumentException("unknown agent '" + n + "'");
            }
        }
        // the whole set first: a cycle or an unknown dependency anywhere refuses the session before anything runs
        List<String> ordered = DependencyResolver.order(known, set);
        List<String> critical = ofPriority(known, ordered, Set.of(Priority.CRITICAL));
        List<String> high = ofPriority(known, ordered, Set.of(Priority.HIGH));
        List<String> rest = ofPriority(known, ordered, Set.of(Priority.MEDIUM, Priority.LOW));
        List<List<String>> waves = rest.isEmpty() ? List.of() : DependencyResolver.waves(known, rest);
        Session s = new Session(UUID.randomUUID().toString(), agents, known, critical, high, waves, caller,
                maxConcurrent, threads);
        forgetOld();
        sessions.put(s.id, s);
        LOG.info("Session {} started for {}: critical {}, high {}, parallel waves {}", s.id, caller.subject(),
                critical, high, waves);
        threads.execute(s);
        return s.status();
    }

    private static List<String> ofPriority(List<AgentConfig> known, List<String> ordered, Set<Priority> p) {
        List<String> out = new ArrayList<>();
        for (String n : ordered) {
            known.stream().filter(c -> c.name().equals(n)).findFirst()
                    .filter(c -> p.contains(c.spec().priority() == null ? Priority.MEDIUM : c.spec().priority()))
                    .ifPresent(c -> out.add(n));
        }
        return out;
    }

    private void forgetOld() {
        List<Session> finished = sessions.values().stream().filter(Session::isFinished)
                .sorted(Comparator.comparing(Session::startedAt)).toList();
        for (int i = 0; i < finished.size() - keep + 1; i++) {
            sessions.remove(finished.get(i).id);
        }
    }

    @Override
    public Optional<SessionStatus> session(String id) {
        return Optional.ofNullable(sessions.get(id)).map(Session::status);
    }

    @Override
    public List<SessionStatus> sessions() {
        return sessions.values().stream().sorted(Comparator.comparing(Session::startedAt)).map(Session::status)
                .toList();
    }

    @Override
    public SessionStatus await(String id, Duration timeout) throws InterruptedException {
        Session s = sessions.get(id);
        if (s == null) {
            throw new IllegalArgumentException("unknown session '" + id + "'");
        }
        s.done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return s.status();
    }
}
