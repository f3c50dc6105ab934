package io.toka.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code toka tools register}: the copy into Toka's tools directory and its refusals. The fake Toka "loads" what
 * lands in {@code $TOKA_HOME/tools} as Toka's watcher would: a manifest becomes a live tool of its version, or,
 * when it holds the line {@code # BROKEN}, a manifest error stamped with the time it was first seen; one holding
 * {@code # IGNORED} is never loaded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegisterTest {

    static final String WORD_COUNT = """
            metadata:
              name: word-count
              version: "1.2.0"
              description: Counts words
            spec:
              executable:
                type: python
                path: scripts/wc.py
            """;
    static final String HELLO = """
            name: hello
            version: 2.0.0
            description: Says hello
            executable: hello.sh
            """;
    private static final Pattern NAME = Pattern.compile("(?m)^\\s*name:\\s*(\\S+)");
    private static final Pattern VERSION = Pattern.compile("(?m)^\\s*version:\\s*\"?([^\"\\s]+)");

    @TempDir
    Path tmp;
    Path home;
    Path tools;
    Path src;
    FakeToka toka;
    final Map<Path, Instant> broken = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        home = Files.createDirectories(tmp.resolve("toka"));
        tools = Files.createDirectories(home.resolve("tools"));
        src = Files.createDirectories(tmp.resolve("src"));
        toka = new FakeToka();
        toka.on("GET", "/tools", r -> {
            StringBuilder sb = new StringBuilder("{\"tools\":[{\"name\":\"file-reader\",\"version\":\"1.0.0\"}");
            for (String name : List.of("word-count", "hello", "other")) {
                String version = loaded(name);
                if (version != null) {
                    sb.append(",{\"name\":\"").append(name).append("\",\"version\":\"").append(version).append("\"}");
                }
            }
            return FakeToka.json(200, sb.append("]}").toString());
        });
        toka.on("GET", "/tools/errors", r -> {
            StringBuilder sb = new StringBuilder("{\"errors\":[");
            for (Path f : manifests()) {
                if (Files.readString(f).contains("# BROKEN")) {
                    Instant at = broken.computeIfAbsent(f, k -> Instant.now());
                    sb.append(sb.charAt(sb.length() - 1) == '[' ? "" : ",").append("{\"file\":\"").append(f)
                            .append("\",\"field\":\"spec.executable.path\",\"problem\":\"'missing.sh' does not exist\","
                                    + "\"at\":\"").append(at).append("\"}");
                }
            }
            return FakeToka.json(200, sb.append("]}").toString());
        });
    }

    @AfterEach
    void stop() {
        toka.close();
    }

    private List<Path> manifests() throws IOException {
        try (Stream<Path> s = Files.list(tools)) {
            return s.filter(p -> p.toString().endsWith(".tool.yaml")).toList();
        }
    }

    /** The version of the tool a manifest in tools/ defines, or null. */
    private String loaded(String name) {
        try {
            for (Path f : manifests()) {
                String text = Files.readString(f);
                Matcher n = NAME.matcher(text);
                if (n.find() && n.group(1).equals(name) && !text.contains("# BROKEN") && !text.contains("# IGNORED")) {
                    Matcher v = VERSION.matcher(text);
                    return v.find() ? v.group(1) : "1.0.0";
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Cli register(String... more) {
        String[] args = Stream.concat(Stream.of("tools", "register", "--manifest-dir", src.toString()),
                Stream.of(more)).toArray(String[]::new);
        return Cli.run(Cli.env(toka, "TOKA_HOME", home.toString()), args);
    }

    private void write(String relative, String content, String mode) throws IOException {
        Path f = src.resolve(relative);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    }

    private List<String> toolsTree() throws IOException {
        try (Stream<Path> s = Files.walk(tools)) {
            return s.filter(p -> !p.equals(tools)).map(p -> tools.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void copiesManifestsAndTheirScriptsAndReportsEachToolLive() throws IOException {
        write("word-count.tool.yaml", WORD_COUNT, "rw-r-----");
        write("scripts/wc.py", "print('hi')\n", "rwxr-x---");
        write("hello.tool.yaml", HELLO, "rw-r--r--");
        write("hello.sh", "echo hello\n", "rwx------");
        write("notes.txt", "not copied", "rw-r--r--");
        Cli r = register();
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly("hello 2.0.0: live", "word-count 1.2.0: live");
        assertThat(r.err()).contains("copied word-count.tool.yaml (tool 'word-count', with scripts/wc.py) to "
                + tools.toRealPath());
        assertThat(toolsTree()).containsExactly("hello.sh", "hello.tool.yaml", "scripts", "scripts/wc.py",
                "word-count.tool.yaml");
        assertThat(Files.readString(tools.resolve("scripts/wc.py"))).isEqualTo("print('hi')\n");
        assertThat(Files.readString(tools.resolve("word-count.tool.yaml"))).isEqualTo(WORD_COUNT);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tools.resolve("scripts/wc.py"))))
                .isEqualTo("rwxr-x---");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tools.resolve("hello.sh"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tools.resolve("word-count.tool.yaml"))))
                .isEqualTo("rw-r-----");
    }

    @Test
    void aManifestTokaRefusesIsReportedWithItsProblem() throws IOException {
        write("hello.tool.yaml", HELLO + "# BROKEN\n", "rw-r--r--");
        write("hello.sh", "echo hello\n", "rwx------");
        Cli r = register();
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("hello 2.0.0: error: spec.executable.path: 'missing.sh' does not exist\n");
    }

    @Test
    void anUpdateOfTheSameVersionIsLiveOnlyWithoutAFreshError() throws IOException {
        Files.writeString(tools.resolve("hello.tool.yaml"), HELLO);
        write("hello.tool.yaml", HELLO + "# a comment\n", "rw-r--r--");
        write("hello.sh", "echo hello again\n", "rwx------");
        Cli r = register();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("hello 2.0.0: live\n");
        assertThat(Files.readString(tools.resolve("hello.tool.yaml"))).endsWith("# a comment\n");
    }

    @Test
    void aToolTokaNeverLoadsTimesOut() throws IOException {
        write("other.tool.yaml", HELLO.replace("name: hello", "name: other") + "# IGNORED\n", "rw-r--r--");
        write("hello.sh", "echo\n", "rwx------");
        Cli r = register("--wait", "1s");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).startsWith("other 2.0.0: not live after 1 s").contains("see 'toka tools errors'");
    }

    @Test
    void aScriptOutsideTheDirectoryIsRefusedAndNothingIsCopied() throws IOException {
        Files.writeString(tmp.resolve("outside.sh"), "echo secret\n");
        write("a.tool.yaml", HELLO, "rw-r--r--");
        write("hello.sh", "echo\n", "rwx------");
        write("z.tool.yaml", HELLO.replace("name: hello", "name: other").replace("hello.sh", "../outside.sh"),
                "rw-r--r--");
        Cli r = register();
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("z.tool.yaml: executable '../outside.sh' leads out of " + src.toRealPath(),
                "nothing was copied");
        assertThat(toolsTree()).isEmpty();
        assertThat(toka.requests).isEmpty();

        write("z.tool.yaml", WORD_COUNT.replace("scripts/wc.py", "scripts/../../outside.sh"), "rw-r--r--");
        assertThat(register().err()).contains("leads out of");
        assertThat(toolsTree()).isEmpty();
    }

    @Test
    void symbolicLinksLeadingOutOfTheDirectoryAreRefused() throws IOException {
        Path outside = Files.writeString(tmp.resolve("outside.sh"), "echo secret\n");
        write("hello.tool.yaml", HELLO, "rw-r--r--");
        Files.createSymbolicLink(src.resolve("hello.sh"), outside);
        Cli script = register();
        assertThat(script.status()).isEqualTo(1);
        assertThat(script.err()).contains("hello.tool.yaml: executable 'hello.sh' is a symbolic link leading out of");
        assertThat(toolsTree()).isEmpty();

        Files.delete(src.resolve("hello.sh"));
        Path dirOut = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.writeString(dirOut.resolve("wc.py"), "print()\n");
        Files.createSymbolicLink(src.resolve("scripts"), dirOut);
        Files.delete(src.resolve("hello.tool.yaml"));
        write("word-count.tool.yaml", WORD_COUNT, "rw-r--r--");
        Cli viaDir = register();
        assertThat(viaDir.status()).isEqualTo(1);
        assertThat(viaDir.err()).contains("is a symbolic link leading out of");
        assertThat(toolsTree()).isEmpty();

        Files.delete(src.resolve("word-count.tool.yaml"));
        Path manifestOut = Files.writeString(tmp.resolve("evil.tool.yaml"), HELLO);
        Files.createSymbolicLink(src.resolve("evil.tool.yaml"), manifestOut);
        Cli manifest = register();
        assertThat(manifest.status()).isEqualTo(1);
        assertThat(manifest.err()).contains("evil.tool.yaml: evil.tool.yaml is a symbolic link leading out of");
        assertThat(toolsTree()).isEmpty();
    }

    @Test
    void aDirectoryInToolsThatLeadsElsewhereIsNotWrittenThrough() throws IOException {
        write("word-count.tool.yaml", WORD_COUNT, "rw-r--r--");
        write("scripts/wc.py", "print()\n", "rwxr-xr-x");
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(tools.resolve("scripts"), elsewhere);
        Cli r = register();
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("is a symbolic link leading out of " + tools.toRealPath());
        try (Stream<Path> s = Files.list(elsewhere)) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(Files.exists(tools.resolve("word-count.tool.yaml"))).isFalse();
    }

    @Test
    void badManifestsAreRefusedBeforeCopying() throws IOException {
        Cli empty = register();
        assertThat(empty.status()).isEqualTo(2);
        assertThat(empty.err()).contains("holds no *.tool.yaml manifests");

        write("a.tool.yaml", "metadata: [unclosed", "rw-r--r--");
        assertThat(register().err()).contains("a.tool.yaml is not valid YAML");
        write("a.tool.yaml", "metadata:\n  name: Bad_Name\nspec:\n  executable: {path: x.sh}\n", "rw-r--r--");
        assertThat(register().err()).contains("metadata.name 'Bad_Name' is not a valid tool name");
        write("a.tool.yaml", "name: a\ndescription: d\n", "rw-r--r--");
        assertThat(register().err()).contains("a.tool.yaml: executable is missing");
        write("a.tool.yaml", "name: a\ndescription: d\nexecutable: gone.sh\n", "rw-r--r--");
        assertThat(register().err()).contains("executable 'gone.sh' does not exist");
        write("a.tool.yaml", HELLO, "rw-r--r--");
        write("b.tool.yaml", HELLO, "rw-r--r--");
        write("hello.sh", "echo\n", "rwx------");
        assertThat(register().err()).contains("b.tool.yaml and a.tool.yaml both define the tool 'hello'");
        assertThat(toolsTree()).isEmpty();
        assertThat(Cli.run(Cli.env(toka, "TOKA_HOME", home.toString()), "tools", "register", "--manifest-dir",
                tmp.resolve("nope").toString()).err()).contains("does not exist");
        assertThat(Cli.run(Cli.env(toka, "TOKA_HOME", home.toString()), "tools", "register").status()).isEqualTo(2);
    }

    @Test
    void anAbsoluteExecutableIsUsedWhereItIsAndSaidSo() throws IOException {
        write("hello.tool.yaml", HELLO.replace("hello.sh", "/bin/true"), "rw-r--r--");
        Cli r = register();
        assertThat(r.status()).isZero();
        assertThat(r.err()).contains("names /bin/true, outside the manifest directory; it was not copied");
        assertThat(toolsTree()).containsExactly("hello.tool.yaml");
    }

    @Test
    void registerRefusesARemoteTokaNoTokaHomeAndATokaThatIsDown() throws IOException {
        write("hello.tool.yaml", HELLO, "rw-r--r--");
        write("hello.sh", "echo\n", "rwx------");
        Cli remote = Cli.run(Cli.env(toka, "TOKA_HOME", home.toString(), "TOKA_URL", "https://toka.example.org"),
                "tools", "register", "-d", src.toString());
        assertThat(remote.status()).isEqualTo(2);
        assertThat(remote.err()).contains("works on the machine Toka runs on");
        Cli noHome = Cli.run(Cli.env(toka), "tools", "register", "-d", src.toString());
        assertThat(noHome.status()).isEqualTo(2);
        assertThat(noHome.err()).contains("TOKA_HOME is not set");
        Cli notToka = Cli.run(Cli.env(toka, "TOKA_HOME", src.toString()), "tools", "register", "-d", src.toString());
        assertThat(notToka.status()).isEqualTo(1);
        assertThat(notToka.err()).contains("tools directory", "does not exist");
        toka.on("GET", "/tools/errors", FakeToka.problem(403, "Forbidden", "permission denied: requires tool:read"));
        Cli refused = register();
        assertThat(refused.status()).isEqualTo(3);
        assertThat(toolsTree()).isEmpty();
    }

    @Test
    void theToolsDirectoryComesFromTokasConfiguration() throws IOException {
        Path custom = Files.createDirectories(home.resolve("my-tools"));
        Files.createDirectories(home.resolve("etc"));
        Files.writeString(home.resolve("etc/io.toka.tools.external.cfg"), "toolsDir = ${karaf.base}/my-tools\n");
        write("hello.tool.yaml", HELLO, "rw-r--r--");
        write("hello.sh", "echo\n", "rwx------");
        Cli r = register("--wait", "1s");
        assertThat(Files.exists(custom.resolve("hello.tool.yaml"))).isTrue();
        assertThat(r.err()).contains("to " + custom.toRealPath());
    }

    @Test
    void aToolsDirectoryYouCannotWriteIsRefused() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may write anywhere");
        write("hello.tool.yaml", HELLO, "rw-r--r--");
        write("hello.sh", "echo\n", "rwx------");
        Files.setPosixFilePermissions(tools, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Cli r = register();
            assertThat(r.status()).isEqualTo(3);
            assertThat(r.err()).contains("is not writable by you");
        } finally {
            Files.setPosixFilePermissions(tools, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
