package io.toka.examples.hello;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.CallObserver;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CountdownToolTest {

    private final CountdownTool tool = new CountdownTool("1.0.0");
    private final List<String> heard = new CopyOnWriteArrayList<>();
    private final CallObserver observer = new CallObserver() {
        @Override
        public void progress(double progress, Double total, String message) {
            heard.add("progress " + (int) progress + "/" + total.intValue() + " " + message);
        }

        @Override
        public void log(LogLevel level, String message) {
            heard.add(level + " " + message);
        }
    };

    private ToolResult call(Map<String, Object> args) throws ToolException {
        return tool.invoke(new ToolInvocation(args, "test", Instant.now().plusSeconds(60), observer));
    }

    @Test
    void describesItself() {
        assertThat(tool.descriptor().name()).isEqualTo("countdown");
        assertThat(tool.descriptor().title()).isEqualTo("Count down");
        assertThat(tool.descriptor().inputSchema()).contains("\"steps\"").contains("\"delayMs\"");
        assertThat(tool.descriptor().outputSchema()).contains("\"required\": [\"steps\"]");
        assertThat(tool.descriptor().timeout()).as("long enough for 100 steps of 10 s")
                .isGreaterThan(Duration.ofSeconds(1000));
    }

    @Test
    void reportsProgressAndALogMessageAtEveryStep() throws Exception {
        ToolResult r = call(Map.of("steps", 3, "delayMs", 0));

        assertThat(r.isSuccess()).isTrue();
        assertThat(r.output()).isEqualTo("Counted down 3 steps.");
        assertThat(r.structured()).isEqualTo(Map.of("steps", 3));
        assertThat(heard).containsExactly(
                "progress 1/3 step 1 of 3", "INFO countdown: step 1 of 3, 2 to go",
                "progress 2/3 step 2 of 3", "INFO countdown: step 2 of 3, 1 to go",
                "progress 3/3 step 3 of 3", "INFO countdown: step 3 of 3, 0 to go");
    }

    @Test
    void defaultsToFiveSteps() throws Exception {
        ToolResult r = tool.invoke(ToolInvocation.of(Map.of("delayMs", 0), Duration.ofSeconds(10)));
        assertThat(r.structured()).isEqualTo(Map.of("steps", 5));
    }

    @Test
    void anInterruptStopsItAtTheCurrentStep() throws Exception {
        CountDownLatch firstStep = new CountDownLatch(1);
        CallObserver onFirst = new CallObserver() {
            @Override
            public void progress(double progress, Double total, String message) {
                firstStep.countDown();
            }

            @Override
            public void log(LogLevel level, String message) {
            }
        };
        FutureTask<ToolResult> result = new FutureTask<>(() -> tool.invoke(new ToolInvocation(
                Map.of("steps", 100, "delayMs", 10_000), "test", Instant.now().plusSeconds(60), onFirst)));
        Thread runner = new Thread(result, "countdown");
        runner.start();
        // 10 s before the first step: the interrupt comes during the first wait (or before it, which stops it too)
        runner.interrupt();

        ToolResult r = result.get(5, TimeUnit.SECONDS);
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.output()).isEqualTo("interrupted at step 1");
        assertThat(firstStep.getCount()).as("no step was reported").isEqualTo(1);
    }

    @Test
    void refusesArgumentsOutsideTheSchemaWhenCalledDirectly() {
        assertThatThrownBy(() -> call(Map.of("steps", 0))).isInstanceOf(ToolException.class)
                .hasMessage("argument 'steps' must be an integer from 1 to 100");
        assertThatThrownBy(() -> call(Map.of("steps", 2.5))).isInstanceOf(ToolException.class);
        assertThatThrownBy(() -> call(Map.of("delayMs", "fast"))).isInstanceOf(ToolException.class)
                .hasMessage("argument 'delayMs' must be an integer from 0 to 10000");
    }
}
