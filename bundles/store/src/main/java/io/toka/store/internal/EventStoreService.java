package io.toka.store.internal;

import io.toka.event.Event;
import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.event.EventStoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import javax.sql.DataSource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link EventStore} service: it delegates to the store the configuration selects and prunes it in the
 * background.
 *
 * <p>A configuration change that selects another database opens the new store first. If that fails, the old store
 * stays in use and the failure is logged as an error; on success the new store takes over at once and the old one
 * is closed when the calls still running on it have finished. Events are not copied between stores.
 */
@Component(configurationPid = EventStoreService.PID, service = {})
@Designate(ocd = EventStoreService.Config.class)
public final class EventStoreService implements EventStore {

    /** The configuration PID ({@code etc/io.toka.store.cfg}). */
    public static final String PID = "io.toka.store";
    /** Service property: the type of the store in use, {@code sqlite}, {@code postgresql} or {@code memory}. */
    public static final String TYPE_PROPERTY = "toka.store.type";

    private static final Logger LOG = LoggerFactory.getLogger(EventStoreService.class);
    private static final String POSTGRESQL_BUNDLE = "mvn:org.postgresql/postgresql/42.7.14";

    /** The configuration. */
    @ObjectClassDefinition(name = "Toka event store",
            description = "Where Toka keeps its event log and how long events are kept.")
    public @interface Config {

        @AttributeDefinition(name = "Type", description = "The database: sqlite (a local file, the default),"
                + " postgresql, or memory (lost on restart; for tests).", options = {
                    @Option(label = "SQLite", value = "sqlite"),
                    @Option(label = "PostgreSQL", value = "postgresql"),
                    @Option(label = "Memory", value = "memory")})
        String type() default "sqlite";

        @AttributeDefinition(name = "SQLite file", description = "The SQLite database file; ${karaf.data} stands"
                + " for Karaf's data directory.")
        String sqlitePath() default "${karaf.data}/toka/events.db";

        @AttributeDefinition(name = "PostgreSQL URL",
                description = "A JDBC URL such as jdbc:postgresql://db.example:5432/toka; used when type is postgresql.")
        String postgresqlUrl() default "";

        @AttributeDefinition(name = "PostgreSQL user", description = "The database user.")
        String postgresqlUser() default "";

        @AttributeDefinition(name = "PostgreSQL password", description = "The database password; never logged.",
                type = AttributeType.PASSWORD)
        String postgresqlPassword() default "";

        @AttributeDefinition(name = "PostgreSQL commit", description = "How appends to PostgreSQL become durable;"
                + " an append is acknowledged only once durable in both. ordered-fsync (the default): each commit"
                + " flushes the WAL while holding the lock that orders the writers of all nodes, so nothing visible"
                + " can be lost, but the nodes' flushes queue up one behind the other. overlapped: the ordered"
                + " commit does not wait for the flush and a small synchronous transaction outside the lock flushes"
                + " after it, so the nodes' flushes overlap; if PostgreSQL crashes between the two, events that"
                + " readers may have seen (never acknowledged ones) are lost and their sequence numbers may be"
                + " reused.", options = {
                    @Option(label = "Ordered fsync", value = "ordered-fsync"),
                    @Option(label = "Overlapped", value = "overlapped")})
        String postgresqlCommit() default "ordered-fsync";

        @AttributeDefinition(name = "Keep days", description = "Delete events older than this many days;"
                + " 0 keeps them regardless of age.", min = "0")
        int retentionMaxAgeDays() default 30;

        @AttributeDefinition(name = "Keep events", description = "Keep at most this many events, deleting the"
                + " oldest; 0 for no limit.", min = "0")
        long retentionMaxEvents() default 1_000_000;

        @AttributeDefinition(name = "Prune interval", description = "Seconds between two pruning runs.", min = "1")
        int pruneIntervalSeconds() default 300;
    }

