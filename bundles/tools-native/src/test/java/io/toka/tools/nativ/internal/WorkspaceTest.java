package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
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
            public long maxFileBytes() {
                return 1;
            }
        });
        assertThat(ws.root()).isEqualTo(root.toRealPath());
    }
}
