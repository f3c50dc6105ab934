package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileWriterToolTest {

    private static final long MAX_BYTES = 64;

    @TempDir
    Path temp;

    private Path root;
    private Path outside;
    private FileWriterTool writer;

    @BeforeEach
    void setUp() throws IOException {
        root = temp.resolve("workspace");
        outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "top secret");
        writer = new FileWriterTool(new Workspace(root), MAX_BYTES);
    }

    private ToolResult write(String path, String content) throws ToolException {
        return writer.invoke(ToolInvocation.of(Map.of("path", path, "content", content), Duration.ofSeconds(5)));
    }

    private ToolResult append(String path, String content, Object flag) throws ToolException {
        return writer.invoke(ToolInvocation.of(Map.of("path", path, "content", content, "append", flag), Duration.ofSeconds(5)));
    }

    /** Every file in the directory tree, so a left-over temporary file shows up. */
    private List<String> filesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void describesItself() {
        assertThat(writer.descriptor().name()).isEqualTo("file-writer");
        assertThat(writer.descriptor().requiredPermissions()).containsExactly("filesystem:write");
        assertThat(writer.descriptor().destructive()).isTrue();
        assertThat(writer.descriptor().readOnly()).isFalse();
        assertThat(writer.descriptor().inputSchema())
                .contains("\"required\": [\"path\", \"content\"]")
                .contains("\"additionalProperties\": false")
                .contains("\"append\"");
    }

    @Test
    void writesANewFileAndSaysHowManyBytes() throws Exception {
        ToolResult r = write("notes.txt", "grüße\n");

        int bytes = "grüße\n".getBytes(StandardCharsets.UTF_8).length;
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.output()).isEqualTo("Successfully wrote " + bytes + " bytes to notes.txt");
        assertThat(Files.readString(root.resolve("notes.txt"))).isEqualTo("grüße\n");
        assertThat(r.structured()).isEqualTo(Map.of("path", "notes.txt", "bytes_written", bytes, "size", bytes, "appended", false));
        OutputSchemas.assertMatches(writer, r);
        assertThat(Files.getPosixFilePermissions(root.resolve("notes.txt")))
                .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(filesUnder(root)).containsExactly("notes.txt");
    }

    @Test
    void replacesAnExistingFileAndKeepsItsPermissions() throws Exception {
        Path f = Files.writeString(root.resolve("script.sh"), "old contents that are longer");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-x---"));

        write("script.sh", "new");

        assertThat(Files.readString(f)).isEqualTo("new");
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(PosixFilePermissions.fromString("rwxr-x---"));
        assertThat(filesUnder(root)).containsExactly("script.sh");
    }

    @Test
    void writesAnEmptyFile() throws Exception {
        assertThat(write("empty.txt", "").output()).isEqualTo("Successfully wrote 0 bytes to empty.txt");
        assertThat(root.resolve("empty.txt")).isEmptyFile();
    }

    @Test
    void createsMissingParentDirectories() throws Exception {
        ToolResult r = write("a/b/c/deep.txt", "deep");

        assertThat(r.output()).isEqualTo("Successfully wrote 4 bytes to a/b/c/deep.txt");
        assertThat(Files.readString(root.resolve("a/b/c/deep.txt"))).isEqualTo("deep");
    }

    @Test
    void writesAnAbsolutePathInsideTheRootAndReportsThePathAsGiven() throws Exception {
        String abs = root.resolve("abs.txt").toString();
        assertThat(write(abs, "x").output()).isEqualTo("Successfully wrote 1 bytes to " + abs);
        assertThat(Files.readString(root.resolve("abs.txt"))).isEqualTo("x");
    }

    @Test
    void appendsToAnExistingFile() throws Exception {
        write("log.txt", "one\n");

        ToolResult r = append("log.txt", "two\n", true);
        append("log.txt", "three\n", "true");

        assertThat(r.output()).isEqualTo("Successfully wrote 4 bytes to log.txt");
        assertThat(r.structured()).isEqualTo(Map.of("path", "log.txt", "bytes_written", 4, "size", 8, "appended", true));
        assertThat(Files.readString(root.resolve("log.txt"))).isEqualTo("one\ntwo\nthree\n");
        assertThat(filesUnder(root)).containsExactly("log.txt");
    }

    @Test
    void appendingToAMissingFileCreatesIt() throws Exception {
        append("new/log.txt", "first", true);
        assertThat(Files.readString(root.resolve("new/log.txt"))).isEqualTo("first");
    }

    @Test
    void appendFalseReplaces() throws Exception {
        write("f.txt", "old");
        append("f.txt", "new", "false");
        assertThat(Files.readString(root.resolve("f.txt"))).isEqualTo("new");
    }

    @Test
    void refusesContentOverTheLimit() throws Exception {
        assertThat(write("exact.txt", "x".repeat((int) MAX_BYTES)).isSuccess()).isTrue();
        assertThatThrownBy(() -> write("big.txt", "x".repeat((int) MAX_BYTES + 1)))
                .isInstanceOf(ToolException.class)
                .hasMessage("content is 65 bytes, over the limit of 64 bytes");
        // counted in UTF-8 bytes, not characters
        assertThatThrownBy(() -> write("big.txt", "ü".repeat(33)))
                .isInstanceOf(ToolException.class)
                .hasMessage("content is 66 bytes, over the limit of 64 bytes");
        assertThat(root.resolve("big.txt")).doesNotExist();
    }

    @Test
    void refusesAnAppendThatWouldGrowTheFileOverTheLimit() throws Exception {
        write("f.txt", "x".repeat(60));
        assertThatThrownBy(() -> append("f.txt", "12345", true))
                .isInstanceOf(ToolException.class)
                .hasMessage("appending 5 bytes to 'f.txt' would make it 65 bytes, over the limit of 64 bytes");
        assertThat(Files.readString(root.resolve("f.txt"))).isEqualTo("x".repeat(60));
    }

    @Test
    void refusesDotDotAndPathsOutsideTheRoot() {
        assertThatThrownBy(() -> write("../outside/secret.txt", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '../outside/secret.txt' must not contain '..'");
        String secret = outside.resolve("secret.txt").toString();
        assertThatThrownBy(() -> write(secret, "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path '" + secret + "' is outside the workspace root");
        assertThatThrownBy(() -> write("/etc/toka-test", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("outside the workspace root");
        assertThat(Path.of("/etc/toka-test")).doesNotExist();
    }

    @Test
    void refusesAParentDirectoryLinkLeadingOutside() throws Exception {
        Files.createSymbolicLink(root.resolve("linkdir"), outside);

        assertThatThrownBy(() -> write("linkdir/secret.txt", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'linkdir/secret.txt' leads outside the workspace root through a symbolic link");
        assertThatThrownBy(() -> write("linkdir/new/dir/file.txt", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root");
        assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("top secret");
        assertThat(outside.resolve("new")).doesNotExist();
    }

    @Test
    void refusesAFinalLinkLeadingOutside() throws Exception {
        Files.createSymbolicLink(root.resolve("link.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("passwd"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc"), Path.of("/etc"));

        assertThatThrownBy(() -> write("link.txt", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'link.txt' leads outside the workspace root through a symbolic link");
        assertThatThrownBy(() -> append("link.txt", "pwned", true))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root");
        assertThatThrownBy(() -> write("passwd", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root");
        assertThatThrownBy(() -> write("etc/toka-test", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("leads outside the workspace root");
        assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("top secret");
        assertThat(Path.of("/etc/toka-test")).doesNotExist();
        assertThat(Files.isSymbolicLink(root.resolve("link.txt"))).isTrue();
    }

    @Test
    void refusesADanglingLinkInsteadOfCreatingItsTarget() throws Exception {
        Files.createSymbolicLink(root.resolve("dangling"), outside.resolve("created-by-link.txt"));

        assertThatThrownBy(() -> write("dangling", "pwned"))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("'dangling' cannot be resolved");
        assertThat(outside.resolve("created-by-link.txt")).doesNotExist();
    }

    @Test
    void writesThroughALinkThatStaysInside() throws Exception {
        Files.writeString(root.resolve("real.txt"), "old");
        Files.createSymbolicLink(root.resolve("alias.txt"), root.resolve("real.txt"));

        write("alias.txt", "new");

        assertThat(Files.readString(root.resolve("real.txt"))).isEqualTo("new");
        assertThat(Files.isSymbolicLink(root.resolve("alias.txt"))).isTrue();
    }

    @Test
    void refusesADirectoryAndAFileInTheWayOfTheParents() throws Exception {
        Files.createDirectories(root.resolve("dir"));
        Files.writeString(root.resolve("plain.txt"), "p");

        assertThatThrownBy(() -> write("dir", "x"))
                .isInstanceOf(ToolException.class)
                .hasMessage("path 'dir' is a directory; give a file path");
        assertThatThrownBy(() -> write("plain.txt/child.txt", "x"))
                .isInstanceOf(ToolException.class)
                .hasMessage("cannot create the directories for 'plain.txt/child.txt': a file is in the way");
        assertThat(filesUnder(root)).containsExactly("plain.txt");
    }

    @Test
    void refusesMissingArguments() {
        assertThatThrownBy(() -> writer.invoke(ToolInvocation.of(Map.of("path", "a.txt"), Duration.ofSeconds(5))))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'content' is required");
        assertThatThrownBy(() -> write(" ", "x"))
                .isInstanceOf(ToolException.class)
                .hasMessage("argument 'path' must not be blank");
    }

    @Test
    void aFailedWriteLeavesTheFileUnchangedAndNoTemporaryFile() throws Exception {
        Files.writeString(root.resolve("keep.txt"), "original");
        // the registry interrupts the thread when the deadline passes; the write must stop and clean up
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> write("keep.txt", "replacement"))
                    .isInstanceOf(ToolException.class)
                    .hasMessage("writing 'keep.txt' was interrupted; the file is unchanged");
        } finally {
            Thread.interrupted();
        }
        assertThat(Files.readString(root.resolve("keep.txt"))).isEqualTo("original");
        assertThat(filesUnder(root)).containsExactly("keep.txt");
    }

    @Test
    void aConcurrentReaderSeesOnlyWholeContents() throws Exception {
        int size = 1 << 20;
        FileWriterTool big = new FileWriterTool(new Workspace(root), size);
        List<String> contents = new ArrayList<>();
        for (int i = 0; i < 26; i++) {
            contents.add(String.valueOf((char) ('a' + i)).repeat(size));
        }
        Path file = root.resolve("shared.txt");
        big.invoke(ToolInvocation.of(Map.of("path", "shared.txt", "content", contents.get(0)), Duration.ofSeconds(5)));

        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> torn = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch readerStarted = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            readerStarted.countDown();
            while (!done.get() || reads.get() == 0) {
                try {
                    // every full content is one letter repeated: a cheap check keeps the reader sampling often
                    byte[] seen = Files.readAllBytes(file);
                    reads.incrementAndGet();
                    if (seen.length != size || seen[0] != seen[size - 1] || seen[0] != seen[size / 2]) {
                        torn.compareAndSet(null, seen.length + " bytes");
                    }
                } catch (IOException e) {
                    torn.compareAndSet(null, "read failed: " + e);
                }
            }
        });
        reader.start();
        readerStarted.await();
        for (int round = 0; round < 8; round++) {
            for (String c : contents) {
                big.invoke(ToolInvocation.of(Map.of("path", "shared.txt", "content", c), Duration.ofSeconds(5)));
            }
        }
        done.set(true);
        reader.join();

        assertThat(torn.get()).as("a read saw a partial file (%d reads)", reads.get()).isNull();
        assertThat(reads.get()).isPositive();
        assertThat(Files.readString(file)).isEqualTo(contents.get(25));
        assertThat(filesUnder(root)).containsExactly("shared.txt");
    }

    @Test
    void concurrentAppendsAndWritesNeverLeaveTemporaryFiles() throws Exception {
        Map<String, Object> args = new HashMap<>(Map.of("path", "dir/f.txt", "content", "x"));
        Set<Throwable> errors = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 20; i++) {
                    try {
                        writer.invoke(ToolInvocation.of(args, Duration.ofSeconds(5)));
                    } catch (ToolException | RuntimeException e) {
                        errors.add(e);
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(errors).isEmpty();
        assertThat(Files.readString(root.resolve("dir/f.txt"))).isEqualTo("x");
        assertThat(filesUnder(root)).containsExactly("dir/f.txt");
    }

    @Test
    void aDirectorySwappedForALinkToOutsideWhileWritesRunNeverWritesOrReadsOutside() throws Exception {
        FileWriterTool roomy = new FileWriterTool(new Workspace(root), 1 << 16);
        Path d = Files.createDirectories(root.resolve("d"));
        Files.writeString(d.resolve("f.txt"), "inside");
        String secret = "top secret ".repeat(400);
        Files.writeString(outside.resolve("f.txt"), secret);
        Map<String, Object> replace = Map.of("path", "d/f.txt", "content", "a");
        Map<String, Object> append = Map.of("path", "d/f.txt", "content", "b", "append", true);
        int written = 0;
        int refused = 0;
        int largestAppend = 0;
        try (LinkFlipper flipper = new LinkFlipper(d, outside)) {
            for (int i = 0; i < 20_000 && (written < 300 || refused < 300); i++) {
                try {
                    roomy.invoke(ToolInvocation.of(replace, Duration.ofSeconds(5)));
                    ToolResult r = roomy.invoke(ToolInvocation.of(append, Duration.ofSeconds(5)));
                    // an append that read the outside file would have carried its bytes in
                    largestAppend = Math.max(largestAppend, (Integer) ((Map<?, ?>) r.structured()).get("size"));
                    written++;
                } catch (ToolException e) {
                    refused++;
                }
            }
        }
        assertThat(Files.readString(outside.resolve("f.txt")).equals(secret)).as("the outside file is unchanged").isTrue();
        assertThat(filesUnder(outside)).containsExactly("f.txt", "secret.txt");
        assertThat(largestAppend).as("size after an append (%d written, %d refused)", written, refused)
                .isLessThan(secret.length());
        assertThat(written).isPositive();
        assertThat(refused).isPositive();
    }

    @Test
    void writesIntoAnAdditionalRoot() throws Exception {
        Path extra = Files.createDirectories(temp.resolve("extra"));
        FileWriterTool multi = new FileWriterTool(new Workspace(root, List.of(extra)), MAX_BYTES);
        String target = extra.resolve("sub/out.txt").toString();

        ToolResult r = multi.invoke(ToolInvocation.of(Map.of("path", target, "content", "hi"), Duration.ofSeconds(5)));

        assertThat(r.output()).isEqualTo("Successfully wrote 2 bytes to " + target);
        assertThat(Files.readString(extra.resolve("sub/out.txt"))).isEqualTo("hi");
        assertThatThrownBy(() -> Files.readString(root.resolve("sub/out.txt"))).isInstanceOf(NoSuchFileException.class);
        // relative paths still mean the main root
        multi.invoke(ToolInvocation.of(Map.of("path", "sub/out.txt", "content", "main"), Duration.ofSeconds(5)));
        assertThat(Files.readString(root.resolve("sub/out.txt"))).isEqualTo("main");
    }
}
