package io.toka.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.event.EventPage;
import io.toka.event.EventQuery;
import io.toka.event.EventStore;
import io.toka.health.Health;
import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.execution.HealthCheckExecutionOptions;
import org.apache.felix.hc.api.execution.HealthCheckExecutionResult;
import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.apache.felix.hc.api.execution.HealthCheckMetadata;
import org.apache.felix.hc.api.execution.HealthCheckSelector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceReference;

/**
 * The Toka checks and the verdict built from them. The executor here runs each registered check in place (the real
 * Felix executor adds threads, timeouts and a cache, and runs in the itest); its selection by tag is the same.
 */
class HealthServiceTest {

    /** A registered check: its service properties and the check. */
    private record Registered(Map<String, Object> props, HealthCheck check, boolean timesOut) {
    }

    private final List<Registered> registered = new ArrayList<>();
    private final HealthCheckExecutor executor = new HealthCheckExecutor() {
        @Override
        public List<HealthCheckExecutionResult> execute(HealthCheckSelector selector) {
            return execute(selector, new HealthCheckExecutionOptions());
        }

        @Override
        public List<HealthCheckExecutionResult> execute(HealthCheckSelector selector,
                HealthCheckExecutionOptions options) {
            List<HealthCheckExecutionResult> out = new ArrayList<>();
            for (Registered r : registered) {
                if (List.of((String[]) r.props().get(HealthCheck.TAGS)).contains(selector.tags()[0])) {
                    out.add(result(r));
                }
            }
            return out;
        }
    };

    private EventStoreCheck store;
    private SandboxCheck sandbox;
    private RegistryCheck tools;
    private HealthService health;

    @BeforeEach
    void setUp() {
        store = new EventStoreCheck();
        store.store = new FakeStore();
        sandbox = new SandboxCheck();
        sandbox.sandbox = launcher(Isolation.Level.FULL);
        tools = new RegistryCheck();
        tools.registry = FakeRegistry.withTools("a", "b");
        register(EventStoreCheck.NAME, Health.READY_TAG, store);
        register(SandboxCheck.NAME, Health.READY_TAG, sandbox);
        register(RegistryCheck.NAME, Health.READY_TAG, tools);
        register(DeadlockCheck.NAME, Health.LIVE_TAG, new DeadlockCheck());
        health = new HealthService(executor);
    }

    private void register(String name, String tag, HealthCheck check) {
        registered.add(new Registered(Map.of(HealthCheck.NAME, name, HealthCheck.TAGS, new String[] {tag}), check,
                false));
    }

    @Test
    void readyWhenTheStoreIsOpenTheSandboxProbedAndTheRegistryUp() {
        Health.Report ready = health.ready();
        assertThat(ready.up()).isTrue();
        assertThat(ready.checks()).extracting(Health.Check::name)
                .containsExactly("event-store", "sandbox", "tool-registry");
        assertThat(ready.checks()).allMatch(c -> c.status() == Health.Status.UP && !c.warning());
        assertThat(ready.checks().get(0).message()).contains("memory event store is open; last event 7");
        assertThat(ready.checks().get(2).message()).contains("2 tool(s)");
    }

    @Test
    void aMissingStoreMakesItUnreadyAndIsNamed() {
        store.store = null;
        Health.Report ready = health.ready();
        assertThat(ready.up()).isFalse();
        assertThat(ready.failing()).containsExactly("event-store");
        assertThat(ready.checks().get(0).message()).contains("no event store service");
    }

    @Test
    void aStoreThatThrowsMakesItUnready() {
        store.store = new FakeStore() {
            @Override
            public long lastSeq() {
                throw new IllegalStateException("database is locked");
            }
        };
        Health.Report ready = health.ready();
        assertThat(ready.failing()).containsExactly("event-store");
        assertThat(ready.checks().get(0).message()).contains("database is locked");
    }

    @Test
    void aDegradedSandboxIsReadyWithAWarningAndAnUnprobedOneIsNot() {
        sandbox.sandbox = launcher(Isolation.Level.DEGRADED);
        Health.Report degraded = health.ready();
        assertThat(degraded.up()).isTrue();
        Health.Check c = degraded.checks().get(1);
        assertThat(c.warning()).isTrue();
        assertThat(c.message()).contains("DEGRADED").contains("bwrap missing");

        sandbox.sandbox = null;
        assertThat(health.ready().failing()).containsExactly("sandbox");
        tools.registry = null;
        assertThat(health.ready().failing()).containsExactly("sandbox", "tool-registry");
    }

    @Test
    void aRequiredCheckThatDidNotRunIsDown() {
        registered.removeIf(r -> r.props().get(HealthCheck.NAME).equals(RegistryCheck.NAME));
        Health.Report ready = health.ready();
        assertThat(ready.up()).isFalse();
        assertThat(ready.failing()).containsExactly("tool-registry");
        assertThat(ready.checks().get(2).message()).contains("did not run");
    }

