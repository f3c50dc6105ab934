package io.toka.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the token comes from, the refusal of a token on the command line, help, version and usage errors. */
class TokenAndUsageTest {

    @TempDir
    Path dir;
    FakeToka toka;

    @BeforeEach
    void start() throws IOException {
        toka = new FakeToka();
        toka.on("GET", "/tools", FakeToka.json(200, "{\"tools\":[]}"));
    }

    @AfterEach
    void stop() {
        toka.close();
    }

    private Path tokenFile(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private String sentToken() {
        return toka.requests("GET", "/tools").get(toka.requests("GET", "/tools").size() - 1).header("Authorization");
    }

    @Test
    void theTokenComesFromTheEnvironment() {
        assertThat(Cli.run(Cli.env(toka), "tools", "list").status()).isZero();
        assertThat(sentToken()).isEqualTo("Bearer " + toka.token);
    }

    @Test
    void aTokenFileWinsOverTheEnvironmentAndTheOptionOverTokaTokenFile() throws IOException {
        Path file = tokenFile("mine.token", toka.token + "\n");
        Cli r = Cli.run(Cli.env(toka, "TOKA_TOKEN", "tk-other"), "tools", "list", "--token-file", file.toString());
        assertThat(r.status()).isZero();
        assertThat(sentToken()).isEqualTo("Bearer " + toka.token);

        Path other = tokenFile("other.token", "tk-other");
        Cli viaEnv = Cli.run(Cli.env(toka, "TOKA_TOKEN", null, "TOKA_TOKEN_FILE", other.toString()),
                "--token-file=" + file, "tools", "list");
        assertThat(viaEnv.status()).isZero();
        assertThat(sentToken()).isEqualTo("Bearer " + toka.token);

        Cli envFile = Cli.run(Cli.env(toka, "TOKA_TOKEN", "tk-other", "TOKA_TOKEN_FILE", file.toString()),
                "tools", "list");
        assertThat(envFile.status()).isZero();
        assertThat(sentToken()).isEqualTo("Bearer " + toka.token);
    }

    @Test
    void withoutOtherSourcesTheAdminTokenOfTokaHomeIsUsed() throws IOException {
        tokenFile("toka/data/toka/admin.token", toka.token);
        Cli r = Cli.run(Cli.env(toka, "TOKA_TOKEN", null, "TOKA_HOME", dir.resolve("toka").toString()),
                "tools", "list");
        assertThat(r.status()).isZero();
        assertThat(sentToken()).isEqualTo("Bearer " + toka.token);
    }

    @Test
    void noTokenAnywhereIsAUsageError() {
        Cli r = Cli.run(Map.of("TOKA_URL", toka.url()), "tools", "list");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("toka: no token: set TOKA_TOKEN, or pass --token-file PATH");
        Cli missing = Cli.run(Map.of("TOKA_URL", toka.url(), "TOKA_HOME", dir.toString()), "tools", "list");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("admin.token", "does not exist", "has Toka been started once?");
        assertThat(toka.requests).isEmpty();
    }

    @Test
    void aTokenFileWithMoreThanOneLineOrOthersMayReadIsRefusedOrWarnedAbout() throws IOException {
        Path two = tokenFile("two.token", "tk-a\ntk-b\n");
        Cli r = Cli.run(Cli.env(toka), "tools", "list", "--token-file", two.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("does not hold one token: it contains more than one line").doesNotContain("tk-a");

        Path shared = tokenFile("shared.token", toka.token);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-r--r--"));
        Cli warned = Cli.run(Cli.env(toka), "tools", "list", "--token-file", shared.toString());
        assertThat(warned.status()).isZero();
        assertThat(warned.err()).contains("warning: the token file " + shared + " is readable by every user",
                "chmod 600");
    }

    @Test
    void aTokenOnTheCommandLineIsRefusedWithoutEchoingIt() {
        for (String[] args : new String[][] {
                {"tools", "list", "--token", "tk-secret-value"},
                {"--token=tk-secret-value", "tools", "list"},
                {"tools", "execute", "hello", "--bearer", "tk-secret-value"},
                {"-t", "tk-secret-value", "tools", "list"}}) {
            Cli r = Cli.run(Cli.env(toka), args);
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).startsWith("toka: refusing --token: a token on the command line can be read by every "
                    + "user").contains("--token-file PATH").doesNotContain("tk-secret-value");
            assertThat(r.out()).isEmpty();
        }
        assertThat(toka.requests).isEmpty();
    }

    @Test
    void helpVersionAndUsageErrors() {
        Cli help = Cli.run(Map.of(), "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("Usage: toka [options] GROUP COMMAND", "tools register --manifest-dir DIR",
                "Exit status:", "3  refused");
        Cli none = Cli.run(Map.of());
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.out()).contains("Usage: toka");
        Cli group = Cli.run(Map.of(), "tools", "--help");
        assertThat(group.status()).isZero();
        assertThat(group.out()).contains("Usage: toka tools COMMAND", "works on the machine Toka runs on");
        assertThat(Cli.run(Map.of(), "agents", "run", "-h").out()).contains("Usage: toka agents COMMAND");
        assertThat(Cli.run(Map.of(), "events").status()).isEqualTo(2);
        Cli version = Cli.run(Map.of(), "--version");
        assertThat(version.status()).isZero();
        assertThat(version.out()).isEqualTo("toka dev\n");

        Cli unknown = Cli.run(Map.of(), "frobnicate");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown command 'frobnicate'");
        Cli verb = Cli.run(Map.of(), "tools", "frob");
        assertThat(verb.status()).isEqualTo(2);
        assertThat(verb.err()).contains("tools has describe, errors, execute, list, register");
        Cli option = Cli.run(Cli.env(toka), "tools", "list", "--frob");
        assertThat(option.status()).isEqualTo(2);
        assertThat(option.err()).isEqualTo("toka: unknown option --frob (see --help)\n");
        Cli missingName = Cli.run(Cli.env(toka), "tools", "describe");
        assertThat(missingName.status()).isEqualTo(2);
        assertThat(missingName.err()).contains("missing a tool name");
        Cli missingValue = Cli.run(Cli.env(toka), "tools", "execute", "x", "--param");
        assertThat(missingValue.status()).isEqualTo(2);
        assertThat(missingValue.err()).contains("--param needs a value");
        Cli badUrl = Cli.run(Cli.env(toka), "--url", "ftp://x", "tools", "list");
        assertThat(badUrl.status()).isEqualTo(2);
        assertThat(badUrl.err()).contains("--url must be an http:// or https:// URL");
        Cli userInfo = Cli.run(Cli.env(toka), "--url", "http://admin:pw@127.0.0.1:1", "tools", "list");
        assertThat(userInfo.status()).isEqualTo(2);
        assertThat(userInfo.err()).contains("must not carry a user name or password").doesNotContain("pw@");
        assertThat(toka.requests).isEmpty();
    }

    @Test
    void theUrlIsTokasAddressWithOrWithoutApiV1() throws CliException {
        assertThat(Main.url("http://example.org:8181/api/v1/").toString()).isEqualTo("http://example.org:8181");
        assertThat(Main.url("https://toka.example/").toString()).isEqualTo("https://toka.example");
        Cli path = Cli.run(Cli.env(toka, "TOKA_URL", toka.url() + "/mcp"), "tools", "list");
        assertThat(path.status()).isEqualTo(2);
        assertThat(path.err()).contains("not a path such as '/mcp'");
    }
}
