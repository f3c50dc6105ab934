package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileListerToolTest {

    private static final Instant MODIFIED = Instant.parse("2024-05-06T07:08:09Z");

    @TempDir
    Path temp;

    private Path root;
    private Path outside;
    private FileListerTool lister;

    @BeforeEach
    void setUp() throws IOException {
        root = temp.resolve("workspace");
        outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "top secret");
        lister = new FileListerTool(new Workspace(root));
        // root/
        //   b.txt (3 bytes), a.txt (1 byte), .hidden.txt, zdir/, adir/inner.txt, adir/.inner-hidden, .git/config
        Files.writeString(root.resolve("b.txt"), "bbb");
        Files.writeString(root.resolve("a.txt"), "a");
        Files.writeString(root.resolve(".hidden.txt"), "h");
        Files.createDirectories(root.resolve("zdir"));
        Files.createDirectories(root.resolve("adir"));
        Files.writeString(root.resolve("adir/inner.txt"), "inner");
        Files.writeString(root.resolve("adir/.inner-hidden"), "ih");
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), "[core]");
        Files.setLastModifiedTime(root.resolve("a.txt"), FileTime.from(MODIFIED));
    }

    private ToolResult list(Map<String, Object> args) throws ToolException {
        return lister.invoke(ToolInvocation.of(args, Duration.ofSeconds(5)));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> entries(ToolResult r) {
        return (List<Map<String, Object>>) ((Map<String, Object>) r.structured()).get("entries");
    }

    private static List<Object> paths(ToolResult r) {
        return entries(r).stream().map(e -> e.get("path")).toList();
    }

    @Test
    void describesItself() {
        assertThat(lister.descriptor().name()).isEqualTo("file-lister");
        assertThat(lister.descriptor().readOnly()).isTrue();
        assertThat(lister.descriptor().inputSchema()).contains("\"show_hidden\"").contains("\"recursive\"");
    }

    @Test
    void listsDirectoriesFirstThenFilesByNameWithoutHiddenOnes() throws Exception {
        ToolResult r = list(Map.of("path", "."));

        assertThat(r.isSuccess()).isTrue();
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) r.structured();
        assertThat(out.keySet()).containsExactly("path", "entries", "recursive");
        assertThat(out.get("path")).isEqualTo(".");
        assertThat(out.get("recursive")).isEqualTo(false);
        assertThat(paths(r)).containsExactly("adir", "zdir", "a.txt", "b.txt");
        assertThat(r.output()).isEqualTo("[dir]  adir\n[dir]  zdir\n[file] a.txt\n[file] b.txt\n");
    }

    @Test
    void describesEachEntry() throws Exception {
        ToolResult r = list(Map.of("path", ".", "recursive", true));
        OutputSchemas.assertMatches(lister, r);
        List<Map<String, Object>> entries = entries(list(Map.of("path", ".")));

        Map<String, Object> a = entries.get(2);
        assertThat(a).containsExactly(
                Map.entry("name", "a.txt"),
                Map.entry("path", "a.txt"),
                Map.entry("is_directory", false),
                Map.entry("size", 1L),
                Map.entry("modified", MODIFIED.getEpochSecond()));
        assertThat(entries.get(3)).containsEntry("name", "b.txt").containsEntry("size", 3L);

        Map<String, Object> dir = entries.get(0);
        assertThat(dir).containsEntry("name", "adir").containsEntry("path", "adir").containsEntry("is_directory", true);
        assertThat(dir.get("modified")).isInstanceOf(Long.class);
    }

    @Test
    void entriesOfASubdirectoryCarryPathsFromTheRoot() throws Exception {
        ToolResult r = list(Map.of("path", "adir"));

        assertThat(((Map<?, ?>) r.structured()).get("path")).isEqualTo("adir");
        assertThat(entries(r)).singleElement().satisfies(e -> {
            assertThat(e.get("name")).isEqualTo("inner.txt");
            assertThat(e.get("path")).isEqualTo("adir/inner.txt");
        });
    }

    @Test
    void anEmptyDirectorySaysSo() throws Exception {
        ToolResult r = list(Map.of("path", "zdir"));
        assertThat(entries(r)).isEmpty();
        assertThat(r.output()).isEqualTo("(empty)\n");
    }

    @Test
    void showsHiddenFilesOnlyWhenAsked() throws Exception {
        for (Object yes : List.of(true, "true")) {
            assertThat(paths(list(Map.of("path", ".", "show_hidden", yes)))).as("show_hidden=%s", yes)
                    .containsExactly(".git", "adir", "zdir", ".hidden.txt", "a.txt", "b.txt");
        }
        for (Object no : List.of(false, "false")) {
            assertThat(paths(list(Map.of("path", ".", "show_hidden", no)))).as("show_hidden=%s", no)
                    .containsExactly("adir", "zdir", "a.txt", "b.txt");
        }
    }

    @Test
    void listsRecursively() throws Exception {
        Files.createDirectories(root.resolve("adir/deeper"));
        Files.writeString(root.resolve("adir/deeper/leaf.txt"), "leaf");

        ToolResult r = list(Map.of("path", ".", "recursive", "true"));

        assertThat(((Map<?, ?>) r.structured()).get("recursive")).isEqualTo(true);
        assertThat(paths(r)).containsExactly(
                "adir", "adir/deeper", "zdir", "a.txt", "adir/deeper/leaf.txt", "adir/inner.txt", "b.txt");
        assertThat(entries(r)).filteredOn(e -> e.get("path").equals("adir/deeper/leaf.txt"))
                .singleElement().satisfies(e -> assertThat(e.get("name")).isEqualTo("leaf.txt"));
    }

    @Test
    void listsRecursivelyIntoHiddenDirectoriesOnlyWithShowHidden() throws Exception {
        Map<String, Object> args = new HashMap<>(Map.of("path", ".", "recursive", true, "show_hidden", true));
        assertThat(paths(list(args))).contains(".git", ".git/config", "adir/.inner-hidden", ".hidden.txt");

        args.put("show_hidden", false);
        assertThat(paths(list(args))).noneMatch(p -> ((String) p).contains("/.") || ((String) p).startsWith("."));
    }

    @Test
    void doesNotFollowALinkLeadingOutside() throws Exception {
        Files.createSymbolicLink(root.resolve("escape"), outside);

        ToolResult r = list(Map.of("path", ".", "recursive", true));

        assertThat(paths(r)).contains("escape").doesNotContain("escape/secret.txt");
        assertThat(entries(r)).filteredOn(e -> e.get("name").equals("escape")).singleElement()
                .satisfies(e -> assertThat(e.get("is_directory")).isEqualTo(false));
        assertThatThrownBy(() -> list(Map.of("path", "escape")))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root through a symbolic link");
    }

    @Test
    void aDirectorySwappedForALinkToOutsideWhileListingsRunNeverShowsTheOutsideEntries() throws Exception {
        Path d = Files.createDirectories(root.resolve("d"));
        Files.writeString(d.resolve("inside.txt"), "i");
        int listed = 0;
        int refused = 0;
        List<String> leaked = new ArrayList<>();
        try (LinkFlipper flipper = new LinkFlipper(d, outside)) {
            for (int i = 0; i < 1_000_000 && (listed < 2000 || refused < 2000) && leaked.isEmpty(); i++) {
                try {
                    List<Map<String, Object>> entries = entries(list(Map.of("path", "d")));
                    listed++;
                    entries.stream().map(e -> (String) e.get("name")).filter(n -> !n.equals("inside.txt"))
                            .forEach(leaked::add);
                } catch (ToolException e) {
                    refused++;
                }
            }
        }
        assertThat(leaked).as("entries of the outside directory (%d listed, %d refused)", listed, refused).isEmpty();
        assertThat(listed).isPositive();
        assertThat(refused).isPositive();
    }

    @Test
    void refusesAFile() {
        assertThatThrownBy(() -> list(Map.of("path", "a.txt")))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'a.txt' is not a directory; use file-reader");
    }

    @Test
    void reportsAMissingDirectory() {
        assertThatThrownBy(() -> list(Map.of("path", "nope")))
                .isInstanceOf(ToolException.class)
                .hasMessage("directory 'nope' does not exist");
    }

    @Test
    void refusesPathsLeavingTheRoot() {
        assertThatThrownBy(() -> list(Map.of("path", "..")))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '..' must not contain '..'");
        assertThatThrownBy(() -> list(Map.of("path", outside.toString())))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("outside the workspace root");
    }
}