    /** Which database to use; equal targets need no reopening. */
    record Target(String type, Path sqlitePath, String postgresqlUrl, String postgresqlUser,
            String postgresqlPassword, PostgresEventStore.Commit postgresqlCommit) {

        static Target from(Config c) {
            String type = c.type() == null ? "" : c.type().strip().toLowerCase(Locale.ROOT);
            switch (type) {
                case "memory":
                    return new Target(type, null, null, null, null, null);
                case "sqlite":
                    return new Target(type, sqlitePath(c.sqlitePath()), null, null, null, null);
                case "postgresql": {
                    String url = c.postgresqlUrl() == null ? "" : c.postgresqlUrl().strip();
                    if (url.isEmpty()) {
                        throw new IllegalArgumentException("postgresqlUrl must be set when type is postgresql");
                    }
                    if (!url.startsWith("jdbc:postgresql:")) {
                        throw new IllegalArgumentException("postgresqlUrl must be a URL such as"
                                + " jdbc:postgresql://host:5432/toka, not '" + PostgresEventStore.redact(url) + "'");
                    }
                    return new Target(type, null, url, c.postgresqlUser(), c.postgresqlPassword(),
                            PostgresEventStore.Commit.parse(c.postgresqlCommit()));
                }
                default:
                    throw new IllegalArgumentException("type must be sqlite, postgresql or memory, not '" + c.type()
                            + "'");
            }
        }

        private static Path sqlitePath(String configured) {
            String p = configured == null || configured.isBlank() ? "${karaf.data}/toka/events.db" : configured.strip();
            p = p.replace("${karaf.data}", System.getProperty("karaf.data", "data"));
            try {
                return Path.of(p).toAbsolutePath().normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException("sqlitePath '" + configured + "' is not a valid path: "
                        + e.getReason());
            }
        }

        /** @return the type and where, e.g. {@code sqlite at /opt/toka/data/toka/events.db}; never the password */
        String describe() {
            return switch (type) {
                case "sqlite" -> "sqlite at " + sqlitePath;
                case "postgresql" -> "postgresql at " + PostgresEventStore.redact(postgresqlUrl) + " (commit "
                        + postgresqlCommit.configName() + ")";
                default -> type;
            };
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /** When to prune. */
    record Retention(int maxAgeDays, long maxEvents, int intervalSeconds) {

        static Retention from(Config c) {
            if (c.retentionMaxAgeDays() < 0) {
                throw new IllegalArgumentException("retentionMaxAgeDays must be 0 (no age limit) or more, not "
                        + c.retentionMaxAgeDays());
            }
            if (c.retentionMaxEvents() < 0) {
                throw new IllegalArgumentException("retentionMaxEvents must be 0 (no limit) or more, not "
                        + c.retentionMaxEvents());
            }
            if (c.pruneIntervalSeconds() < 1) {
                throw new IllegalArgumentException("pruneIntervalSeconds must be at least 1, not "
                        + c.pruneIntervalSeconds());
            }
            return new Retention(c.retentionMaxAgeDays(), c.retentionMaxEvents(), c.pruneIntervalSeconds());
        }
    }

    /** A store in use; calls hold the read lock, retiring takes the write lock so it waits for them. */
    private static final class Slot {
        final Target target;
        final CloseableEventStore store;
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        boolean retired; // guarded by lock

        Slot(Target target, CloseableEventStore store) {
            this.target = target;
            this.store = store;
        }
    }

    private final Object lifecycle = new Object();
    private final ScheduledExecutorService pruner;
    private volatile Slot current;
    private volatile Retention retention;
    private volatile String lastError;
    private ScheduledFuture<?> pruning; // guarded by lifecycle
    private ServiceRegistration<EventStore> registration; // guarded by lifecycle

    /**
     * Opens the configured store and registers the service.
     *
     * <p>The service is registered here rather than by DS: DS would copy every configuration property into the
     * service properties, the database password included, where every bundle and {@code service:list} could read
     * it. The only service property is {@link #TYPE_PROPERTY}.
     *
     * @throws IllegalArgumentException if the configuration is invalid
     * @throws EventStoreException if the store cannot be opened; then no service is registered
     */
    @Activate
    public EventStoreService(BundleContext context, Config config) {
        this(config);
        try {
            synchronized (lifecycle) {
                registration = context.registerService(EventStore.class, this, serviceProperties());
            }
        } catch (RuntimeException e) {
            deactivate(); // DS does not deactivate a component whose activation failed
            throw e;
        }
    }

    /**
     * Opens the configured store without registering it (for tests).
     *
     * @throws IllegalArgumentException if the configuration is invalid
     * @throws EventStoreException if the store cannot be opened
     */
    EventStoreService(Config config) {
        Target target;
        Retention r;
        CloseableEventStore store;
        try {
            target = Target.from(config);
            r = Retention.from(config);
            store = open(target);
        } catch (RuntimeException | LinkageError e) {
            LOG.error("cannot start the event store: {}", StoreSupport.reason(e));
            throw e;
        }
        current = new Slot(target, store);
        pruner = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "toka-event-store-pruner");
            t.setDaemon(true);
            return t;
        });
        synchronized (lifecycle) {
            schedule(r);
        }
        LOG.info("event store: {}", target.describe());
    }

    /** Applies a changed configuration; see the class comment. */
    @Modified
    void modified(Config config) {
        synchronized (lifecycle) {
            Slot old = current;
            if (old == null) {
                return;
            }
            Target target;
            Retention r;
            try {
                target = Target.from(config);
                r = Retention.from(config);
            } catch (IllegalArgumentException e) {
                error("cannot apply the new event store configuration: " + e.getMessage() + "; still using "
                        + old.target.describe());
                return;
            }
            if (!r.equals(retention)) {
                schedule(r);
            }
            if (target.equals(old.target)) {
                lastError = null;
                return;
            }
            CloseableEventStore next;
            try {
                next = open(target);
            } catch (RuntimeException | LinkageError e) {
                error("cannot switch the event store to " + target.type() + ": " + StoreSupport.reason(e)
                        + "; still using " + old.target.describe());
                return;
            }
            current = new Slot(target, next);
            lastError = null;
            if (registration != null) {
                registration.setProperties(serviceProperties());
            }
            LOG.info("event store: now {} (was {}); events stored before are not copied", target.describe(),
                    old.target.describe());
            retire(old);
        }
    }

    /** Closes the store once the calls running on it have finished. Calling it twice is harmless. */
    @Deactivate
    void deactivate() {
        synchronized (lifecycle) {
            if (registration != null) {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // the framework unregisters it when the bundle stops first
                }
                registration = null;
            }
            Slot old = current;
            current = null;
            pruner.shutdownNow();
            if (old != null) {
                retire(old);
            }
        }
    }

    private Dictionary<String, Object> serviceProperties() {
        return new Hashtable<>(Map.of(TYPE_PROPERTY, current.target.type()));
    }

    private void error(String message) {
        lastError = message;
        LOG.error(message);
    }

    /** @return the last configuration error, or {@code null} if the last change was applied */
    String lastError() {
        return lastError;
    }

    private static void retire(Slot slot) {
        slot.lock.writeLock().lock();
        try {
            slot.retired = true;
        } finally {
            slot.lock.writeLock().unlock();
        }
        try {
            slot.store.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the event store ({}) failed: {}", slot.target.describe(), StoreSupport.reason(e));
        }
    }

    /**
     * Opens a store.
     *
     * @throws EventStoreException if it cannot be opened, naming what failed
     */
    static CloseableEventStore open(Target t) {
        switch (t.type()) {
            case "memory":
                return new MemoryEventStore();
            case "sqlite":
                return SqliteEventStore.open(t.sqlitePath());
            case "postgresql": {
                DataSource ds;
                try {
                    ds = PostgresDataSources.create(t.postgresqlUrl(), t.postgresqlUser(), t.postgresqlPassword());
                } catch (NoClassDefFoundError e) {
                    throw new EventStoreException("the PostgreSQL JDBC driver is not installed; install the bundle "
                            + POSTGRESQL_BUNDLE + " (org.postgresql.jdbc)");
                } catch (IllegalArgumentException e) {
                    throw new EventStoreException("postgresqlUrl '" + PostgresEventStore.redact(t.postgresqlUrl())
                            + "' is not a valid PostgreSQL JDBC URL");
                }
                return PostgresEventStore.open(ds, t.postgresqlUrl(), t.postgresqlCommit());
            }
            default:
                throw new IllegalArgumentException("unknown event store type " + t.type());
        }
    }

    private void schedule(Retention r) {
        retention = r;
        if (pruning != null) {
            pruning.cancel(false);
        }
        long first = Math.min(60, r.intervalSeconds());
        pruning = pruner.scheduleWithFixedDelay(this::pruneQuietly, first, r.intervalSeconds(), TimeUnit.SECONDS);
    }

    private void pruneQuietly() {
        try {
            pruneNow();
        } catch (RuntimeException e) {
            LOG.warn("cannot prune the event store: {}", StoreSupport.reason(e));
        }
    }

    /**
     * Prunes by the configured retention now.
     *
     * @return how many events were deleted
     */
    long pruneNow() {
        Retention r = retention;
        if (r == null || (r.maxAgeDays() == 0 && r.maxEvents() == 0)) {
            return 0;
        }
        Instant olderThan = r.maxAgeDays() > 0 ? Instant.now().minus(Duration.ofDays(r.maxAgeDays())) : null;
        long n = call(s -> s.prune(olderThan, r.maxEvents()));
        if (n > 0) {
            LOG.info("event store: pruned {} events (retention: {} days, {} events)", n, r.maxAgeDays(),
                    r.maxEvents());
        }
        return n;
    }

    private <T> T call(Function<CloseableEventStore, T> f) {
        while (true) {
            Slot s = current;
            if (s == null) {
                throw new EventStoreException("the event store service is stopped");
            }
            s.lock.readLock().lock();
            try {
                if (!s.retired) {
                    return f.apply(s.store);
                }
            } finally {
                s.lock.readLock().unlock();
            }
            // retired between reading current and locking: the replacement is already in current
        }
    }

    @Override
    public String type() {
        Slot s = current;
        if (s == null) {
            throw new EventStoreException("the event store service is stopped");
        }
        return s.store.type();
    }

    @Override
    public List<Event> append(List<Event> events) {
        return call(s -> s.append(events));
    }

    @Override
    public Event append(Event event) {
        return call(s -> s.append(event));
    }

    @Override
    public EventPage query(EventQuery query) {
        return call(s -> s.query(query));
    }

    @Override
    public Optional<Event> find(String id) {
        return call(s -> s.find(id));
    }

    @Override
    public long lastSeq() {
        return call(EventStore::lastSeq);
    }

    @Override
    public long count() {
        return call(EventStore::count);
    }

    @Override
    public long prune(Instant olderThan, long keepAtMost) {
        return call(s -> s.prune(olderThan, keepAtMost));
    }
}
