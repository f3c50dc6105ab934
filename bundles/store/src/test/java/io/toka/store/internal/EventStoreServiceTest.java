package io.toka.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.event.Event;
import io.toka.event.EventPayload;
import io.toka.event.EventStoreException;
import io.toka.event.Events;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** Switching stores by configuration, refusing a store that cannot be opened, and pruning by retention. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class EventStoreServiceTest {

    @TempDir
    Path dir;

    private EventStoreService service;

    @AfterEach
    void stop() {
        if (service != null) {
            service.deactivate();
            service.deactivate();
        }
    }

    /** A configuration: the given values, the annotation's defaults for the rest. */
    static EventStoreService.Config config(Object... keyValues) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return (EventStoreService.Config) Proxy.newProxyInstance(EventStoreService.Config.class.getClassLoader(),
                new Class<?>[] {EventStoreService.Config.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? values.toString() : null;
                    }
                    return values.getOrDefault(method.getName(), method.getDefaultValue());
                });
    }

    private static Event event(String agent) {
        return Events.create(new EventPayload.AgentResumed(agent), List.of());
    }

    @Test
    void theDefaultIsSqliteUnderKarafData() {
        String before = System.getProperty("karaf.data");
        System.setProperty("karaf.data", dir.toString());
        try {
            service = new EventStoreService(config());
            assertThat(service.type()).isEqualTo("sqlite");
            service.append(event("a"));
            assertThat(dir.resolve("toka/events.db")).exists();
        } finally {
            if (before == null) {
                System.clearProperty("karaf.data");
            } else {
                System.setProperty("karaf.data", before);
            }
        }
    }

    @Test
    void switchesFromMemoryToSqliteAndRefusesAnUnreachablePostgresql() {
        Path db = dir.resolve("events.db");
        service = new EventStoreService(config("type", "memory"));
        assertThat(service.type()).isEqualTo("memory");
        service.append(event("in-memory"));

        service.modified(config("type", "sqlite", "sqlitePath", db.toString()));
        assertThat(service.type()).isEqualTo("sqlite");
        assertThat(service.lastError()).isNull();
        assertThat(service.count()).as("events are not copied").isZero();
        Event stored = service.append(event("in-sqlite"));

        service.modified(config("type", "postgresql", "postgresqlUrl", "jdbc:postgresql://127.0.0.1:1/toka",
                "postgresqlUser", "toka", "postgresqlPassword", "s3cret-pw"));
        assertThat(service.type()).isEqualTo("sqlite");
        assertThat(service.lastError())
                .startsWith("cannot switch the event store to postgresql: ")
                .contains("jdbc:postgresql://127.0.0.1:1/toka")
                .endsWith("; still using sqlite at " + db)
                .doesNotContain("s3cret-pw");
        assertThat(service.find(stored.id())).contains(stored);
        assertThat(service.append(event("still-sqlite")).seq()).isGreaterThan(stored.seq());

        // an invalid configuration is refused the same way
        service.modified(config("type", "mysql"));
        assertThat(service.type()).isEqualTo("sqlite");
        assertThat(service.lastError()).isEqualTo("cannot apply the new event store configuration: type must be"
                + " sqlite, postgresql or memory, not 'mysql'; still using sqlite at " + db);

        // back to memory, then to the same SQLite file: its events are still there
        service.modified(config("type", "memory"));
        assertThat(service.type()).isEqualTo("memory");
        assertThat(service.lastError()).isNull();
        service.modified(config("type", "sqlite", "sqlitePath", db.toString()));
        assertThat(service.count()).isEqualTo(2);
    }

    @Test
    void aPostgresqlUrlOfAnotherKindIsRefusedAtActivation() {
        assertThatThrownBy(() -> new EventStoreService(config("type", "postgresql", "postgresqlUrl",
                "jdbc:mysql://localhost/toka?password=hunter2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:postgresql://")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void anUnknownPostgresqlCommitModeIsRefusedAndTheKnownOnesAreParsed() {
        assertThatThrownBy(() -> new EventStoreService(config("type", "postgresql", "postgresqlUrl",
                "jdbc:postgresql://127.0.0.1:1/toka", "postgresqlCommit", "async")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("postgresqlCommit must be ordered-fsync or overlapped, not 'async'");
        assertThat(EventStoreService.Target.from(config("type", "postgresql", "postgresqlUrl",
                "jdbc:postgresql://db/toka")).postgresqlCommit()).isEqualTo(PostgresEventStore.Commit.ORDERED_FSYNC);
        assertThat(EventStoreService.Target.from(config("type", "postgresql", "postgresqlUrl",
                "jdbc:postgresql://db/toka", "postgresqlCommit", " Overlapped ")).describe())
                .isEqualTo("postgresql at jdbc:postgresql://db/toka (commit overlapped)");
    }

    @Test
    void anUnreachablePostgresqlFailsActivationWithThePlainReason() {
        assertThatThrownBy(() -> new EventStoreService(config("type", "postgresql", "postgresqlUrl",
                "jdbc:postgresql://127.0.0.1:1/toka")))
                .isInstanceOf(EventStoreException.class)
                .hasMessageStartingWith("cannot open the PostgreSQL event store at jdbc:postgresql://127.0.0.1:1/toka: ");
    }

    @Test
    void callsInFlightFinishWhileTheStoreIsSwitched() throws Exception {
        Path db = dir.resolve("switch.db");
        service = new EventStoreService(config("type", "memory"));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger appended = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(4);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    started.countDown();
                    while (running.get()) {
                        Event e = service.append(event("agent"));
                        assertThat(e.seq()).isPositive();
                        appended.incrementAndGet();
                    }
                    return null;
                }));
            }
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 6; i++) {
                int before = appended.get();
                service.modified(i % 2 == 0 ? config("type", "sqlite", "sqlitePath", db.toString())
                        : config("type", "memory"));
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> appended.get() > before);
            }
            running.set(false);
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS); // no call failed during the switches
            }
        } finally {
            running.set(false);
            pool.shutdownNow();
        }
        assertThat(service.lastError()).isNull();
        assertThat(service.type()).isEqualTo("memory");
    }

    @Test
    void pruningFollowsTheRetentionSettings() {
        service = new EventStoreService(config("type", "memory", "retentionMaxAgeDays", 1, "retentionMaxEvents", 3L));
        Instant now = Instant.now();
        List<Event> events = new ArrayList<>();
        events.add(Events.create(new EventPayload.AgentResumed("old"), List.of(), now.minus(Duration.ofHours(23))));
        for (int i = 0; i < 5; i++) {
            events.add(event("new-" + i));
        }
        service.append(events);
        assertThat(service.pruneNow()).isEqualTo(3);
        assertThat(service.count()).isEqualTo(3);

        service.modified(config("type", "memory", "retentionMaxAgeDays", 0, "retentionMaxEvents", 1L));
        assertThat(service.pruneNow()).isEqualTo(2);
        service.modified(config("type", "memory", "retentionMaxAgeDays", 0, "retentionMaxEvents", 0L));
        assertThat(service.pruneNow()).isZero();
        assertThat(service.count()).isEqualTo(1);
    }

    @Test
    void theServiceCarriesOnlyTheTypeNeverThePassword() {
        List<Dictionary<String, ?>> published = new ArrayList<>();
        AtomicBoolean unregistered = new AtomicBoolean();
        ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "setProperties" -> published.add(copy((Dictionary<?, ?>) a[0]));
                        case "unregister" -> unregistered.set(true);
                        default -> { }
                    }
                    return null;
                });
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> {
                    if (m.getName().equals("registerService")) {
                        assertThat(a[0]).isEqualTo(io.toka.event.EventStore.class);
                        published.add(copy((Dictionary<?, ?>) a[2]));
                        return registration;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        service = new EventStoreService(context, config("type", "memory", "postgresqlPassword", "s3cret-pw"));
        service.modified(config("type", "sqlite", "sqlitePath", dir.resolve("p.db").toString(),
                "postgresqlPassword", "s3cret-pw"));
        assertThat(published).containsExactly(props("memory"), props("sqlite"));
        service.deactivate();
        assertThat(unregistered).isTrue();
    }

    private static Dictionary<String, ?> props(String type) {
        return new Hashtable<>(Map.of(EventStoreService.TYPE_PROPERTY, type));
    }

    private static Dictionary<String, ?> copy(Dictionary<?, ?> d) {
        Hashtable<String, Object> h = new Hashtable<>();
        for (var keys = d.keys(); keys.hasMoreElements();) {
            Object k = keys.nextElement();
            h.put((String) k, d.get(k));
        }
        return h;
    }

    @Test
    void aStoppedServiceSaysSo() {
        service = new EventStoreService(config("type", "memory"));
        service.deactivate();
        assertThatThrownBy(() -> service.append(event("a"))).isInstanceOf(EventStoreException.class)
                .hasMessage("the event store service is stopped");
    }
}
