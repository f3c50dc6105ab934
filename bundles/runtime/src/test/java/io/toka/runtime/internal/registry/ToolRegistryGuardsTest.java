package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolProblem;
import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceRegistration;

/**
 * How the registry contains misbehaving tools: a component that fails to activate, a crash loop, calls that ignore
 * interruption past their deadline (on the pool and inline), an out-of-memory call.
 */
class ToolRegistryGuardsTest extends RegistryTestSupport {

    private ToolRegistryImpl start(ToolRegistryImpl.Guards guards) {
        registry = new ToolRegistryImpl(osgi.context(), config(64, 256, 0), guards);
        return registry;
    }

    private List<ToolProblem> problems(String tool) {
        return registry.problems().stream().filter(p -> p.tool().equals(tool)).toList();
    }

    /** Spins until released, ignoring interruption, as a tool stuck in a loop does. */
    private static ToolResult spinUntil(CountDownLatch release) {
        while (release.getCount() > 0) {
            Thread.onSpinWait();
        }
        return ToolResult.success("released");
    }

    @Test
    void aComponentThatFailsToActivateIsReportedWithItsReasonAndNotActivatedOnEveryCall() throws Exception {
        AtomicInteger activations = new AtomicInteger();
        // what Declarative Services does when @Activate throws: getService gives null
        osgi.context().registerService(Tool.class.getName(), new ServiceFactory<Tool>() {
            @Override
            public Tool getService(Bundle bundle, ServiceRegistration<Tool> registration) {
                activations.incrementAndGet();
                return null;
            }

            @Override
            public void ungetService(Bundle bundle, ServiceRegistration<Tool> registration, Tool service) {
            }
        }, OsgiFramework.properties("broken"));
        start(ToolRegistryImpl.DEFAULT_GUARDS);

        for (int i = 0; i < 3; i++) {
            ToolCallResult r = call("broken", Map.of());
            assertThat(r.status()).isEqualTo(ToolCallResult.Status.FAILURE);
            assertThat(r.result().output()).startsWith("tool 'broken' cannot be activated: ");
        }
        assertThat(activations).hasValue(1);
        assertThat(registry.find("broken")).isEmpty();
        assertThat(problems("broken")).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(ToolProblem.Kind.ACTIVATION_FAILED);
            assertThat(p.reason()).contains("cannot be activated");
        });
    }

    @Test
    void aCrashLoopingToolIsQuarantinedUntilItsBundleIsRedeployed() throws Exception {
        Bundle bundle = osgi.installBundle("com.acme.flaky", "1.0.0");
        registerTool(TestTool.answering("other", "1.0.0"));
        start(ToolRegistryImpl.guards(3, 60, 2, true));

        for (int i = 0; i < 3; i++) {
            ServiceRegistration<Tool> r = OsgiFramework.register(bundle.getBundleContext(), "flaky",
                    TestTool.answering("flaky", "1.0.0"));
            assertThat(call("flaky", Map.of()).isSuccess()).isTrue();
            r.unregister();
        }
        // back again: still held
        OsgiFramework.register(bundle.getBundleContext(), "flaky", TestTool.answering("flaky", "1.0.0"));

        assertThat(registry.names()).containsExactly("other");
        ToolCallResult refused = call("flaky", Map.of());
        assertThat(refused.status()).isEqualTo(ToolCallResult.Status.FAILURE);
        assertThat(refused.result().output()).isEqualTo("tool 'flaky' of bundle com.acme.flaky 1.0.0 is quarantined: "
                + "its service went away while its bundle stayed active 3 times within 60 s (a crash loop); "
                + "redeploy the bundle to lift it");
        assertThat(problems("flaky")).singleElement().extracting(ToolProblem::kind)
                .isEqualTo(ToolProblem.Kind.QUARANTINED);
        assertThat(call("other", Map.of()).isSuccess()).as("the other tools keep answering").isTrue();

        bundle.update(); // a redeploy: the bundle's new revision starts clean
        OsgiFramework.register(bundle.getBundleContext(), "flaky", TestTool.answering("flaky", "1.0.1"));
        assertThat(call("flaky", Map.of()).result().output()).isEqualTo("flaky 1.0.1");
        assertThat(problems("flaky")).isEmpty();
    }

    @Test
    void stoppingABundleIsNotACrash() throws Exception {
        start(ToolRegistryImpl.guards(2, 60, 2, true));
        for (int i = 0; i < 3; i++) {
            Bundle b = osgi.installBundle("com.acme.cycle", "1.0." + i);
            OsgiFramework.register(b.getBundleContext(), "cycled", TestTool.answering("cycled", "1"));
            b.stop();
        }
        assertThat(problems("cycled")).isEmpty();
    }

    @Test
    void callsThatIgnoreInterruptionAreAnsweredAtTheDeadlineCountedAndThenRefused() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        registerTool(TestTool.of("stuck", Duration.ofMillis(100), inv -> spinUntil(release)));
        registerTool(TestTool.answering("other", "1.0.0"));
        start(ToolRegistryImpl.guards(5, 60, 2, true));
        try {
            assertThat(call("stuck", Map.of()).status()).isEqualTo(ToolCallResult.Status.TIMEOUT);
            assertThat(call("stuck", Map.of()).status()).isEqualTo(ToolCallResult.Status.TIMEOUT);
            ToolCallResult refused = call("stuck", Map.of());
            assertThat(refused.status()).isEqualTo(ToolCallResult.Status.FAILURE);
            assertThat(refused.result().output()).startsWith("tool 'stuck' is refused: 2 of its calls ran past their "
                    + "deadline and still hold threads");
            assertThat(call("other", Map.of()).isSuccess()).isTrue();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(problems("stuck")).singleElement()
                    .satisfies(p -> {
                        assertThat(p.kind()).isEqualTo(ToolProblem.Kind.OVERRUNNING);
                        assertThat(p.reason()).startsWith("2 call(s) of tool 'stuck' ran past their deadline")
                                .contains("toka-tool-");
                    }));
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> problems("stuck").isEmpty());
        assertThat(call("stuck", Map.of()).isSuccess()).as("calls resume once the threads are back").isTrue();
    }

    @Test
    void aQuickToolThatStartsToHangInlineSendsItsNextCallsToThePoolAtItsDeadline() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean hang = new AtomicBoolean();
        TestTool tool = TestTool.of("sometimes", Duration.ofMillis(200),
                inv -> hang.get() ? spinUntil(release) : ToolResult.success(Thread.currentThread().getName()));
        registerTool(tool);
        start(ToolRegistryImpl.guards(5, 60, 3, true));
        try {
            boolean inline = false;
            for (int i = 0; i < 10_000 && !inline; i++) {
                inline = !call("sometimes", Map.of()).result().output().startsWith("toka-tool-");
            }
            assertThat(inline).as("a quick tool runs on its caller's thread").isTrue();
            hang.set(true);
            Future<ToolCallResult> pinned = inBackground(() -> registry.invoke("sometimes", Map.of(), CALLER_CONTEXT));
            // past its deadline and ignoring the interrupt: accounted for, with the caller's thread it holds
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(problems("sometimes"))
                    .singleElement().satisfies(p -> assertThat(p.reason()).startsWith("1 call(s)")
                            .doesNotContain("toka-tool-")));
            // the next call is not run on this thread: it goes to the pool and is answered at its deadline
            assertThat(call("sometimes", Map.of()).status()).isEqualTo(ToolCallResult.Status.TIMEOUT);
            assertThat(pinned.isDone()).as("the inline call keeps its caller's thread").isFalse();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(problems("sometimes"))
                    .singleElement().satisfies(p -> assertThat(p.reason()).startsWith("2 call(s)")
                            .contains("toka-tool-")));
            assertThat(registry.find("sometimes")).isPresent();
        } finally {
            release.countDown();
        }
    }

    @Test
    void anOutOfMemoryCallQuarantinesTheTool() throws Exception {
        registerTool(TestTool.of("hog", inv -> {
            throw new OutOfMemoryError("Java heap space");
        }));
        start(ToolRegistryImpl.DEFAULT_GUARDS);

        ToolCallResult first = call("hog", Map.of());
        assertThat(first.status()).isEqualTo(ToolCallResult.Status.FAILURE);
        assertThat(first.result().output()).isEqualTo("tool 'hog' ran out of memory and is quarantined until its "
                + "bundle is redeployed");
        assertThat(call("hog", Map.of()).result().output()).contains("is quarantined: a call ran out of memory");
        assertThat(problems("hog")).singleElement().extracting(ToolProblem::kind)
                .isEqualTo(ToolProblem.Kind.QUARANTINED);
        assertThat(registry.names()).doesNotContain("hog");
    }

    @Test
    void withInlineCallsOffEveryCallRunsOnThePool() throws Exception {
        registerTool(TestTool.of("quick", inv -> ToolResult.success(Thread.currentThread().getName())));
        start(ToolRegistryImpl.guards(5, 60, 2, false));
        for (int i = 0; i < CallPace.STREAK * 2; i++) {
            assertThat(call("quick", Map.of()).result().output()).startsWith("toka-tool-");
        }
    }
}
