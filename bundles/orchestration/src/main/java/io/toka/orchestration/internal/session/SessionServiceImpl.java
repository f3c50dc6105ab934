package io.toka.orchestration.internal.session;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.SessionService;
import io.toka.orchestration.SessionStatus;
import io.toka.event.EventStore;
import io.toka.kernel.Kernel;
import io.toka.orchestration.internal.agent.SessionRuns;
import io.toka.orchestration.internal.agent.HeldLeases;
import io.toka.orchestration.spi.LeaseLostException;
import io.toka.orchestration.spi.RunLeases;
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
    private final io.toka.orchestration.spi.TokenKeeper vault;
    /** The leases of this node's durable sessions, in a cluster. */
    private final Map<String, HeldLeases.Guard> guards = new ConcurrentHashMap<>();
    private volatile java.util.concurrent.ScheduledExecutorService takeoverTimer;
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
        this.vault = runs == null ? null : runs.sessionTokens();
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
        java.util.concurrent.ScheduledExecutorService t = takeoverTimer;
        if (t != null) {
            t.shutdownNow();
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // stopped without an end: another node may take the sessions over at once
        guards.values().forEach(HeldLeases.Guard::expire);
        guards.clear();
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
        SessionJournal journal = journal();
        Session[] created = new Session[1];
        HeldLeases leases = runs.leases();
        if (leases.shared()) {
            try {
                HeldLeases.Guard g = leases.acquire("session:" + id, () -> {
                    guards.remove(id);
                    if (created[0] != null) {
                        created[0].abandon("this node lost the session's lease");
                    }
                });
                journal.guardWith(g);
                guards.put(id, g);
            } catch (LeaseLostException | RuntimeException e) {
                throw new IllegalStateException("cannot lease the session in the cluster: " + e.getMessage());
            }
        }
        vault.put(id, raw);
        Session s = new Session(id, agents, known, Session.requiresOf(known), critical, high, waves, runAs,
                maxConcurrent, threads, journal, runs, Map.of(), Instant.now(), null, ended(id, journal));
        created[0] = s;
        try {
            if (!journal.commit(s.started())) {
                vault.remove(id);
                release(id, journal);
                throw new IllegalStateException("the session's start could not be recorded: the event store did not"
                        + " store it in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vault.remove(id);
            release(id, journal);
            throw new IllegalStateException("interrupted while recording the session's start");
        }
        return s;
    }

    /** What to do once a session has ended: forget its token, give its lease up. */
    private Runnable ended(String id, SessionJournal journal) {
        return () -> {
            vault.remove(id);
            release(id, journal);
        };
    }

    private void release(String id, SessionJournal journal) {
        guards.remove(id);
        HeldLeases.Guard g = journal.guard();
        if (g != null) {
            g.release();
        }
    }

    /**
     * Rebuilds the sessions that had not ended, once the agent runs are rebuilt, and resumes them. In a cluster, only
     * those whose leases this node claims (expired, or never leased); then it keeps looking for expired ones.
     */
    void recover() {
        try {
            if (!runs.awaitRecovered(java.time.Duration.ofMinutes(10))) {
                LOG.warn("Agent runs were not rebuilt within 10 minutes; resuming sessions anyway");
            }
        } catch (InterruptedException e) {
            return;
        }
        HeldLeases leases = runs.leases();
        for (SessionJournal.Unfinished u : SessionJournal.unfinished(store)) {
            if (stopping) {
                return;
            }
            if (!leases.shared()) {
                resume(u, null);
                continue;
            }
            Optional<HeldLeases.Claim> c = leases.claim("session:" + u.started().session());
            if (c.isPresent()) {
                resume(u, c.get());
            }
        }
        if (leases.shared() && !stopping) {
            java.util.concurrent.ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread th = new Thread(r, "toka-session-takeover");
                th.setDaemon(true);
                return th;
            });
            takeoverTimer = t;
            long every = leases.leases().renewEvery().toMillis();
            t.scheduleWithFixedDelay(this::takeOver, every, every, TimeUnit.MILLISECONDS);
            if (stopping) {
                t.shutdownNow();
            }
        }
    }

    /** A session this node claimed after its holder's lease expired. */
    record TakenOver(String session, String from, String by, long epoch, long delayMillis)
            implements io.toka.event.EventPayload {
        @Override
        public String kind() {
            return "session.taken_over";
        }
    }

    /** Claims the expired leases of unfinished sessions, and resumes them (and their runs) here. */
    private void takeOver() {
        try {
            RunLeases leases = runs.leases().leases();
            List<String> keys = leases.expired("session:");
            if (keys.isEmpty() || stopping) {
                return;
            }
            Map<String, SessionJournal.Unfinished> open = new java.util.HashMap<>();
            SessionJournal.unfinished(store).forEach(u -> open.put(u.started().session(), u));
            for (String key : keys) {
                SessionJournal.Unfinished u = open.get(key.substring("session:".length()));
                if (u == null) {
                    leases.claim(key).ifPresent(c -> leases.release(c.lease())); // ended; its node died after
                    continue;
                }
                Optional<HeldLeases.Claim> c = runs.leases().claim(key);
                if (c.isPresent()) {
                    resume(u, c.get());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Looking for sessions to take over failed: {}", e.toString());
        }
    }

    /** Rebuilds one unfinished session and resumes it; with a claimed lease, its runs are taken over first. */
    private void resume(SessionJournal.Unfinished u, HeldLeases.Claim claim) {
        {
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
            SessionJournal journal = journal();
            if (claim != null) {
                journal.guardWith(claim.guard());
                guards.put(id, claim.guard());
            }
            Session s = new Session(id, agents, catalog.all(), st.requires(), st.critical(), st.high(), st.waves(),
                    runAs == null ? new Anonymous(st.subject()) : runAs, maxConcurrent, threads, journal, runs,
                    u.done(), u.startedEvent().timestamp(), Instant.now(), ended(id, journal));
            if (claim != null) {
                claim.guard().onLost(() -> {
                    guards.remove(id);
                    s.abandon("this node lost the session's lease");
                });
            }
            sessions.put(id, s);
            if (why != null) {
                LOG.warn("Session {} {}", id, why);
                s.fail(why);
                return;
            }
            if (claim != null && claim.claimed().previousExpiry() != null) {
                RunLeases.Claimed c = claim.claimed();
                RunLeases leases = runs.leases().leases();
                long delay = Math.max(0, java.time.Duration.between(c.previousExpiry().minus(leases.ttl()),
                        Instant.now()).toMillis());
                LOG.info("Session {} taken over by node {} (lease epoch {}) from node {}, {} ms after that node's last "
                        + "renewal", id, leases.nodeId(), c.lease().epoch(), c.previousOwner(), delay);
                try {
                    journal.post(new TakenOver(id, c.previousOwner(), leases.nodeId(), c.lease().epoch(), delay));
                    // its runs come here too, before it looks for them (else it would start them again)
                    runs.takeOverRunsOf(id, c.previousOwner(), leases.ttl().multipliedBy(2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
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
