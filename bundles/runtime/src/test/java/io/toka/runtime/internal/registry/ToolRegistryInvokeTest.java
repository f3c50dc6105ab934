package io.toka.runtime.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolCallResult.Status;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Calling tools: validation, failure isolation, timeouts and concurrency limits. */
class ToolRegistryInvokeTest extends RegistryTestSupport {

    private static final String PATH_SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1},
                "count": {"type": "integer", "minimum": 1},
                "tags": {"type": "array", "items": {"type": "string"}},
                "options": {"type": "object", "properties": {"depth": {"type": "integer"}}}
              },
              "required": ["path"],
              "additionalProperties": false
            }""";

    /** Generous bound for "quickly": far below the 10 s the blocking tools would otherwise wait. */
    private static final Duration QUICK = Duration.ofSeconds(3);

    private final CountDownLatch release = new CountDownLatch(1);

    /** A behaviour that signals it started, then blocks until the test releases it. */
    private TestTool.Behaviour blockUntilReleased(CountDownLatch started, String answer) {
        return inv -> {
            started.countDown();
            if (!release.await(10, TimeUnit.SECONDS)) {
                return ToolResult.failure("test never released the tool");
            }
            return ToolResult.success(answer);
        };
    }

    @Test
    void aSuccessfulCallPassesArgumentsCallerAndDeadlineAndReportsTheVersion() throws Exception {
        TestTool tool = new TestTool(ToolDescriptor.builder("echo").version("3.1.4").inputSchema(PATH_SCHEMA)
                .timeout(Duration.ofSeconds(7)).build(),
                inv -> ToolResult.success("read " + inv.arguments().get("path"), Map.of("n", inv.arguments().get("count"))));
        registerTool(tool);
        startRegistry();

        Instant before = Instant.now();
        ToolCallResult r = call("echo", Map.of("path", "a.txt", "count", 2));

        assertThat(r.status()).isEqualTo(Status.SUCCESS);
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.result().output()).isEqualTo("read a.txt");
        assertThat(r.result().structured()).isEqualTo(Map.of("n", 2));
        assertThat(r.toolVersion()).isEqualTo("3.1.4");
        assertThat(r.durationNanos()).isPositive();
        ToolInvocation inv = tool.invocations.get(0);
        assertThat(inv.caller()).isEqualTo(CALLER);
        assertThat(inv.arguments()).isEqualTo(Map.of("path", "a.txt", "count", 2));
        assertThat(inv.deadline()).isBetween(before.plusSeconds(6), Instant.now().plusSeconds(7));
    }

    @Test
    void nullArgumentsAreAnEmptyObject() throws Exception {
        TestTool tool = TestTool.of("noargs", inv -> ToolResult.success("args=" + inv.arguments()));
        registerTool(tool);
        startRegistry();

        assertThat(registry.invoke("noargs", null, CALLER_CONTEXT).result().output()).isEqualTo("args={}");
    }

    @Test
    void unknownToolIsReportedAtOnceEvenWithASwapWait() {
        registerTool(TestTool.answering("known", "1"));
        startRegistry(config(64, 256, 2000));

        long start = System.nanoTime();
        assertThatThrownBy(() -> call("never-registered", Map.of()))
                .isInstanceOfSatisfying(UnknownToolException.class,
                        e -> assertThat(e.toolName()).isEqualTo("never-registered"))
                .hasMessage("unknown tool 'never-registered'");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aMissingRequiredArgumentIsRefusedNamingIt() {
        TestTool tool = new TestTool(ToolDescriptor.builder("reader").inputSchema(PATH_SCHEMA).build(),
                inv -> ToolResult.success("ran"));
        registerTool(tool);
        startRegistry();

        assertThatThrownBy(() -> call("reader", Map.of()))
                .isInstanceOfSatisfying(InvalidArgumentsException.class,
                        e -> assertThat(e.violations()).singleElement().asString().contains("path").contains("required"))
                .hasMessageStartingWith("invalid arguments for tool 'reader': ")
                .hasMessageContaining("path");
        assertThat(tool.invocations).as("the tool must not run on invalid arguments").isEmpty();
    }

    @Test
    void anArgumentOfTheWrongTypeIsRefusedNamingIt() {
        TestTool tool = new TestTool(ToolDescriptor.builder("reader").inputSchema(PATH_SCHEMA).build(),
                inv -> ToolResult.success("ran"));
        registerTool(tool);
        startRegistry();

        assertThatThrownBy(() -> call("reader", Map.of("path", 42)))
                .isInstanceOfSatisfying(InvalidArgumentsException.class,
                        e -> assertThat(e.violations()).singleElement().asString()
                                .startsWith("argument 'path': ").contains("string"));
        assertThatThrownBy(() -> call("reader", Map.of("path", "a", "count", "many")))
                .isInstanceOfSatisfying(InvalidArgumentsException.class,
                        e -> assertThat(e.violations()).singleElement().asString()
                                .startsWith("argument 'count': ").contains("integer"));
        assertThatThrownBy(() -> call("reader", Map.of("path", "a", "tags", List.of("ok", 7))))
                .isInstanceOfSatisfying(InvalidArgumentsException.class,
                        e -> assertThat(e.violations()).singleElement().asString()
                                .startsWith("argument 'tags[1]': ").contains("string"));
        assertThatThrownBy(() -> call("reader", Map.of("path", "a", "options", Map.of("depth", "deep"))))
                .isInstanceOfSatisfying(InvalidArgumentsException.class,
                        e -> assertThat(e.violations()).singleElement().asString()
                                .startsWith("argument 'options.depth': ").contains("integer"));
        assertThatThrownBy(() -> call("reader", Map.of("path", "a", "colour", "red")))
                .isInstanceOf(InvalidArgumentsException.class)
                .hasMessageContaining("colour");
        assertThat(tool.invocations).isEmpty();
    }

    /** Found by SchemaFuzzTest: a looping $ref overflowed the stack, which reached the HTTP layer as a 500. */
    @Test
    void aSchemaThatRecursesWithoutEndIsTheToolsFailureNotTheCallers() throws Exception {
        TestTool loopsAlways = new TestTool(ToolDescriptor.builder("loops").inputSchema("{\"$ref\":\"#\"}").build(),
                inv -> ToolResult.success("ran"));
        TestTool loopsOnA = new TestTool(ToolDescriptor.builder("loops-on-a")
                .inputSchema("{\"properties\":{\"a\":{\"$ref\":\"#/properties/a\"}}}").build(),
                inv -> ToolResult.success("ran"));
        // found later (stop 24): with a pattern beside the loop, the overflow strikes inside java.util.regex, which
        // reports it as a PatternSyntaxException that the validator wraps: it escaped as a RuntimeException
        TestTool loopsWithPattern = new TestTool(ToolDescriptor.builder("loops-pattern")
                .inputSchema("{\"$ref\":\"\",\"pattern\":\"^(a+)+$\"}").build(), inv -> ToolResult.success("ran"));
        registerTool(loopsAlways);
        registerTool(loopsOnA);
        registerTool(loopsWithPattern);
        startRegistry();

        ToolCallResult withPattern = call("loops-pattern", Map.of());
        assertThat(withPattern.status()).isEqualTo(ToolCallResult.Status.FAILURE);
        assertThat(withPattern.result().output()).contains("invalid input schema").contains("recurses without end");
        assertThat(loopsWithPattern.invocations).isEmpty();

        ToolCallResult always = call("loops", Map.of());
        assertThat(always.status()).isEqualTo(ToolCallResult.Status.FAILURE);
        assertThat(always.result().output()).contains("invalid input schema").contains("recurses without end");

        assertThat(call("loops-on-a", Map.of()).isSuccess()).isTrue();
        ToolCallResult reached = call("loops-on-a", Map.of("a", 1));
        assertThat(reached.status()).isEqualTo(ToolCallResult.Status.FAILURE);
        assertThat(reached.result().output()).isEqualTo("tool 'loops-on-a' cannot check its arguments: "
                + SchemaCompiler.ENDLESS);
        assertThat(loopsAlways.invocations).isEmpty();
        assertThat(loopsOnA.invocations).hasSize(1);
    }

    @Test
    void everyViolationIsReported() {
        registerTool(new TestTool(ToolDescriptor.builder("reader").inputSchema(PATH_SCHEMA).build(),
                inv -> ToolResult.success("ran")));
        startRegistry();

        assertThatThrownBy(() -> call("reader", Map.of("path", "", "count", 0)))
                .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> assertThat(e.violations())
                        .hasSize(2)
                        .anySatisfy(v -> assertThat(v).startsWith("argument 'path': "))
                        .anySatisfy(v -> assertThat(v).startsWith("argument 'count': ")));
    }

    @Test
    void aRuntimeExceptionBecomesAFailureWithoutInternals() throws Exception {
        registerTool(TestTool.of("buggy", inv -> {
            throw new IllegalStateException("secret connection string jdbc://admin:hunter2@db");
        }));
        startRegistry();

        ToolCallResult r = call("buggy", Map.of());

        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().isSuccess()).isFalse();
        assertThat(r.result().output())
                .contains("tool 'buggy'")
                .contains("internal error")
                .doesNotContain("IllegalStateException")
                .doesNotContain("hunter2")
                .doesNotContain("Exception")
                .doesNotContain("\tat ")
                .doesNotContain("io.toka");
    }

    @Test
    void aToolExceptionMessageIsPassedThrough() throws Exception {
        registerTool(TestTool.of("strict", inv -> {
            throw new ToolException("file 'x.txt' does not exist", new IllegalStateException("hidden cause"));
        }));
        registerTool(TestTool.of("mute", inv -> {
            throw new ToolException(" ");
        }));
        startRegistry();

        ToolCallResult r = call("strict", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().output()).isEqualTo("file 'x.txt' does not exist");

        assertThat(call("mute", Map.of()).result().output()).isEqualTo("tool 'mute' failed");
    }

    @Test
    void aFailureResultIsAFailure() throws Exception {
        registerTool(TestTool.of("sad", inv -> ToolResult.failure("nothing to do")));
        startRegistry();

        ToolCallResult r = call("sad", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().output()).isEqualTo("nothing to do");
    }

    @Test
    void aNullResultIsAFailure() throws Exception {
        registerTool(TestTool.of("void", inv -> null));
        startRegistry();

        ToolCallResult r = call("void", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().isSuccess()).isFalse();
        assertThat(r.result().output()).contains("tool 'void'").contains("no result");
    }

    @Test
    void aToolThatOverrunsItsTimeoutTimesOutQuicklyAndIsInterrupted() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        registerTool(TestTool.of("slow", Duration.ofMillis(200), inv -> {
            try {
                never.await(30, TimeUnit.SECONDS);
                return ToolResult.success("finished");
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
        }));
        startRegistry();

        long start = System.nanoTime();
        ToolCallResult r = call("slow", Map.of());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(r.status()).isEqualTo(Status.TIMEOUT);
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.result().output()).isEqualTo("tool 'slow' timed out after 200 ms");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(200)).isLessThan(QUICK);
        assertThat(interrupted.await(5, TimeUnit.SECONDS)).as("the tool's thread is interrupted").isTrue();
    }

    @Test
    void aTimedOutCallFreesItsPermit() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch never = new CountDownLatch(1);
        registerTool(TestTool.of("once-slow", Duration.ofMillis(200), inv -> {
            if (calls.incrementAndGet() == 1) {
                never.await(30, TimeUnit.SECONDS); // interrupted at the timeout
            }
            return ToolResult.success("fast now");
        }));
        startRegistry(config(1, 256, 0));

        assertThat(call("once-slow", Map.of()).status()).isEqualTo(Status.TIMEOUT);
        // the permit comes back once the interrupted thread has unwound; until then the call is 'busy'
        await().atMost(QUICK).pollInterval(Duration.ofMillis(10)).untilAsserted(() ->
                assertThat(call("once-slow", Map.of()).result().output()).isEqualTo("fast now"));
    }

    @Test
    void aSlowToolDoesNotBlockAFastOne() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        registerTool(TestTool.of("slow", blockUntilReleased(started, "slow done")));
        registerTool(TestTool.answering("fast", "1"));
        startRegistry();

        Future<ToolCallResult> slow = callAsync("slow", Map.of());
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        ToolCallResult fast = call("fast", Map.of());
        assertThat(fast.isSuccess()).isTrue();
        assertThat(fast.result().output()).isEqualTo("fast 1");
        assertThat(slow).as("the slow call is still running").isNotDone();

        release.countDown();
        assertThat(slow.get(5, TimeUnit.SECONDS).result().output()).isEqualTo("slow done");
    }

    @Test
    void callsBeyondThePerToolCapAreRefusedAsBusy() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        TestTool blocked = TestTool.of("blocked", blockUntilReleased(started, "done"));
        registerTool(blocked);
        registerTool(TestTool.answering("other", "1"));
        startRegistry(config(1, 256, 0));

        Future<ToolCallResult> first = callAsync("blocked", Map.of());
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        ToolCallResult second = call("blocked", Map.of());
        assertThat(second.status()).isEqualTo(Status.FAILURE);
        assertThat(second.result().output()).contains("tool 'blocked' is busy").contains("1 calls");
        assertThat(blocked.invocations).as("the refused call never reached the tool").hasSize(1);
        assertThat(call("other", Map.of()).isSuccess()).as("the cap is per tool").isTrue();

        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).isSuccess()).isTrue();
        assertThat(call("blocked", Map.of()).isSuccess()).as("the permit is back").isTrue();
    }

    @Test
    void callsBeyondTheThreadPoolAreRefusedAsOverloaded() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        registerTool(TestTool.of("hog", blockUntilReleased(started, "done")));
        registerTool(TestTool.answering("other", "1"));
        startRegistry(config(64, 1, 0));

        Future<ToolCallResult> first = callAsync("hog", Map.of());
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        ToolCallResult r = call("other", Map.of());
        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().output()).contains("overloaded");

        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).isSuccess()).isTrue();
    }

    @Test
    void deactivationInterruptsRunningCalls() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        registerTool(TestTool.of("stuck", inv -> {
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
        callAsync("stuck", Map.of());
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        registry.deactivate();

        assertThat(interrupted.await(5, TimeUnit.SECONDS))
                .as("a call still running when the registry goes away is interrupted").isTrue();
    }

    @Test
    void aDescriptorNameThatDiffersFromTheServicePropertyIsAFailure() throws Exception {
        TestTool tool = TestTool.answering("real-name", "1");
        register("alias", tool);
        startRegistry();

        ToolCallResult r = call("alias", Map.of());

        assertThat(r.status()).isEqualTo(Status.FAILURE);
        assertThat(r.result().output()).contains("misconfigured").contains("'alias'").contains("'real-name'");
        assertThat(tool.invocations).isEmpty();
        assertThatThrownBy(() -> call("real-name", Map.of())).isInstanceOf(UnknownToolException.class);
    }

    @Test
    void anInvalidInputSchemaIsAFailure() throws Exception {
        Map<String, String> schemas = new HashMap<>();
        schemas.put("not-json", "{\"type\": ");
        schemas.put("array", "[\"type\", \"object\"]");
        schemas.put("number", "42");
        schemas.put("bad-keyword", "{\"type\": 42}");
        for (var e : schemas.entrySet()) {
            registerTool(new TestTool(ToolDescriptor.builder(e.getKey()).inputSchema(e.getValue()).build(),
                    inv -> ToolResult.success("ran")));
        }
        startRegistry();

        for (String name : List.of("not-json", "array", "number", "bad-keyword")) {
            ToolCallResult r = call(name, Map.of());
            assertThat(r.status()).as(name).isEqualTo(Status.FAILURE);
            assertThat(r.result().output()).as(name)
                    .startsWith("tool '" + name + "' has an invalid input schema");
        }
        assertThat(call("not-json", Map.of()).result().output()).contains("not valid JSON");
        assertThat(call("array", Map.of()).result().output()).contains("must be a JSON object or boolean");
        assertThat(call("bad-keyword", Map.of()).result().output()).contains("not a valid JSON Schema 2020-12");
    }
}
