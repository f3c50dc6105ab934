package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileReaderToolTest {

    private static final long MAX_BYTES = 64;

    @TempDir
    Path temp;

    private Path root;
    private Path outside;
    private FileReaderTool reader;

    @BeforeEach
    void setUp() throws IOException {
        root = temp.resolve("workspace");
        outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "top secret");
        reader = new FileReaderTool(new Workspace(root), MAX_BYTES);
    }

    private ToolResult read(String path) throws ToolException {
        return reader.invoke(ToolInvocation.of(Map.of("path", path), Duration.ofSeconds(5)));
    }

    @Test
    void describesItself() {
        assertThat(reader.descriptor().name()).isEqualTo("file-reader");
        assertThat(reader.descriptor().readOnly()).isTrue();
        assertThat(reader.descriptor().requiredPermissions()).containsExactly("filesystem:read");
        assertThat(reader.descriptor().inputSchema()).contains("\"required\": [\"path\"]");
    }

    @Test
    void readsAUtf8File() throws Exception {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/notes.txt"), "grüße\nline 2\n");

        ToolResult r = read("docs/notes.txt");

        assertThat(r.isSuccess()).isTrue();
        assertThat(r.output()).isEqualTo("grüße\nline 2\n");
        int bytes = "grüße\nline 2\n".getBytes(StandardCharsets.UTF_8).length;
        assertThat(r.structured()).isEqualTo(Map.of("path", "docs/notes.txt", "size", bytes));
        OutputSchemas.assertMatches(reader, r);
    }

    @Test
    void readsAnAbsolutePathInsideTheRoot() throws Exception {
        Files.writeString(root.resolve("a.txt"), "abc");
        assertThat(read(root.resolve("a.txt").toString()).output()).isEqualTo("abc");
    }

    @Test
    void readsThroughALinkThatStaysInside() throws Exception {
        Files.writeString(root.resolve("real.txt"), "inside");
        Files.createSymbolicLink(root.resolve("alias.txt"), root.resolve("real.txt"));

        ToolResult r = read("alias.txt");
        assertThat(r.output()).isEqualTo("inside");
        assertThat(r.structured()).isEqualTo(Map.of("path", "real.txt", "size", 6));
    }

    @Test
    void refusesDotDot() throws IOException {
        Files.writeString(root.resolve("a.txt"), "abc");
        assertThatThrownBy(() -> read("../outside/secret.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '../outside/secret.txt' must not contain '..'");
        // even when it would stay inside the root
        assertThatThrownBy(() -> read("docs/../a.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("must not contain '..'");
    }

    @Test
    void refusesAnAbsolutePathOutsideTheRoot() {
        String secret = outside.resolve("secret.txt").toString();
        assertThatThrownBy(() -> read(secret))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '" + secret + "' is outside the workspace root");
        assertThatThrownBy(() -> read("/etc/passwd"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("outside the workspace root");
    }

    @Test
    void refusesAFileLinkLeadingOutside() throws IOException {
        Files.createSymbolicLink(root.resolve("link.txt"), outside.resolve("secret.txt"));

        assertThatThrownBy(() -> read("link.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'link.txt' leads outside the workspace root through a symbolic link")
                .message().doesNotContain("top secret");
    }

    @Test
    void refusesADirectoryLinkLeadingOutside() throws IOException {
        Files.createSymbolicLink(root.resolve("linkdir"), outside);

        assertThatThrownBy(() -> read("linkdir/secret.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root through a symbolic link");
        // a file that does not exist yet behind the link is refused too, not reported as missing
        assertThatThrownBy(() -> read("linkdir/new/file.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root");
    }

    @Test
    void aDirectorySwappedForALinkToOutsideWhileReadsRunNeverYieldsTheOutsideFile() throws Exception {
        // root/d is a real directory when resolve checks "d/f.txt", and may be a link to outside/ when the file is
        // opened: the file read must be the one checked, or none
        Path d = Files.createDirectories(root.resolve("d"));
        Files.writeString(d.resolve("f.txt"), "inside");
        Files.writeString(outside.resolve("f.txt"), "top secret");
        int inside = 0;
        int refused = 0;
        int leaked = 0;
        int flips;
        try (LinkFlipper flipper = new LinkFlipper(d, outside)) {
            // until both outcomes have been seen many times, so that the race was run, not avoided
            for (int i = 0; i < 1_000_000 && (inside < 3000 || refused < 3000) && leaked == 0; i++) {
                try {
                    if (read("d/f.txt").output().equals("inside")) {
                        inside++;
                    } else {
                        leaked++;
                    }
                } catch (ToolException e) {
                    refused++;
                    assertThat(e.getMessage()).doesNotContain("top secret");
                }
            }
            flips = flipper.flips();
        }
        assertThat(leaked).as("reads that returned the outside file (%d inside, %d refused, %d flips)", inside, refused,
                flips).isZero();
        assertThat(inside).as("reads of the inside file").isPositive();
        assertThat(refused).as("reads refused while the link was in place").isPositive();
    }

    @Test
    void refusesADanglingLink() throws IOException {
        Files.createSymbolicLink(root.resolve("dangling"), temp.resolve("nowhere"));

        assertThatThrownBy(() -> read("dangling"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("'dangling' cannot be resolved");
    }

    @Test
    void refusesAFileOverTheSizeLimitInsteadOfTruncating() throws Exception {
        Files.writeString(root.resolve("exact.txt"), "x".repeat((int) MAX_BYTES));
        Files.writeString(root.resolve("big.txt"), "x".repeat((int) MAX_BYTES + 1));

        assertThat(read("exact.txt").output()).hasSize((int) MAX_BYTES);
        assertThatThrownBy(() -> read("big.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("file 'big.txt' is 65 bytes, over the limit of 64 bytes");
    }

    @Test
    void refusesAFileThatIsNotUtf8() throws IOException {
        Files.write(root.resolve("latin1.txt"), "grüße".getBytes(StandardCharsets.ISO_8859_1));
        Files.write(root.resolve("binary.bin"), new byte[] {(byte) 0xC3, 0x28, 0x00, (byte) 0xFF});

        assertThatThrownBy(() -> read("latin1.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("file 'latin1.txt' is not UTF-8 text");
        assertThatThrownBy(() -> read("binary.bin"))
                .isInstanceOf(ToolException.class)
                .hasMessage("file 'binary.bin' is not UTF-8 text");
    }

    @Test
    void reportsAMissingFile() {
        assertThatThrownBy(() -> read("nope.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("file 'nope.txt' does not exist");
        assertThatThrownBy(() -> read("no/such/dir/nope.txt"))
                .isInstanceOf(ToolException.class)
                .hasMessage("file 'no/such/dir/nope.txt' does not exist");
    }

    @Test
    void refusesADirectory() throws IOException {
        Files.createDirectories(root.resolve("docs"));
        assertThatThrownBy(() -> read("docs"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'docs' is a directory; use file-lister");
        assertThatThrownBy(() -> read("."))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("is a directory");
    }

    @Test
    void refusesABlankOrMissingPath() {
        assertThatThrownBy(() -> read(" "))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'path' must not be blank");
        assertThatThrownBy(() -> reader.invoke(ToolInvocation.of(Map.of(), Duration.ofSeconds(5))))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'path' must not be blank");
        assertThatThrownBy(() -> reader.invoke(ToolInvocation.of(Map.of("path", 7), Duration.ofSeconds(5))))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'path' must be a string");
    }
}
