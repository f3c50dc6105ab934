package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DateValidatorToolTest {

    /** Today is 2025-06-15 in UTC; late in the evening so that a local-time bug would show up. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-06-15T23:30:00Z"), ZoneId.of("Pacific/Kiritimati"));

    @TempDir
    Path temp;

    private Path root;
    private DateValidatorTool validator;

    @BeforeEach
    void setUp() {
        root = temp.resolve("workspace");
        validator = new DateValidatorTool(new Workspace(root), CLOCK, 1024, 100);
    }

    private Path file(String path, String content) throws IOException {
        Path f = root.resolve(path);
        Files.createDirectories(f.getParent());
        return Files.writeString(f, content);
    }

    private ToolResult validate(String path, boolean fix) throws ToolException {
        return validator.invoke(ToolInvocation.of(Map.of("path", path, "fix_violations", fix), Duration.ofSeconds(5)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> report(ToolResult r) {
        return (Map<String, Object>) r.structured();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> violations(ToolResult r) {
        return (List<Map<String, Object>>) report(r).get("violations");
    }

    private static Map<String, Object> violation(String file, int line, String text, String parsed, long days) {
        return Map.of("file_path", file, "line_number", line, "date_text", text, "parsed_date", parsed, "days_in_future", days);
    }

    /** A tree with every pattern, every scanned extension and every skipped directory. */
    private void tree() throws IOException {
        file("docs/readme.md", "Released 2025-06-01.\nNext release 2025-06-16, or later.\n");
        file("src/App.java", "/*\n * Date: 2031-2-3\n * Created: 1/5/2030\n */\nclass App { String d = \"12/25/2030\"; }\n");
        file("config.yaml", "# Generated on: 2099/12/31\nkey: value\n");
        file("a.yml", "when: 2030/07/04\n");
        file("b.toml", "date = \"2026-01-01T10:00:00Z\"\n");
        file("c.txt", "Date:2027-03-04\n");
        file("d.py", "x = 1\ny = 2\n# 07/04/2026\n");
        file("e.sh", "echo 2028-08-08\n");
        file("f.rs", "// 2029-09-09\n");
        file("g.json", "{\"d\": \"2030-01-01\"}\n");
        file("h", "2030-01-01\n");
        for (String skipped : List.of("target", "build", "dist", "node_modules", ".git", ".hidden", "src/target", "docs/.cache")) {
            file(skipped + "/x.md", "2030-01-01\n");
        }
    }

    @Test
    void describesItself() {
        assertThat(validator.descriptor().name()).isEqualTo("date-validator");
        assertThat(validator.descriptor().requiredPermissions()).containsExactly("filesystem:read", "filesystem:write");
        assertThat(validator.descriptor().inputSchema())
                .contains("\"fix_violations\"")
                .contains("\"required\": [\"path\"]")
                .contains("\"additionalProperties\": false");
    }

    @Test
    void findsEveryPatternInEveryScannedFileAndSkipsTheRest() throws Exception {
        tree();

        ToolResult r = validate(".", false);

        assertThat(r.isSuccess()).isFalse();
        assertThat(report(r)).containsEntry("files_checked", 9).containsEntry("fixes_applied", 0);
        assertThat(report(r).keySet()).containsExactly("files_checked", "violations", "fixes_applied", "skipped");
        assertThat(violations(r)).as("sorted by file, then line").containsExactly(
                violation("a.yml", 1, "2030/07/04", "2030-07-04", 1845),
                violation("b.toml", 1, "2026-01-01", "2026-01-01", 200),
                violation("c.txt", 1, "2027-03-04", "2027-03-04", 627),
                violation("config.yaml", 1, "2099/12/31", "2099-12-31", 27227),
                violation("d.py", 3, "07/04/2026", "2026-07-04", 384),
                violation("docs/readme.md", 2, "2025-06-16", "2025-06-16", 1),
                violation("e.sh", 1, "2028-08-08", "2028-08-08", 1150),
                violation("f.rs", 1, "2029-09-09", "2029-09-09", 1547),
                violation("src/App.java", 2, "2031-2-3", "2031-02-03", 2059),
                violation("src/App.java", 3, "1/5/2030", "2030-01-05", 1665),
                violation("src/App.java", 5, "12/25/2030", "2030-12-25", 2019));
        assertThat(r.output()).isEqualTo("Found 11 future dates in 9 of 9 files.");
        OutputSchemas.assertMatches(validator, r);
    }

    @Test
    void ignoresStringsThatAreNotCalendarDatesAndDatesNotInTheFuture() throws Exception {
        file("notes.md", """
                2030-02-30 13/45/2030 2030/13/01 02/30/2031 Date: 2030-2-30 Created: 13/1/2030
                version 12030-01-011 and 1.2.2030 and 3/4/2030 (not a full MM/DD/YYYY)
                past 2020-01-01, 06/14/2025, today 2025-06-15, 2025/06/15
                Updated: 2020-01-01
                """);

        ToolResult r = validate("notes.md", false);

        assertThat(r.isSuccess()).isTrue();
        assertThat(r.output()).isEqualTo("No future dates found in 1 file.");
        assertThat(report(r)).containsEntry("files_checked", 1).containsEntry("violations", List.of());
    }

    @Test
    void todayIsTheUtcDate() throws Exception {
        // 2025-06-16 is already today in Kiritimati (UTC+14), but not in UTC
        file("x.md", "2025-06-16\n");
        assertThat(violations(validate("x.md", false))).singleElement()
                .satisfies(v -> assertThat(v).containsEntry("days_in_future", 1L));
    }

    @Test
    void fixesRewriteEachDateToTodayInTheFormatFound() throws Exception {
        tree();
        Path app = root.resolve("src/App.java");

        ToolResult r = validate(".", true);

        assertThat(r.isSuccess()).as("violations were found, even though they were fixed").isFalse();
        assertThat(report(r)).containsEntry("fixes_applied", 11);
        assertThat(violations(r)).hasSize(11);
        assertThat(r.output()).isEqualTo("Found 11 future dates in 9 of 9 files. Rewrote 11 dates to 2025-06-15.");
        assertThat(Files.readString(app))
                .isEqualTo("/*\n * Date: 2025-6-15\n * Created: 6/15/2025\n */\nclass App { String d = \"06/15/2025\"; }\n");
        assertThat(Files.readString(root.resolve("docs/readme.md"))).isEqualTo("Released 2025-06-01.\nNext release 2025-06-15, or later.\n");
        assertThat(Files.readString(root.resolve("config.yaml"))).isEqualTo("# Generated on: 2025/06/15\nkey: value\n");
        assertThat(Files.readString(root.resolve("b.toml"))).isEqualTo("date = \"2025-06-15T10:00:00Z\"\n");
        assertThat(Files.readString(root.resolve("d.py"))).isEqualTo("x = 1\ny = 2\n# 06/15/2025\n");
        // skipped files are not touched
        assertThat(Files.readString(root.resolve("target/x.md"))).isEqualTo("2030-01-01\n");
        assertThat(Files.readString(root.resolve("g.json"))).isEqualTo("{\"d\": \"2030-01-01\"}\n");
        try (Stream<Path> s = Files.walk(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }

        ToolResult again = validate(".", false);
        assertThat(again.isSuccess()).isTrue();
        assertThat(again.output()).isEqualTo("No future dates found in 9 files.");
    }

    @Test
    void withoutFixTheFilesAreNotChanged() throws Exception {
        Path f = file("x.md", "due 2030-01-01\n");
        validate(".", false);
        assertThat(Files.readString(f)).isEqualTo("due 2030-01-01\n");
    }

    @Test
    void aFileNamedExplicitlyIsCheckedWhateverItsExtension() throws Exception {
        file("data.json", "{\n\"d\": \"2030-01-01\"}\n");
        assertThat(violations(validate("data.json", false))).containsExactly(
                violation("data.json", 2, "2030-01-01", "2030-01-01", 1661));
    }

    @Test
    @SuppressWarnings("unchecked")
    void skipsFilesOverTheSizeLimitAndFilesThatAreNotText() throws Exception {
        file("big.md", "2030-01-01\n" + "x".repeat(1024));
        Files.write(root.resolve("binary.txt"), new byte[] {(byte) 0xC3, 0x28, '2', '0', '3', '0'});
        file("ok.md", "fine\n");

        ToolResult r = validate(".", false);

        assertThat(r.isSuccess()).isTrue();
        assertThat(report(r)).containsEntry("files_checked", 1);
        assertThat((List<Object>) report(r).get("skipped")).containsExactly(
                Map.of("file_path", "big.md", "reason", "larger than 1024 bytes"),
                Map.of("file_path", "binary.txt", "reason", "not UTF-8 text"));
        assertThat(r.output()).isEqualTo("No future dates found in 1 file. Skipped 2 files (too large or not UTF-8 text).");
        assertThatThrownBy(() -> validate("big.md", false))
                .isInstanceOf(ToolException.class)
                .hasMessage("file 'big.md' is 1035 bytes, over the limit of 1024 bytes");
        assertThatThrownBy(() -> validate("binary.txt", false))
                .isInstanceOf(ToolException.class)
                .hasMessage("file 'binary.txt' is not UTF-8 text");
    }

    @Test
    void stopsAfterTheMaximumNumberOfFilesAndSaysSo() throws Exception {
        DateValidatorTool capped = new DateValidatorTool(new Workspace(root), CLOCK, 1024, 3);
        for (int i = 0; i < 5; i++) {
            file("f" + i + ".md", "nothing\n");
        }

        ToolResult r = capped.invoke(ToolInvocation.of(Map.of("path", "."), Duration.ofSeconds(5)));

        assertThat(r.isSuccess()).as("an incomplete check must not pass").isFalse();
        assertThat(report(r)).containsEntry("files_checked", 3).containsEntry("stopped_early", true);
        assertThat(r.output()).isEqualTo(
                "No future dates found in 3 files. Stopped after 3 files; check a smaller directory for a complete result.");
    }

    @Test
    void doesNotFollowLinksOutOfTheWorkspace() throws Exception {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret.md"), "2030-01-01\n");
        file("ok.md", "fine\n");
        Files.createSymbolicLink(root.resolve("linked.md"), outside.resolve("secret.md"));
        Files.createSymbolicLink(root.resolve("linkdir"), outside);

        ToolResult r = validate(".", true);

        assertThat(r.isSuccess()).isTrue();
        assertThat(report(r)).containsEntry("files_checked", 1);
        assertThat(Files.readString(outside.resolve("secret.md"))).isEqualTo("2030-01-01\n");
        assertThatThrownBy(() -> validate("linkdir", true))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root through a symbolic link");
        assertThatThrownBy(() -> validate("linked.md", true))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root through a symbolic link");
    }

    @Test
    void refusesPathsOutsideTheWorkspaceAndMissingOnes() {
        assertThatThrownBy(() -> validate("../x", false))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '../x' must not contain '..'");
        assertThatThrownBy(() -> validate("/etc", false))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '/etc' is outside the workspace root");
        assertThatThrownBy(() -> validate("missing", false))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'missing' does not exist");
    }
}
