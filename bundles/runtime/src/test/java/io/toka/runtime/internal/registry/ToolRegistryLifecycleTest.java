package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.tool.Tool;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;

/** Swapping tool services and bundles: the swap wait, retiring and draining, reinstating, uninstalling. */
class ToolRegistryLifecycleTest extends RegistryTestSupport {

    private static final Duration QUICK = Duration.ofSeconds(1);

    private final CountDownLatch release = new CountDownLatch(1);

    private TestTool blocking(String name, CountDownLatch started) {
        return TestTool.of(name, inv -> {
            started.countDown();
            return release.await(10, TimeUnit.SECONDS) ? ToolResult.success(name + " finished")
                    : ToolResult.failure("test never released the tool");
        });
    }

    /** Starts a call on a thread of its own, so the test can watch that thread wait. */
    private Thread startCall(String name, FutureTask<ToolCallResult> task) {
        Thread t = new Thread(task, "caller-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aCallInTheGapOfAServiceSwapWaitsForTheNewService() throws Exception {
        ServiceRegistration<Tool> v1 = registerTool(TestTool.answering("swapped", "1.0.0"));
        startRegistry(config(64, 256, 2000));
        v1.unregister();
        assertThat(registry.names()).isEmpty();

        FutureTask<ToolCallResult> callInGap = new FutureTask<>(() -> call("swapped", Map.of()));
        Thread caller = startCall("swapped", callInGap);
        // the caller is parked in the swap wait, not failed and not finished
        await().atMost(QUICK).pollInterval(Duration.ofMillis(5))
                .until(() -> caller.getState() == Thread.State.TIMED_WAITING);
        assertThat(callInGap).isNotDone();

        long reRegistered = System.nanoTime();
        registerTool(TestTool.answering("swapped", "2.0.0"));

        ToolCallResult r = callInGap.get(5, TimeUnit.SECONDS);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.result().output()).isEqualTo("swapped 2.0.0");
        assertThat(Duration.ofNanos(System.nanoTime() - reRegistered))
                .as("the waiting call is woken by the registration, not by the end of the swap wait")
                .isLessThan(QUICK);
    }

    @Test
    void withoutASwapWaitACallInTheGapIsUnknown() throws Exception {
        ServiceRegistration<Tool> v1 = registerTool(TestTool.answering("swapped", "1.0.0"));
        startRegistry(config(64, 256, 0));
        v1.unregister();

        long start = System.nanoTime();
        assertThatThrownBy(() -> call("swapped", Map.of()))
                .isInstanceOf(UnknownToolException.class)
                .hasMessageContaining("'swapped'");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICK);

