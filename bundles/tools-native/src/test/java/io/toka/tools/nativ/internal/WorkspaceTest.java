package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceTest {

    @TempDir
    Path temp;

    @Test
    void createsAMissingRootAndResolvesInsideIt() throws Exception {
        Path root = temp.resolve("a/b/workspace");
        Workspace ws = new Workspace(root);

        assertThat(root).isDirectory();
        assertThat(ws.root()).isEqualTo(root.toRealPath());
        assertThat(ws.resolve("x/y.txt")).isEqualTo(root.toRealPath().resolve("x/y.txt"));
        assertThat(ws.resolve("./x//y.txt")).isEqualTo(root.toRealPath().resolve("x/y.txt"));
        assertThat(ws.relative(ws.resolve("."))).isEqualTo(".");
        assertThat(ws.relative(ws.resolve("x/y.txt"))).isEqualTo("x/y.txt");
    }

    @Test
    void aRootReachedThroughALinkStillConfinesPaths() throws Exception {
        Path real = Files.createDirectories(temp.resolve("real-root"));
        Path link = Files.createSymbolicLink(temp.resolve("root-link"), real);
        Files.writeString(real.resolve("f.txt"), "f");
        Workspace ws = new Workspace(link);

        assertThat(ws.resolve("f.txt")).isEqualTo(real.toRealPath().resolve("f.txt"));
        // the link's own path names the root too
        assertThat(ws.resolve(link.resolve("f.txt").toString())).isEqualTo(real.toRealPath().resolve("f.txt"));
        // and links inside it are still checked
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.createSymbolicLink(real.resolve("escape"), outside);
        assertThatThrownBy(() -> ws.resolve(link.resolve("escape/secret.txt").toString()))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root through a symbolic link");
    }

    @Test
    void whatIsOpenedIsWhatWasCheckedEvenIfADirectoryBecomesALinkInBetween() throws Exception {
        Workspace ws = new Workspace(temp.resolve("ws"));
        Path d = Files.createDirectories(ws.root().resolve("d"));
        Files.writeString(d.resolve("f.txt"), "inside");
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("f.txt"), "top secret");
        Path file = ws.resolve("d/f.txt");
        Path dir = ws.resolve("d");
        assertThat(readAll(ws.openFile(file, "d/f.txt"))).isEqualTo("inside");

        // the check is done; now d is swapped for a link to outside, as another process could
        Files.move(d, ws.root().resolve("d.aside"));
        Files.createSymbolicLink(d, outside);

        assertThat(Files.readString(file)).as("what a plain open would read").isEqualTo("top secret");
        assertThatThrownBy(() -> ws.openFile(file, "d/f.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'd/f.txt' changed while it was opened: 'd' is now a symbolic link; try again");
        assertThatThrownBy(() -> ws.openDirectory(dir, "d"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'd' changed while it was opened: 'd' is now a symbolic link; try again");
        assertThatThrownBy(() -> ws.attributes(file, "d/f.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("changed while it was opened");
    }

    @Test
    void openFileTakesOnlyARegularFileAndNeverFollowsALinkAtTheEnd() throws Exception {
        Workspace ws = new Workspace(temp.resolve("ws"));
        Files.writeString(ws.root().resolve("real.txt"), "x");
        Files.createSymbolicLink(ws.root().resolve("alias.txt"), ws.root().resolve("real.txt"));
        Files.createDirectories(ws.root().resolve("sub"));

        assertThatThrownBy(() -> ws.openFile(ws.root().resolve("alias.txt"), "alias.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'alias.txt' changed while it was opened: 'alias.txt' is now a symbolic link; try again");
        assertThatThrownBy(() -> ws.openFile(ws.root().resolve("sub"), "sub"))
                .isInstanceOf(ToolException.class).hasMessage("path 'sub' is not a regular file");
        assertThatThrownBy(() -> ws.openFile(ws.root(), "."))
                .isInstanceOf(ToolException.class).hasMessage("path '.' is a directory, not a file");
        assertThatThrownBy(() -> ws.openFile(ws.root().resolve("none.txt"), "none.txt"))
                .isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> ws.openFile(temp.resolve("elsewhere.txt"), "elsewhere.txt"))
                .isInstanceOf(ToolException.class).hasMessage("path 'elsewhere.txt' is outside the workspace root");
    }

    @Test
    void readAtMostStopsOneByteOverTheLimit() throws Exception {
        Workspace ws = new Workspace(temp.resolve("ws"));
        Files.writeString(ws.root().resolve("ten.txt"), "0123456789");
        try (SeekableByteChannel in = ws.openFile(ws.root().resolve("ten.txt"), "ten.txt")) {
            assertThat(Workspace.readAtMost(in, 4)).hasSize(5);
        }
        try (SeekableByteChannel in = ws.openFile(ws.root().resolve("ten.txt"), "ten.txt")) {
            assertThat(Workspace.readAtMost(in, 100)).hasSize(10);
        }
    }

    private static String readAll(SeekableByteChannel in) throws IOException {
        try (in) {
            return new String(Workspace.readAtMost(in, 1 << 20), StandardCharsets.UTF_8);
        }
    }

    @Test
    void refusesASiblingDirectoryThatSharesTheRootsPrefix() throws IOException {
        Workspace ws = new Workspace(temp.resolve("work"));
        Path sibling = Files.createDirectories(temp.resolve("workshop"));

        assertThatThrownBy(() -> ws.resolve(sibling.resolve("x").toString()))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("outside the workspace root");
    }

    @Test
    void refusesMalformedPaths() {
        Workspace ws = new Workspace(temp.resolve("work"));
        assertThatThrownBy(() -> ws.resolve("bad\u0000name"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'bad?name' is not a valid path");
        assertThatThrownBy(() -> ws.resolve(null))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'path' must not be blank");
    }

    @Test
    void aRootCanComeFromConfiguration() throws Exception {
        Path root = temp.resolve("configured");
        Workspace ws = Workspace.from(new WorkspaceConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return WorkspaceConfig.class;
            }

            @Override
            public String root() {
                return "  " + root + " ";
            }

            @Override
            public String[] extraRoots() {
                return new String[0];
            }

            @Override
            public long maxFileBytes() {
                return 1;
            }
        });
        assertThat(ws.root()).isEqualTo(root.toRealPath());
    }

    @Test
    void additionalRootsComeFromConfigurationToo() throws Exception {
        Path main = temp.resolve("main");
        Path extra = temp.resolve("extra");
        Workspace ws = Workspace.from(config(main.toString(), extra.toString(), " ", null));

        assertThat(extra).isDirectory();
        assertThat(ws.resolve(extra.resolve("f.txt").toString())).isEqualTo(extra.toRealPath().resolve("f.txt"));
        assertThatThrownBy(() -> Workspace.from(config(main.toString(), "relative/dir")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("additional workspace root 'relative/dir' must be an absolute path");
    }

    @Test
    void absolutePathsMayLieInAnAdditionalRootButRelativePathsUseTheMainRoot() throws Exception {
        Path main = temp.resolve("main");
        Path extra = Files.createDirectories(temp.resolve("extra"));
        Files.writeString(extra.resolve("shared.txt"), "shared");
        Workspace ws = new Workspace(main, List.of(extra));

        Path inExtra = ws.resolve(extra.resolve("shared.txt").toString());
        assertThat(inExtra).isEqualTo(extra.toRealPath().resolve("shared.txt"));
        assertThat(ws.relative(inExtra)).isEqualTo(inExtra.toString());
        assertThat(ws.resolve("shared.txt")).isEqualTo(main.toRealPath().resolve("shared.txt"));
        assertThat(ws.relative(ws.resolve("shared.txt"))).isEqualTo("shared.txt");
        assertThat(ws.contains(inExtra)).isTrue();
        assertThat(ws.contains(temp.toRealPath())).isFalse();
    }

    @Test
    void anAdditionalRootConfinesLinksAndSiblingsLikeTheMainRoot() throws Exception {
        Path extra = Files.createDirectories(temp.resolve("extra"));
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Path sibling = Files.createDirectories(temp.resolve("extra-sibling"));
        Files.createSymbolicLink(extra.resolve("escape"), outside);
        Files.createSymbolicLink(extra.resolve("etc"), Path.of("/etc"));
        Files.createSymbolicLink(extra.resolve("to-main"), Files.createDirectories(temp.resolve("main")));
        Workspace ws = new Workspace(temp.resolve("main"), List.of(extra));

        assertThatThrownBy(() -> ws.resolve(extra.resolve("escape/x.txt").toString()))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root through a symbolic link");
        assertThatThrownBy(() -> ws.resolve(extra.resolve("etc/passwd").toString()))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root through a symbolic link");
        assertThatThrownBy(() -> ws.resolve(sibling.resolve("x").toString()))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("outside the workspace root");
        assertThatThrownBy(() -> ws.resolve(extra + "/../outside/x"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("must not contain '..'");
        // a link from one root into another stays within the allowed directories
        assertThat(ws.resolve(extra.resolve("to-main/f.txt").toString()))
                .isEqualTo(temp.resolve("main").toRealPath().resolve("f.txt"));
    }

    static WorkspaceConfig config(String root, String... extraRoots) {
        return config(root, 10L * 1024 * 1024, extraRoots);
    }

    static WorkspaceConfig config(String root, long maxFileBytes, String... extraRoots) {
        return new WorkspaceConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return WorkspaceConfig.class;
            }

            @Override
            public String root() {
                return root;
            }

            @Override
            public String[] extraRoots() {
                return extraRoots;
            }

            @Override
            public long maxFileBytes() {
                return maxFileBytes;
            }
        };
    }
}
