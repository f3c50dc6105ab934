package io.toka.orchestration.internal.session;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.SessionService;
import io.toka.orchestration.SessionStatus;
import io.toka.event.EventStore;
import io.toka.kernel.Kernel;
import io.toka.orchestration.internal.agent.SessionRuns;
import io.toka.orchestration.internal.agent.TokenVault;
import io.toka.orchestration.internal.config.AgentCatalog;
import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import java.time.Instant;
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
 *
 * <p>Sessions are durable when agent runs are (the agent runtime's switch): a session records how it started, its
 * phases and each agent's final status ({@link SessionJournal}), and runs its agents with a token delegated from the
 * caller's for the session (kept owner-only, like the runs' tokens), so that after a restart it is rebuilt from the
 * log and goes on: the agents that finished are not run again, the runs that were resumed are awaited, the rest are
 * started. A session whose token was revoked or expired meanwhile ends failed with that reason. A session started
 * from the shell without a token is not durable.
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
    private final TokenService tokens;
    private final Kernel kernel;
    private final EventStore store;
    private final SessionRuns runs;
    private final TokenVault vault;
    private volatile boolean stopping;

    /** The component: durable when the agent runtime's runs are. */
    @Activate
    public SessionServiceImpl(@Reference AgentService agents, @Reference AgentCatalog catalog,
            @Reference TokenService tokens, @Reference Kernel kernel, @Reference EventStore store,
            @Reference SessionRuns runs, Config config) {
        this(agents, catalog, tokens, kernel, store, runs, config, true);
    }

    /** Without a kernel or a store (tests): sessions are not durable. */
    public SessionServiceImpl(AgentService agents, AgentCatalog catalog, Config config) {
        this(agents, catalog, null, null, null, null, config, false);
    }

    /** For tests: durable sessions; {@code recoverNow} rebuilds the unfinished ones in the background. */
    public SessionServiceImpl(AgentService agents, AgentCatalog catalog, TokenService tokens, Kernel kernel,
            EventStore store, SessionRuns runs, Config config, boolean recoverNow) {
        if (config.maxConcurrentAgents() < 1 || config.keepSessions() < 1) {
            throw new IllegalArgumentException("maxConcurrentAgents and keepSessions must be at least 1, not "
                    + config.maxConcurrentAgents() + " and " + config.keepSessions());
        }
        this.agents = agents;
        this.catalog = catalog;
        this.tokens = tokens;
        this.kernel = kernel;
        this.store = store;
        this.runs = runs;
        this.vault = runs == null ? null : new TokenVault(runs.stateDirectory().resolve("sessions"));
        this.maxConcurrent = config.maxConcurrentAgents();
        this.keep = config.keepSessions();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory f = r -> {
            Thread t = new Thread(r, "toka-session-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.threads = Executors.newCachedThreadPool(f);
        if (recoverNow && durable()) {
            threads.execute(this::recover);
        }
    }

    @Deactivate
    public void deactivate() {
        stopping = true;
        threads.shutdownNow();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean durable() {
        return runs != null && runs.durableRuns() && kernel != null && store != null && tokens != null;
    }

    private SessionJournal journal() {
        return new SessionJournal(() -> kernel, java.time.Duration.ofSeconds(30));
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
        String id = UUID.randomUUID().toString();
        Session s = durable() ? durableSession(id, known, critical, high, waves, caller) : null;
        if (s == null) {
            s = new Session(id, agents, known, Session.requiresOf(known), critical, high, waves, caller, maxConcurrent,
                    threads, SessionJournal.OFF, runs, Map.of(), Instant.now(), null, () -> {
                    });
        }
        forgetOld();
        sessions.put(s.id, s);
        LOG.info("Session {} started for {}: critical {}, high {}, parallel waves {}", s.id, caller.subject(),
                critical, high, waves);
        threads.execute(s);
        return s.status();
    }

    /**
     * A durable session: runs as a token delegated from the caller's for the session (kept), and records its start.
     *
     * @return null if it cannot be durable (no token to delegate from, a chain too deep): it runs as before
     */
    private Session durableSession(String id, List<AgentConfig> known, List<String> critical, List<String> high,
            List<List<String>> waves, SecurityContext caller) {
        if (caller.token().isEmpty()) {
            LOG.info("Session {} is not durable: {} has no token to delegate the session's from", id,
                    caller.subject());
            return null;
        }
        SecurityContext runAs;
        String raw;
        try {
            IssuedToken t = tokens.delegate(caller, new DelegationRequest(null, caller.token().get().permissions(),
                    null, List.of(), Set.of()));
            raw = t.token();
            runAs = tokens.authenticate(raw);
        } catch (TokenRequestException | AuthenticationException | io.toka.security.AccessDeniedException e) {
            LOG.info("Session {} is not durable: cannot delegate its token from {}: {}", id, caller.subject(),
                    e.getMessage());
            return null;
        }
        vault.put(id, raw);
        Session s = new Session(id, agents, known, Session.requiresOf(known), critical, high, waves, runAs,
                maxConcurrent, threads, journal(), runs, Map.of(), Instant.now(), null, () -> vault.remove(id));
        try {
            if (!journal().commit(s.started())) {
                vault.remove(id);
                throw new IllegalStateException("the session's start could not be recorded: the event store did not"
                        + " store it in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vault.remove(id);
            throw new IllegalStateException("interrupted while recording the session's start");
        }
        return s;
    }

    /** Rebuilds the sessions that had not ended, once the agent runs are rebuilt, and resumes them. */
    void recover() {
        try {
            if (!runs.awaitRecovered(java.time.Duration.ofMinutes(10))) {
                LOG.warn("Agent runs were not rebuilt within 10 minutes; resuming sessions anyway");
            }
        } catch (InterruptedException e) {
            return;
        }
        for (SessionJournal.Unfinished u : SessionJournal.unfinished(store)) {
            if (stopping) {
                return;
            }
            SessionJournal.Started st = u.started();
            String why = null;
            SecurityContext runAs = null;
            java.util.Optional<String> raw = vault.get(st.session());
            if (raw.isEmpty()) {
                why = "cannot resume after the restart: the session's token was not kept";
            } else {
                try {
                    runAs = tokens.authenticate(raw.get());
                } catch (AuthenticationException e) {
                    why = "cannot resume after the restart: the session's token is no longer valid: " + e.reason();
                }
            }
            String id = st.session();
            Session s = new Session(id, agents, catalog.all(), st.requires(), st.critical(), st.high(), st.waves(),
                    runAs == null ? new Anonymous(st.subject()) : runAs, maxConcurrent, threads, journal(), runs,
                    u.done(), u.startedEvent().timestamp(), Instant.now(), () -> vault.remove(id));
            sessions.put(id, s);
            if (why != null) {
                LOG.warn("Session {} {}", id, why);
                s.fail(why);
                continue;
            }
            LOG.info("Session {} resumes in phase {} ({} agent(s) done)", id, u.phase(), u.done().size());
            threads.execute(s);
        }
    }

    /** The caller of a session that cannot resume: it runs nothing. */
    private record Anonymous(String subject) implements SecurityContext {
        @Override
        public java.util.Optional<io.toka.security.TokenClaims> token() {
            return java.util.Optional.empty();
        }

        @Override
        public void checkLive() {
        }

        @Override
        public boolean isPermitted(String permission) {
            return false;
        }

        @Override
        public void authorize(String action, java.util.Collection<String> permissions) {
            throw new io.toka.security.AccessDeniedException(String.join(",", permissions),
                    "the session's token is gone");
        }
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
