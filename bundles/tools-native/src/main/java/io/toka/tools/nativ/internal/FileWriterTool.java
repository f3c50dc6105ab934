package io.toka.tools.nativ.internal;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolName;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Writes a UTF-8 text file inside the workspace, replacing it atomically (or appending to it), and creates
 * missing parent directories. Output is "Successfully wrote N bytes to P", as in the original tool.
 */
// the configuration is designated once, on FileReaderTool; every file tool reads the same PID
@Component(service = Tool.class, configurationPid = WorkspaceConfig.PID)
@ToolName(FileWriterTool.NAME)
public final class FileWriterTool implements Tool {

    static final String NAME = "file-writer";

    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "description": "File path, relative to the workspace root"},
                "content": {"type": "string", "description": "Text to write, stored as UTF-8"},
                "append": %s, "description": "Add the content to the end of the file instead of replacing it (default false)"}
              },
              "required": ["path", "content"],
              "additionalProperties": false
            }""".formatted(Arguments.FLAG);

    /** The structured value of a result: the file written and its new size. */
    static final String OUTPUT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "path": {"type": "string", "description": "the file, relative to the workspace"},
                "bytes_written": {"type": "integer", "minimum": 0},
                "size": {"type": "integer", "minimum": 0, "description": "the file's size afterwards"},
                "appended": {"type": "boolean"}
              },
              "required": ["path", "bytes_written", "size", "appended"]
            }""";

    private final Workspace workspace;
    private final long maxBytes;
    private final ToolDescriptor descriptor;

    @Activate
    public FileWriterTool(WorkspaceConfig config) {
        this(Workspace.from(config), config.maxFileBytes());
    }

    FileWriterTool(Workspace workspace, long maxBytes) {
        this.workspace = workspace;
        this.maxBytes = maxBytes;
        this.descriptor = ToolDescriptor.builder(NAME)
                .version("1.0.0")
                .description("Writes a UTF-8 text file inside the workspace, replacing it atomically or appending to it;"
                        + " creates missing parent directories.")
                .title("Write a file")
                .inputSchema(SCHEMA)
                .outputSchema(OUTPUT_SCHEMA)
                .requiredPermissions("filesystem:write")
                .destructive(true)
                .timeout(Duration.ofSeconds(30))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        String userPath = invocation.stringArgument("path");
        String content = invocation.stringArgument("content");
        if (content == null) {
            throw new ToolException("argument 'content' is required");
        }
        boolean append = Arguments.flag(invocation, "append");
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxBytes) {
            throw new ToolException("content is " + bytes.length + " bytes, over the limit of " + maxBytes + " bytes");
        }
        Path file = workspace.resolve(userPath);
        try {
            if (Files.isDirectory(file)) {
                throw new ToolException("path '" + userPath + "' is a directory; give a file path");
            }
            Path target = confinedTarget(userPath, file);
            byte[] existing;
            // the directory is opened without following links, and the file read and replaced relative to it,
            // so what is written is where resolve said, even if a directory on the way has become a link since
            try (SecureDirectoryStream<Path> dir = workspace.openDirectory(target.getParent(), userPath)) {
                existing = append ? existingBytes(userPath, dir, target.getFileName(), bytes.length) : new byte[0];
                AtomicFiles.write(dir, target.getFileName(), ByteBuffer.wrap(existing), ByteBuffer.wrap(bytes));
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("path", workspace.relative(target));
            out.put("bytes_written", bytes.length);
            out.put("size", existing.length + bytes.length);
            out.put("appended", append);
            return ToolResult.success("Successfully wrote " + bytes.length + " bytes to " + userPath, out);
        } catch (ClosedByInterruptException e) {
            throw new ToolException("writing '" + userPath + "' was interrupted; the file is unchanged");
        } catch (FileAlreadyExistsException e) {
            throw new ToolException("cannot create the directories for '" + userPath + "': a file is in the way");
        } catch (IOException e) {
            throw new ToolException("cannot write '" + userPath + "': " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Creates the missing parent directories, then checks again where the parent really is: a directory that
     * another process replaced by a link since {@link Workspace#resolve} must not carry the write outside. (A
     * replacement after this check is caught by {@link Workspace#openDirectory}; one during it can at worst
     * leave empty directories outside, as Java has no mkdirat.)
     */
    private Path confinedTarget(String userPath, Path file) throws IOException, ToolException {
        Path parent = Files.createDirectories(file.getParent()).toRealPath();
        if (!workspace.contains(parent)) {
            throw new ToolException("path '" + userPath + "' leads outside the workspace root through a symbolic link");
        }
        return parent.resolve(file.getFileName());
    }

    private byte[] existingBytes(String userPath, SecureDirectoryStream<Path> dir, Path name, int adding)
            throws IOException, ToolException {
        BasicFileAttributes attrs;
        try {
            attrs = Workspace.attributes(dir, name);
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
        if (!attrs.isRegularFile()) {
            throw new ToolException("path '" + userPath + "' is not a regular file");
        }
        if (attrs.size() + adding > maxBytes) {
            throw new ToolException("appending " + adding + " bytes to '" + userPath + "' would make it "
                    + (attrs.size() + adding) + " bytes, over the limit of " + maxBytes + " bytes");
        }
        byte[] existing;
        try (SeekableByteChannel in = dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            existing = Workspace.readAtMost(in, maxBytes - adding);
        }
        if ((long) existing.length + adding > maxBytes) { // grew while we read it
            throw new ToolException("appending to '" + userPath + "' would go over the limit of " + maxBytes + " bytes");
        }
        return existing;
    }
}
