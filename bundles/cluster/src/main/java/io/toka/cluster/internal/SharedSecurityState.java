package io.toka.cluster.internal;

import com.hazelcast.topic.ITopic;
import io.toka.security.spi.LedgerEntry;
import io.toka.security.spi.SecurityStateException;
import io.toka.security.spi.SecurityStateStore;
import io.toka.security.spi.SigningKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security state every node of the cluster shares: PostgreSQL (the event store's database, from
 * {@code etc/io.toka.store.cfg}) is its durable home and the only source of truth; Hazelcast only rings a bell. A
 * node that revokes or changes keys writes to PostgreSQL, then publishes "changed" on a topic; every node reads what
 * is new from PostgreSQL when the bell rings, and once a second anyway, so a lost message delays a revocation by at
 * most that second. A message carries no state, so a member that forges one can only cause a read.
 *
 * <p>Registered by hand (not by DS, which would copy the database password into the service properties) with
 * {@code toka.security.state=shared}; the token authority uses it when {@code etc/io.toka.security.cfg} says
 * {@code stateStore.target = (toka.security.state=shared)}.
 */
@Component(configurationPid = "io.toka.store", configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
public final class SharedSecurityState implements SecurityStateStore {

    private static final Logger LOG = LoggerFactory.getLogger(SharedSecurityState.class);
    private static final long POLL_MILLIS = 1000;
    private static final long PRUNE_MILLIS = TimeUnit.HOURS.toMillis(1);

    /** The event store's configuration: the database is shared with it. */
    public @interface StoreConfig {
        String type() default "sqlite";

        String postgresqlUrl() default "";

        String postgresqlUser() default "";

        String postgresqlPassword() default "";
    }

    private final SecurityTables tables;
    private final Clock clock = Clock.systemUTC();
    private final ITopic<String> bell;
    private final UUID bellListener;
    private final String where;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService poller;
    private final AtomicBoolean pollQueued = new AtomicBoolean();
    private long lastRevocation; // poller thread only
    private long keysVersion; // poller thread only
    private long lastPrune = System.currentTimeMillis(); // poller thread only
    private ServiceRegistration<SecurityStateStore> registration;

    @Activate
    public SharedSecurityState(BundleContext context, StoreConfig config, @Reference Fabric fabric) {
        this(PostgresSource.create(postgresqlUrl(config), config.postgresqlUser(), config.postgresqlPassword()), fabric,
                "PostgreSQL at " + redact(postgresqlUrl(config)) + ", shared by cluster '"
                        + fabric.settings().clusterName() + "'");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(TYPE, SHARED);
        this.registration = context.registerService(SecurityStateStore.class, this, props);
        LOG.info("Shared security state: {}", where);
    }

    /** @return the event store's PostgreSQL URL; refuses any other store */
    static String postgresqlUrl(StoreConfig config) {
        return postgresqlUrl(config.type(), config.postgresqlUrl(), "shared security state");
    }

    /** @return the event store's PostgreSQL URL; refuses any other store, naming what needs it */
    static String postgresqlUrl(String storeType, String storeUrl, String what) {
        String type = storeType == null ? "" : storeType.strip().toLowerCase(Locale.ROOT);
        String url = storeUrl == null ? "" : storeUrl.strip();
        if (!"postgresql".equals(type) || !url.startsWith("jdbc:postgresql:")) {
            String msg = "the cluster keeps its " + what + " in PostgreSQL, and the event store is '" + type
                    + "': set type = postgresql and postgresqlUrl in etc/io.toka.store.cfg (the same database on every"
                    + " node). Until then a component configured for them does not start";
            LOG.error(msg);
            throw new IllegalStateException(msg);
        }
        return url;
    }

    /** Opens the tables (creating them if needed) and starts listening; registers nothing (for tests). */
    SharedSecurityState(DataSource ds, Fabric fabric, String where) {
        this.where = where;
        this.tables = new SecurityTables(ds, new KeyCipher(fabric.secrets().keyEncryptionKey()));
        tables.create();
        this.lastRevocation = tables.lastRevocation();
        this.keysVersion = tables.keysVersion();
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "toka-cluster-security");
            t.setDaemon(true);
            return t;
        });
        this.bell = fabric.hazelcast().getTopic(HazelcastConfigs.SECURITY_TOPIC);
        this.bellListener = bell.addMessageListener(m -> queuePoll());
        poller.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        try {
            if (registration != null) {
                registration.unregister();
            }
        } catch (IllegalStateException alreadyGone) {
            // the bundle is stopping
        }
        try {
            bell.removeMessageListener(bellListener);
        } catch (RuntimeException hazelcastStopping) {
            // the member is shutting down
        }
        poller.shutdownNow();
        tables.close();
    }

    private void queuePoll() {
        if (pollQueued.compareAndSet(false, true)) {
            try {
                poller.execute(this::poll);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                pollQueued.set(false);
            }
        }
    }

    /** Reads what other nodes changed and tells the listeners. On the poller thread only. */
    void poll() {
        pollQueued.set(false);
        try {
            List<SecurityTables.Revoked> fresh = tables.revokedAfter(lastRevocation);
            if (!fresh.isEmpty()) {
                Map<String, Instant> revoked = new LinkedHashMap<>();
                for (SecurityTables.Revoked r : fresh) {
                    revoked.put(r.jti(), r.until());
                    lastRevocation = r.seq();
                }
                for (Listener l : listeners) {
                    l.revoked(revoked);
                }
            }
            long version = tables.keysVersion();
            if (version != keysVersion) {
                keysVersion = version;
                for (Listener l : listeners) {
                    l.keysChanged();
                }
            }
            if (System.currentTimeMillis() - lastPrune > PRUNE_MILLIS) {
                lastPrune = System.currentTimeMillis();
                int n = tables.prune(clock.instant());
                if (n > 0) {
                    LOG.info("Pruned {} expired revocation(s) and ledger entries", n);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Cannot read the shared security state: {}", e.getMessage());
        }
    }

    private void ring() {
        try {
            bell.publish("changed");
        } catch (RuntimeException e) {
            // the others still see it at their next poll
            LOG.warn("Cannot tell the cluster of a security change ({}); the other nodes see it within {} ms",
                    e.toString(), POLL_MILLIS);
        }
    }

    @Override
    public List<SigningKey> keys() {
        return tables.keys();
    }

    @Override
    public boolean replaceKeys(String expectedActiveKid, List<SigningKey> keys) {
        if (keys.isEmpty() || !keys.get(0).active()) {
            throw new SecurityStateException("the first key of a key list must be the active one");
        }
        boolean replaced = tables.replaceKeys(expectedActiveKid, keys);
        if (replaced) {
            ring();
        }
        return replaced;
    }

    @Override
    public Map<String, Instant> revocations(Instant now) {
        return tables.revocations(now);
    }

    @Override
    public boolean revoke(String jti, Instant until) {
        boolean fresh = tables.revoke(jti, until);
        ring();
        return fresh;
    }

    @Override
    public void record(LedgerEntry entry) {
        tables.record(entry);
    }

    @Override
    public Optional<LedgerEntry> find(String jti, Instant now) {
        return tables.find(jti, now);
    }

    @Override
    public List<LedgerEntry> descendants(String jti, Instant now) {
        return tables.descendants(jti, now);
    }

    @Override
    public Subscription subscribe(Listener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public String describe() {
        return where;
    }

    /** The URL without its query (which may hold a password). */
    static String redact(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?...";
    }
}