    @Test
    void anyBundlesReadyCheckTakesPartSuchAsAClusterNotYetJoined() {
        registered.add(new Registered(Map.of(HealthCheck.NAME, "cluster", HealthCheck.TAGS,
                new String[] {Health.READY_TAG, "other"}), () -> new Result(Result.Status.TEMPORARILY_UNAVAILABLE,
                        "joining: 1 of 3 members seen"), false));
        Health.Report ready = health.ready();
        assertThat(ready.failing()).containsExactly("cluster");
        assertThat(ready.checks().get(0).message()).isEqualTo("joining: 1 of 3 members seen");
        // a check of another tag does not count
        assertThat(health.live().up()).isTrue();
    }

    @Test
    void aCheckThatTimedOutIsDown() {
        registered.add(new Registered(Map.of(HealthCheck.NAME, "slow", HealthCheck.TAGS,
                new String[] {Health.READY_TAG}), () -> new Result(Result.Status.OK, "late"), true));
        Health.Report ready = health.ready();
        assertThat(ready.failing()).containsExactly("slow");
        assertThat(ready.checks()).filteredOn(c -> c.name().equals("slow")).first()
                .extracting(Health.Check::message).asString().contains("timed out");
    }

    @Test
    void liveUnlessThreadsAreDeadlocked() throws Exception {
        assertThat(health.live().up()).isTrue();
        assertThat(health.live().checks()).extracting(Health.Check::name).containsExactly("deadlocks");

        ReentrantLock a = new ReentrantLock();
        ReentrantLock b = new ReentrantLock();
        CountDownLatch bothHold = new CountDownLatch(2);
        Thread t1 = new Thread(() -> cross(a, b, bothHold), "hc-test-1");
        Thread t2 = new Thread(() -> cross(b, a, bothHold), "hc-test-2");
        t1.setDaemon(true);
        t2.setDaemon(true);
        t1.start();
        t2.start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> !health.live().up());
            Health.Report live = health.live();
            assertThat(live.failing()).containsExactly("deadlocks");
            assertThat(live.checks().get(0).message()).contains("2 thread(s) deadlocked").contains("hc-test-1");
        } finally {
            t1.interrupt();
            t2.interrupt();
            t1.join(5000);
            t2.join(5000);
        }
        assertThat(health.live().up()).isTrue();
    }

    private static void cross(ReentrantLock first, ReentrantLock second, CountDownLatch bothHold) {
        try {
            first.lockInterruptibly();
            try {
                bothHold.countDown();
                bothHold.await();
                second.lockInterruptibly();
                second.unlock();
            } finally {
                first.unlock();
            }
        } catch (InterruptedException e) {
            // released by the test
        }
    }

    // ------------------------------------------------------------------------------------------------ fakes

    private static HealthCheckExecutionResult result(Registered r) {
        Result res = r.timesOut() ? new Result(Result.Status.HEALTH_CHECK_ERROR, "timeout") : r.check().execute();
        HealthCheckMetadata meta = new HealthCheckMetadata(reference(r.props()));
        return new HealthCheckExecutionResult() {
            @Override
            public Result getHealthCheckResult() {
                return res;
            }

            @Override
            public long getElapsedTimeInMs() {
                return r.timesOut() ? 2000 : 1;
            }

            @Override
            public Date getFinishedAt() {
                return new Date();
            }

            @Override
            public boolean hasTimedOut() {
                return r.timesOut();
            }

            @Override
            public HealthCheckMetadata getHealthCheckMetadata() {
                return meta;
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static ServiceReference<HealthCheck> reference(Map<String, Object> props) {
        Map<String, Object> all = new LinkedHashMap<>(props);
        all.put("service.id", (long) props.hashCode());
        return (ServiceReference<HealthCheck>) Proxy.newProxyInstance(HealthServiceTest.class.getClassLoader(),
                new Class<?>[] {ServiceReference.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> all.get((String) args[0]);
                    case "getPropertyKeys" -> all.keySet().toArray(new String[0]);
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "ref" + all;
                    default -> null;
                });
    }

    private static SandboxLauncher launcher(Isolation.Level level) {
        Isolation iso = new Isolation(level, level != Isolation.Level.DEGRADED, false, true, "none",
                level == Isolation.Level.DEGRADED ? List.of("bwrap missing") : List.of());
        return new SandboxLauncher() {
            @Override
            public SandboxResult run(SandboxRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Isolation isolation() {
                return iso;
            }
        };
    }

    private static class FakeStore implements EventStore {
        @Override
        public String type() {
            return "memory";
        }

        @Override
        public List<io.toka.event.Event> append(List<io.toka.event.Event> events) {
            throw new UnsupportedOperationException();
        }

        @Override
        public EventPage query(EventQuery query) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<io.toka.event.Event> find(String id) {
            return Optional.empty();
        }

        @Override
        public long lastSeq() {
            return 7;
        }

        @Override
        public long count() {
            return 7;
        }

        @Override
        public long prune(Instant olderThan, long keepAtMost) {
            return 0;
        }
    }
}
