package io.toka.tools.nativ.internal;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolName;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/** Reads a UTF-8 text file inside the workspace. */
@Component(service = Tool.class, configurationPid = WorkspaceConfig.PID)
@Designate(ocd = WorkspaceConfig.class)
@ToolName(FileReaderTool.NAME)
public final class FileReaderTool implements Tool {

    static final String NAME = "file-reader";

    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "description": "File path, relative to the workspace root"}
              },
              "required": ["path"],
              "additionalProperties": false
            }""";

    /** The structured value of a result: the file read and its size. */
    static final String OUTPUT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "path": {"type": "string", "description": "the file, relative to the workspace"},
                "size": {"type": "integer", "minimum": 0, "description": "bytes read"}
              },
              "required": ["path", "size"]
            }""";

    private final Workspace workspace;
    private final long maxBytes;
    private final ToolDescriptor descriptor;

    @Activate
    public FileReaderTool(WorkspaceConfig config) {
        this(Workspace.from(config), config.maxFileBytes());
    }

    FileReaderTool(Workspace workspace, long maxBytes) {
        this.workspace = workspace;
        this.maxBytes = maxBytes;
        this.descriptor = ToolDescriptor.builder(NAME)
                .version("1.0.0")
                .description("Reads a UTF-8 text file inside the workspace and returns its contents.")
                .title("Read a file")
                .inputSchema(SCHEMA)
                .outputSchema(OUTPUT_SCHEMA)
                .requiredPermissions("filesystem:read")
                .readOnly(true)
                .idempotent(true)
                .timeout(Duration.ofSeconds(10))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        String userPath = invocation.stringArgument("path");
        Path file = workspace.resolve(userPath);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new ToolException("path '" + userPath + "' is a directory; use file-lister");
        }
        // opened without following links, so the file read is the one resolve checked even if a directory on
        // the way is replaced by a link to outside in the meantime
        try (SeekableByteChannel in = workspace.openFile(file, userPath)) {
            long size = in.size();
            if (size > maxBytes) {
                throw new ToolException("file '" + userPath + "' is " + size + " bytes, over the limit of " + maxBytes + " bytes");
            }
            byte[] bytes = Workspace.readAtMost(in, maxBytes);
            if (bytes.length > maxBytes) { // grew while we read it
                throw new ToolException("file '" + userPath + "' is over the limit of " + maxBytes + " bytes");
            }
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            return ToolResult.success(text, Map.of("path", workspace.relative(file), "size", bytes.length));
        } catch (NoSuchFileException e) {
            throw new ToolException("file '" + userPath + "' does not exist");
        } catch (CharacterCodingException e) {
            throw new ToolException("file '" + userPath + "' is not UTF-8 text");
        } catch (IOException e) {
            throw new ToolException("cannot read '" + userPath + "': " + e.getClass().getSimpleName(), e);
        }
    }
}
