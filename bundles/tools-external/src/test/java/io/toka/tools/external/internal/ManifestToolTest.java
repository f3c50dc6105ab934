package io.toka.tools.external.internal;

import io.toka.sandbox.testing.SandboxRequirement;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxException;
import io.toka.sandbox.SandboxLauncher;
import io.toka.sandbox.SandboxRequest;
import io.toka.sandbox.SandboxResult;
import io.toka.sandbox.internal.SandboxLauncherImpl;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs scripts for real, through the sandbox launcher with bubblewrap. */
class ManifestToolTest {

    static SandboxLauncherImpl launcher;
    @TempDir
    static Path work;
    @TempDir
    Path dir;
    final ManifestParser parser = new ManifestParser();
    final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void launcher() {
        launcher = SandboxLauncherImpl.withDefaults(work, false);
    }

    @AfterAll
    static void close() {
        launcher.close();
    }

    ManifestTool tool(String script, String scriptText, String manifest) throws Exception {
        SandboxRequirement.assumeNamespaces(launcher.isolation());
        // sandboxed programs run as an unprivileged user: granted paths must be readable by others
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve(script), scriptText);
        Files.setPosixFilePermissions(dir.resolve(script), PosixFilePermissions.fromString("rw-r--r--"));
        Path f = dir.resolve("t.tool.yaml");
        Files.writeString(f, manifest);
        ManifestParser.Result r = parser.parse(f);
        assertThat(r.problems()).isEmpty();
        return new ManifestTool(r.manifest(), launcher);
    }

    static ToolResult call(ManifestTool t, Map<String, Object> args) throws ToolException {
        return t.invoke(ToolInvocation.of(args, Duration.ofSeconds(30)));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> report(ToolResult r) {
        return (Map<String, Object>) r.structured();
    }

    static final String ECHO_ARGS = "#!/bin/bash\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n";

    @Test
    void shellScriptGetsNameValuePairsInParameterOrder() throws Exception {
        ManifestTool t = tool("echo.sh", ECHO_ARGS, """
                name: echo-args
                description: prints its arguments
                executable: echo.sh
                parameters:
                  - {name: path, type: string, required: true}
                  - {name: count, type: integer}
                  - {name: verbose, type: boolean, default: false}
                  - {name: tags, type: array}
                  - {name: opts, type: object}
                  - {name: absent, type: string}
                """);
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("opts", Map.of("k", "v"));
        args.put("count", 3);
        args.put("path", "a file.txt");
        args.put("tags", List.of("x", 2));
        ToolResult r = call(t, args);

        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(r.output()).isEqualTo("[--path]\n[a file.txt]\n[--count]\n[3]\n[--verbose]\n[false]\n"
                + "[--tags]\n[[\"x\",2]]\n[--opts]\n[{\"k\":\"v\"}]\n");
        Map<String, Object> rep = report(r);
        assertThat(rep).containsEntry("exit_code", 0).containsEntry("timed_out", false)
                .containsEntry("stdout_truncated", false).containsEntry("stderr_truncated", false)
                .containsKeys("stdout", "stderr", "limit_hit", "duration_ms", "isolation");
        assertThat(rep.get("isolation")).isNotNull();
    }

    @Test
    void pythonScriptGetsNameValuePairs() throws Exception {
        ManifestTool t = tool("greet.py", """
                import sys
                args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
                print("hello " + args["--who"] + " x" + args["--times"])
                """, """
                metadata: {name: greet, description: greets}
                spec:
                  executable: {type: python, path: greet.py}
                  parameters:
                    - {name: who, type: string, required: true}
                    - {name: times, type: integer, default: 2}
                """);
        ToolResult r = call(t, Map.of("who", "Ada"));
        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(r.output()).isEqualTo("hello Ada x2\n");
    }

    @Test
    void jsonModeSendsTheArgumentsOnStdin() throws Exception {
        ManifestTool t = tool("stdin.py", """
                import json, sys
                args = json.load(sys.stdin)
                print(json.dumps({"got": args, "argv": sys.argv[1:]}, sort_keys=True))
                """, """
                name: stdin-tool
                description: reads json
                executable: {path: stdin.py, arguments: json}
                parameters:
                  - {name: q, type: string}
                  - {name: n, type: number, default: 1.5}
                """);
        ToolResult r = call(t, Map.of("q", "$(id)"));
        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(json.readTree(r.output())).isEqualTo(json.readTree(
                "{\"argv\":[],\"got\":{\"n\":1.5,\"q\":\"$(id)\"}}"));
    }

    @Test
    void nonZeroExitIsAFailureWithTheLastStderrLine() throws Exception {
        ManifestTool t = tool("fail.sh", "#!/bin/bash\necho partial\necho first >&2\necho 'disk on fire' >&2\nexit 3\n", """
                name: failing
                description: fails
                executable: fail.sh
                """);
        ToolResult r = call(t, Map.of());
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.output()).isEqualTo("failing exited with code 3: disk on fire");
        assertThat(report(r)).containsEntry("exit_code", 3).containsEntry("stdout", "partial\n")
                .containsEntry("stderr", "first\ndisk on fire\n");
    }

    @Test
    void timeoutIsAFailure() throws Exception {
        ManifestTool t = tool("slow.sh", "#!/bin/bash\nsleep 30\n", """
                name: slow
                description: sleeps
                executable: slow.sh
                security: {sandbox: {timeout: 1s}}
                """);
        assertThat(t.descriptor().timeout()).isEqualTo(Duration.ofSeconds(3));
        long start = System.nanoTime();
        ToolResult r = call(t, Map.of());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.output()).isEqualTo("slow timed out after 1s");
        assertThat(report(r)).containsEntry("timed_out", true);
    }

    @Test
    void outputBeyondTheCapIsTruncated() throws Exception {
        ManifestTool t = tool("loud.sh", "#!/bin/bash\nhead -c 100000 /dev/zero | tr '\\0' 'x'\n", """
                name: loud
                description: prints a lot
                executable: loud.sh
                security: {sandbox: {output_limit: 1KB}}
                """);
        ToolResult r = call(t, Map.of());
        assertThat(report(r)).containsEntry("stdout_truncated", true);
        assertThat((String) report(r).get("stdout")).hasSizeLessThanOrEqualTo(1024);
    }

    @Test
    void shellMetacharactersArePassedLiterally() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        ManifestTool t = tool("echo.sh", ECHO_ARGS, """
                name: echo-args
                description: prints its arguments
                executable: echo.sh
                security: {sandbox: {writable_paths: [out]}}
                parameters:
                  - {name: a, type: string}
                  - {name: b, type: string}
                  - {name: c, type: string}
                """);
        String sub = "$(touch " + out + "/pwned)";
        String semi = "x; rm -rf " + out + "; touch " + out + "/pwned2";
        String tick = "`touch " + out + "/pwned3`";
        ToolResult r = call(t, Map.of("a", sub, "b", semi, "c", tick));
        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(r.output()).isEqualTo("[--a]\n[" + sub + "]\n[--b]\n[" + semi + "]\n[--c]\n[" + tick + "]\n");
        assertThat(out).isDirectory().isEmptyDirectory();
    }

    @Test
    void aScriptInADirectoryTheSandboxUserCannotReachStillRuns() throws Exception {
        ManifestTool t = tool("private.py", "print('private ok')\n", """
                name: private
                description: lives in an owner-only directory
                executable: private.py
                """);
        // like a script under /root: owner-only, so the sandbox user could not open it on the host
        Files.setPosixFilePermissions(dir.resolve("private.py"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        ToolResult r = call(t, Map.of());
        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(r.output()).isEqualTo("private ok\n");
    }

    @Test
    void writablePathsAreWritableAndTheHostScriptIsNot() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        ManifestTool t = tool("write.sh", "#!/bin/bash\necho data > " + out + "/result.txt && echo ok\n"
                + "echo more >> \"$0\" 2>/dev/null && echo script-writable || echo script-readonly\n", """
                name: writer
                description: writes
                executable: write.sh
                security: {sandbox: {writable_paths: [out]}}
                """);
        // even a script file anyone may write on the host cannot be changed from inside: the sandbox runs a copy
        Files.setPosixFilePermissions(dir.resolve("write.sh"), PosixFilePermissions.fromString("rw-rw-rw-"));
        String before = Files.readString(dir.resolve("write.sh"));
        ToolResult r = call(t, Map.of());
        assertThat(r.output()).startsWith("ok\n");
        assertThat(out.resolve("result.txt")).hasContent("data");
        assertThat(dir.resolve("write.sh")).hasContent(before.strip());
    }

    @Test
    void serialToolsRunOneCallAtATime() throws Exception {
        ManifestTool t = tool("s.sh", "#!/bin/bash\nsleep 0.3\necho done\n", """
                name: serial
                description: one at a time
                executable: s.sh
                interface: {parallel_safe: false}
                """);
        AtomicReference<ToolResult> other = new AtomicReference<>();
        Thread th = new Thread(() -> {
            try {
                other.set(call(t, Map.of()));
            } catch (ToolException e) {
                other.set(ToolResult.failure(e.getMessage()));
            }
        });
        long start = System.nanoTime();
        th.start();
        ToolResult mine = call(t, Map.of());
        th.join();
        assertThat(mine.isSuccess()).isTrue();
        assertThat(other.get().isSuccess()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
    }

    @Test
    void interruptionKillsTheRunAndSaysInterrupted() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        ManifestTool t = tool("slow.sh", "#!/bin/bash\ntouch " + out + "/started\nsleep 30\n", """
                name: slow
                description: sleeps
                executable: slow.sh
                security: {sandbox: {writable_paths: [out]}}
                """);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread th = new Thread(() -> {
            try {
                call(t, Map.of());
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        th.start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(out.resolve("started")));
        long start = System.nanoTime();
        th.interrupt();
        th.join(10_000);
        assertThat(th.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(thrown.get()).isInstanceOf(ToolException.class).hasMessage("interrupted");
    }

    @Test
    void sandboxFailuresBecomeToolExceptions() throws Exception {
        Files.writeString(dir.resolve("x.sh"), "echo\n");
        Path f = dir.resolve("t.tool.yaml");
        Files.writeString(f, "name: x\ndescription: d\nexecutable: x.sh\n");
        SandboxLauncher broken = new SandboxLauncher() {
            @Override
            public SandboxResult run(SandboxRequest request) throws SandboxException {
                throw new SandboxException("the sandbox is required but bubblewrap is missing");
            }

            @Override
            public Isolation isolation() {
                return new Isolation(Isolation.Level.NONE, false, false, false, "none", List.of());
            }
        };
        ManifestTool t = new ManifestTool(parser.parse(f).manifest(), broken);
        assertThatThrownBy(() -> call(t, Map.of())).isInstanceOf(ToolException.class)
                .hasMessage("the sandbox is required but bubblewrap is missing");
    }

    @Test
    void degradedRunsAreMarked() throws Exception {
        Files.writeString(dir.resolve("x.sh"), "echo\n");
        Path f = dir.resolve("t.tool.yaml");
        Files.writeString(f, "name: x\ndescription: d\nexecutable: x.sh\n");
        AtomicReference<SandboxRequest> seen = new AtomicReference<>();
        SandboxLauncher degraded = new SandboxLauncher() {
            @Override
            public SandboxResult run(SandboxRequest request) {
                seen.set(request);
                return new SandboxResult(0, "hi".getBytes(), false, new byte[0], false, false, null,
                        Duration.ofMillis(5), -1, -1, Isolation.Level.DEGRADED);
            }

            @Override
            public Isolation isolation() {
                return new Isolation(Isolation.Level.DEGRADED, false, false, true, "none", List.of());
            }
        };
        ManifestTool t = new ManifestTool(parser.parse(f).manifest(), degraded);
        ToolResult r = call(t, Map.of());
        assertThat(r.isSuccess()).isTrue();
        assertThat(report(r)).containsEntry("degraded", true).containsEntry("isolation", "DEGRADED");
        assertThat(seen.get().command()).containsExactly("/bin/bash", "/work/x.sh");
        assertThat(seen.get().files()).containsOnlyKeys("x.sh");
        assertThat(seen.get().readOnlyPaths()).isEmpty();
        assertThat(seen.get().allowNetwork()).isFalse();
        assertThat(seen.get().limits().maxOutputBytes()).isEqualTo(1L << 20);
        assertThat(seen.get().environment()).containsEntry("TOKA_TOOL", "x");
    }

    /** A tool from a minimal manifest whose sandbox answers with the given stdout (and truncation flag). */
    private ManifestTool printing(String manifestExtra, String stdout, boolean truncated) throws Exception {
        Files.writeString(dir.resolve("x.sh"), "echo\n");
        Path f = dir.resolve("t.tool.yaml");
        Files.writeString(f, "name: x\ndescription: d\nexecutable: x.sh\n" + manifestExtra);
        ManifestParser.Result parsed = parser.parse(f);
        assertThat(parsed.problems()).isEmpty();
        SandboxLauncher fake = new SandboxLauncher() {
            @Override
            public SandboxResult run(SandboxRequest request) {
                return new SandboxResult(0, stdout.getBytes(), truncated, new byte[0], false, false, null,
                        Duration.ofMillis(5), -1, -1, Isolation.Level.FULL);
            }

            @Override
            public Isolation isolation() {
                return new Isolation(Isolation.Level.FULL, true, true, true, "none", List.of());
            }
        };
        return new ManifestTool(parsed.manifest(), fake);
    }

    static final String COUNT_SCHEMA = """
            title: Count the words
            outputSchema:
              type: object
              properties: {words: {type: integer}}
            """;

    @Test
    void theDescriptorCarriesTitleAndOutputSchema() throws Exception {
        ManifestTool t = printing(COUNT_SCHEMA, "{}", false);
        assertThat(t.descriptor().title()).isEqualTo("Count the words");
        assertThat(json.readTree(t.descriptor().outputSchema()))
                .isEqualTo(json.readTree("{\"type\":\"object\",\"properties\":{\"words\":{\"type\":\"integer\"}}}"));
        ManifestTool plain = printing("", "hi", false);
        assertThat(plain.descriptor().title()).isNull();
        assertThat(plain.descriptor().outputSchema()).isNull();
    }

    @Test
    void withAnOutputSchemaTheJsonObjectPrintedIsTheStructuredResult() throws Exception {
        ToolResult r = call(printing(COUNT_SCHEMA, "{\"words\": 3, \"top\": [\"a\"]}\n", false), Map.of());
        assertThat(r.isSuccess()).as(r.output()).isTrue();
        assertThat(r.structured()).isEqualTo(Map.of("words", 3, "top", List.of("a")));
        assertThat(r.output()).isEqualTo("{\"words\": 3, \"top\": [\"a\"]}\n");
    }

    @Test
    void withoutAnOutputSchemaTheStructuredResultIsTheRunReport() throws Exception {
        ToolResult r = call(printing("", "{\"words\": 3}", false), Map.of());
        assertThat(report(r)).containsEntry("exit_code", 0).containsKey("isolation");
    }

    @Test
    void withAnOutputSchemaOutputThatIsNotOneJsonObjectIsAFailure() throws Exception {
        assertThat(call(printing(COUNT_SCHEMA, "words: 3", false), Map.of()).output())
                .startsWith("x declares an outputSchema but its output is not JSON");
        assertThat(call(printing(COUNT_SCHEMA, "[1, 2]", false), Map.of()).output())
                .isEqualTo("x declares an outputSchema but its output is a JSON array, not a JSON object");
        assertThat(call(printing(COUNT_SCHEMA, "", false), Map.of()).output())
                .isEqualTo("x declares an outputSchema but its output is empty, not a JSON object");
        assertThat(call(printing(COUNT_SCHEMA, "{\"words\": 1} {\"words\": 2}", false), Map.of()).output())
                .as("one object, nothing after it").startsWith("x declares an outputSchema but its output is not JSON");
        ToolResult cut = call(printing(COUNT_SCHEMA, "{\"words\": 1}", true), Map.of());
        assertThat(cut.isSuccess()).isFalse();
        assertThat(cut.output()).contains("cut at the output limit");
        assertThat(report(cut)).containsEntry("stdout_truncated", true);
    }
}