        registerTool(TestTool.answering("swapped", "2.0.0"));
        assertThat(call("swapped", Map.of()).result().output()).isEqualTo("swapped 2.0.0");
    }

    @Test
    void aToolThatDoesNotComeBackIsUnknownAfterTheSwapWait() {
        ServiceRegistration<Tool> v1 = registerTool(TestTool.answering("gone", "1.0.0"));
        startRegistry(config(64, 256, 300));
        long start = System.nanoTime();
        v1.unregister();

        assertThatThrownBy(() -> call("gone", Map.of())).isInstanceOf(UnknownToolException.class);
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(2));

        // the departure has expired: later calls do not wait again
        long again = System.nanoTime();
        assertThatThrownBy(() -> call("gone", Map.of())).isInstanceOf(UnknownToolException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - again)).isLessThan(Duration.ofMillis(200));
    }

    @Test
    void uninstallingABundleEndsTheSwapWaitAtOnce() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        OsgiFramework.register(bundle.getBundleContext(), "leaving", TestTool.answering("leaving", "1"));
        startRegistry(config(64, 256, 5000));
        assertThat(registry.toolsOf(bundle.getBundleId())).containsExactly("leaving");

        bundle.uninstall();

        long start = System.nanoTime();
        assertThatThrownBy(() -> call("leaving", Map.of())).isInstanceOf(UnknownToolException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICK);
    }

    @Test
    void uninstallingWakesACallWaitingInTheGap() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        OsgiFramework.register(bundle.getBundleContext(), "leaving", TestTool.answering("leaving", "1"));
        startRegistry(config(64, 256, 5000));
        bundle.stop(); // the bundle stays installed: its tool may come back

        FutureTask<ToolCallResult> callInGap = new FutureTask<>(() -> call("leaving", Map.of()));
        Thread caller = startCall("leaving", callInGap);
        await().atMost(QUICK).pollInterval(Duration.ofMillis(5))
                .until(() -> caller.getState() == Thread.State.TIMED_WAITING);

        bundle.uninstall();

        assertThatThrownBy(() -> callInGap.get(QUICK.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(UnknownToolException.class);
    }

    @Test
    void retireAndDrainWaitsForARunningCallAndHidesTheTools() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        CountDownLatch started = new CountDownLatch(1);
        OsgiFramework.register(bundle.getBundleContext(), "busy", blocking("busy", started));
        OsgiFramework.register(bundle.getBundleContext(), "idle", TestTool.answering("idle", "1"));
        registerTool(TestTool.answering("elsewhere", "1"));
        startRegistry(config(64, 256, 2000));

        Future<ToolCallResult> running = callAsync("busy", Map.of());
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        Future<Boolean> drain = inBackground(() -> registry.retireAndDrain(bundle.getBundleId(), Duration.ofSeconds(10)));
        await().atMost(QUICK).until(() -> !registry.names().contains("busy"));
        assertThat(registry.names()).containsExactly("elsewhere");
        assertThat(registry.toolsOf(bundle.getBundleId())).isEmpty();
        assertThat(registry.find("idle")).isEmpty();
        long start = System.nanoTime();
        assertThatThrownBy(() -> call("idle", Map.of()))
                .as("a retired tool is unknown at once, without a swap wait")
                .isInstanceOf(UnknownToolException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICK);
        assertThat(drain).as("the drain waits for the running call").isNotDone();

        release.countDown();
        assertThat(drain.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(running.get(5, TimeUnit.SECONDS).result().output()).isEqualTo("busy finished");
    }

    @Test
    void retireAndDrainReturnsFalseWhenACallOutlastsTheWait() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        CountDownLatch started = new CountDownLatch(1);
        OsgiFramework.register(bundle.getBundleContext(), "stuck", blocking("stuck", started));
        startRegistry();

        Future<ToolCallResult> running = callAsync("stuck", Map.of());
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        assertThat(registry.retireAndDrain(bundle.getBundleId(), Duration.ofMillis(100))).isFalse();
        release.countDown();
        assertThat(running.get(5, TimeUnit.SECONDS).isSuccess()).isTrue();
    }

    @Test
    void retireAndDrainOfAnIdleBundleReturnsAtOnceAndLeavesOtherBundlesAlone() throws Exception {
        Bundle a = osgi.installBundle("com.acme.a", "1.0.0");
        Bundle b = osgi.installBundle("com.acme.b", "1.0.0");
        OsgiFramework.register(a.getBundleContext(), "from-a", TestTool.answering("from-a", "1"));
        OsgiFramework.register(b.getBundleContext(), "from-b", TestTool.answering("from-b", "1"));
        startRegistry();

        long start = System.nanoTime();
        assertThat(registry.retireAndDrain(a.getBundleId(), Duration.ofSeconds(10))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICK);

        assertThat(registry.names()).containsExactly("from-b");
        assertThat(registry.toolsOf(b.getBundleId())).containsExactly("from-b");
        assertThat(call("from-b", Map.of()).isSuccess()).isTrue();
    }

    @Test
    void aRetiredToolGivesWayToItsOtherProvider() throws Exception {
        Bundle oldVersion = osgi.installBundle("com.acme.tools", "1.0.0");
        OsgiFramework.register(oldVersion.getBundleContext(), "tool", TestTool.answering("tool", "1.0.0"));
        startRegistry(config(64, 256, 2000));
        // the deployer installs the new version next to the old one; the newer service wins at once
        Bundle newVersion = osgi.installBundle("com.acme.tools", "2.0.0");
        OsgiFramework.register(newVersion.getBundleContext(), "tool", TestTool.answering("tool", "2.0.0"));
        assertThat(registry.awaitTools(newVersion.getBundleId(), Set.of("tool"), QUICK)).containsExactly("tool");

        assertThat(registry.retireAndDrain(oldVersion.getBundleId(), QUICK)).isTrue();
        oldVersion.uninstall();

        assertThat(registry.find("tool").orElseThrow().shadowed()).isEmpty();
        assertThat(call("tool", Map.of()).result().output()).isEqualTo("tool 2.0.0");
    }

    @Test
    void reinstateUndoesARetirement() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        OsgiFramework.register(bundle.getBundleContext(), "kept", TestTool.answering("kept", "1"));
        startRegistry();

        assertThat(registry.retireAndDrain(bundle.getBundleId(), QUICK)).isTrue();
        assertThat(registry.names()).isEmpty();

        registry.reinstate(bundle.getBundleId());
        assertThat(registry.names()).containsExactly("kept");
        assertThat(registry.toolsOf(bundle.getBundleId())).containsExactly("kept");
        assertThat(call("kept", Map.of()).isSuccess()).isTrue();
    }

    @Test
    void awaitToolsReturnsOnceTheExpectedToolsAreRegistered() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        startRegistry();

        Future<Set<String>> waiting = inBackground(() ->
                registry.awaitTools(bundle.getBundleId(), Set.of("one", "two"), Duration.ofSeconds(10)));
        OsgiFramework.register(bundle.getBundleContext(), "one", TestTool.answering("one", "1"));
        assertThat(registry.toolsOf(bundle.getBundleId())).containsExactly("one");
        assertThat(waiting).as("still missing 'two'").isNotDone();

        OsgiFramework.register(bundle.getBundleContext(), "two", TestTool.answering("two", "1"));
        assertThat(waiting.get(5, TimeUnit.SECONDS)).containsExactlyInAnyOrder("one", "two");
    }

    @Test
    void awaitToolsGivesUpAfterTheTimeoutWithWhatIsThere() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.tools", "1.0.0");
        startRegistry();

        long start = System.nanoTime();
        assertThat(registry.awaitTools(bundle.getBundleId(), Set.of(), Duration.ofMillis(150))).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(150)).isLessThan(QUICK);
    }
}
