package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.CancellationSignal;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolCallResult.Status;
import io.toka.tool.CallObserver;
import io.toka.tool.CallObserver.LogLevel;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Calls with {@link CallOptions}: the observer hears the tool, the cancellation signal stops it. */
class ToolRegistryCallOptionsTest extends RegistryTestSupport {

    /** Generous bound for "quickly": far below the 30 s the blocking tools would otherwise wait. */
    private static final Duration QUICK = Duration.ofSeconds(5);

    /** Records what it hears, one line per report. */
    private static final class RecordingObserver implements CallObserver {
        final List<String> heard = new CopyOnWriteArrayList<>();

        @Override
        public void progress(double progress, Double total, String message) {
            heard.add("progress " + progress + "/" + total + " " + message);
        }

        @Override
        public void log(LogLevel level, String message) {
            heard.add("log " + level + " " + message);
        }
    }

    @Test
    void progressAndLogMessagesOfTheToolReachTheObserverInOrder() throws Exception {
        registerTool(TestTool.of("chatty", inv -> {
            inv.log(LogLevel.INFO, "starting");
            inv.progress(1, 2.0, "half");
            inv.progress(2, 2.0, "done");
            inv.log(LogLevel.WARNING, "almost");
            inv.progress(3, null, null);
            return ToolResult.success("ok");
        }));
        startRegistry();
        RecordingObserver observer = new RecordingObserver();

        ToolCallResult r = registry.invoke("chatty", Map.of(), CALLER_CONTEXT, new CallOptions(observer, null));

        assertThat(r.status()).isEqualTo(Status.SUCCESS);
        assertThat(observer.heard).containsExactly("log INFO starting", "progress 1.0/2.0 half",
                "progress 2.0/2.0 done", "log WARNING almost", "progress 3.0/null null");
    }

    @Test
    void anObserverThatThrowsDoesNotBreakTheTool() throws Exception {
        registerTool(TestTool.of("chatty", inv -> {
            inv.progress(1, 1.0, "x");
            inv.log(LogLevel.ERROR, "y");
            return ToolResult.success("still fine");
        }));
        startRegistry();
        CallObserver broken = new CallObserver() {
            @Override
            public void progress(double progress, Double total, String message) {
                throw new IllegalStateException("observer bug");
            }

            @Override
            public void log(LogLevel level, String message) {
                throw new IllegalStateException("observer bug");
            }
        };

        ToolCallResult r = registry.invoke("chatty", Map.of(), CALLER_CONTEXT, new CallOptions(broken, null));

        assertThat(r.status()).isEqualTo(Status.SUCCESS);
        assertThat(r.result().output()).isEqualTo("still fine");
    }

    @Test
    void theThreeArgumentInvokeUsesNoObserver() throws Exception {
        TestTool tool = TestTool.of("quiet", inv -> {
            inv.progress(1, 1.0, "ignored");
            return ToolResult.success("ok");
        });
        registerTool(tool);
        startRegistry();

        assertThat(call("quiet", Map.of()).isSuccess()).isTrue();
        assertThat(registry.invoke("quiet", Map.of(), CALLER_CONTEXT, null).isSuccess())
                .as("null options mean none").isTrue();
    }

    @Test
    void cancellingABlockingCallInterruptsTheToolAndAnswersCancelledQuickly() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        registerTool(TestTool.of("blocker", Duration.ofSeconds(60), inv -> {
            started.countDown();
            try {
                never.await(30, TimeUnit.SECONDS);
                return ToolResult.success("finished");
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
        }));
        startRegistry();
        CancellationSignal signal = new CancellationSignal();

        Future<ToolCallResult> call = inBackground(() -> registry.invoke("blocker", Map.of(), CALLER_CONTEXT,
                new CallOptions(CallObserver.NONE, signal)));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        signal.cancel("client went away");

        ToolCallResult r = call.get(QUICK.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(r.status()).isEqualTo(Status.CANCELLED);
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.result().isSuccess()).isFalse();
        assertThat(r.result().output()).isEqualTo("cancelled: client went away");
        assertThat(interrupted.await(5, TimeUnit.SECONDS)).as("the tool's thread is interrupted").isTrue();
    }

    @Test
    void cancellingACallWhoseToolIgnoresInterruptionStillAnswersAtOnce() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        registerTool(TestTool.of("stubborn", Duration.ofSeconds(60), inv -> {
            started.countDown();
            while (true) {
                try {
                    if (release.await(30, TimeUnit.SECONDS)) {
                        return ToolResult.success("released");
                    }
                } catch (InterruptedException ignored) {
                    // a badly behaved tool keeps going
                }
            }
        }));
        startRegistry(config(1, 256, 0));
        CancellationSignal signal = new CancellationSignal();

        Future<ToolCallResult> call = inBackground(() -> registry.invoke("stubborn", Map.of(), CALLER_CONTEXT,
                new CallOptions(CallObserver.NONE, signal)));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        signal.cancel(null);

        ToolCallResult r = call.get(QUICK.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(r.status()).isEqualTo(Status.CANCELLED);
        assertThat(r.result().output()).isEqualTo("cancelled: cancelled by the caller");
        assertThat(call("stubborn", Map.of()).result().output())
                .as("the tool still holds its permit until it really returns").contains("busy");
        release.countDown();
    }

    @Test
    void aSignalCancelledBeforeTheCallNeverRunsTheTool() throws Exception {
        TestTool tool = TestTool.of("never", inv -> ToolResult.success("ran"));
        registerTool(tool);
        startRegistry();
        CancellationSignal signal = new CancellationSignal();
        signal.cancel("too late");

        ToolCallResult r = registry.invoke("never", Map.of(), CALLER_CONTEXT,
                new CallOptions(CallObserver.NONE, signal));

        assertThat(r.status()).isEqualTo(Status.CANCELLED);
        assertThat(r.result().output()).isEqualTo("cancelled: too late");
        assertThat(tool.invocations).as("the tool never ran").isEmpty();
        assertThat(call("never", Map.of()).isSuccess()).as("its permit was given back").isTrue();
    }

    @Test
    void aCancelAfterTheCallFinishedChangesNothing() throws Exception {
        registerTool(TestTool.of("quick", inv -> ToolResult.success("done")));
        startRegistry();
        CancellationSignal signal = new CancellationSignal();

        ToolCallResult r = registry.invoke("quick", Map.of(), CALLER_CONTEXT, new CallOptions(CallObserver.NONE, signal));
        signal.cancel("after the fact");

        assertThat(r.status()).isEqualTo(Status.SUCCESS);
        assertThat(call("quick", Map.of()).isSuccess()).as("a later call on the same worker is not interrupted").isTrue();
    }
}
