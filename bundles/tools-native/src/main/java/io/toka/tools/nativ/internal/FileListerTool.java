package io.toka.tools.nativ.internal;

import io.toka.tool.Tool;
import io.toka.tool.ToolDescriptor;
import io.toka.tool.ToolException;
import io.toka.tool.ToolInvocation;
import io.toka.tool.ToolName;
import io.toka.tool.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Lists a directory inside the workspace. Output is JSON
 * {@code {path, entries:[{name, path, is_directory, size, modified}], recursive}}, directories first, then by name.
 */
// the configuration is designated once, on FileReaderTool; both tools read the same PID
@Component(service = Tool.class, configurationPid = WorkspaceConfig.PID)
@ToolName(FileListerTool.NAME)
public final class FileListerTool implements Tool {

    static final String NAME = "file-lister";

    /** Upper bound on entries in one listing, so a recursive listing of a huge tree cannot exhaust memory. */
    static final int MAX_ENTRIES = 10_000;

    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "description": "Directory, relative to the workspace root"},
                "recursive": %s, "description": "List subdirectories too (default false)"},
                "show_hidden": %s, "description": "Include dot-files (default false)"}
              },
              "required": ["path"],
              "additionalProperties": false
            }""".formatted(Arguments.FLAG, Arguments.FLAG);

    /** The structured value of a result: the directory and its entries. */
    static final String OUTPUT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "path": {"type": "string", "description": "the directory, relative to the workspace"},
                "recursive": {"type": "boolean"},
                "entries": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "properties": {
                      "name": {"type": "string"},
                      "path": {"type": "string", "description": "relative to the workspace"},
                      "is_directory": {"type": "boolean"},
                      "size": {"type": "integer", "minimum": 0, "description": "bytes; files only"},
                      "modified": {"type": "integer", "description": "seconds since the epoch"}
                    },
                    "required": ["name", "path", "is_directory", "modified"]
                  }
                }
              },
              "required": ["path", "recursive", "entries"]
            }""";

    private static final Comparator<Map<String, Object>> ORDER =
            Comparator.<Map<String, Object>, Boolean>comparing(e -> !(Boolean) e.get("is_directory"))
                    .thenComparing(e -> (String) e.get("path"));

    private final Workspace workspace;
    private final ToolDescriptor descriptor;

    @Activate
    public FileListerTool(WorkspaceConfig config) {
        this(Workspace.from(config));
    }

    FileListerTool(Workspace workspace) {
        this.workspace = workspace;
        this.descriptor = ToolDescriptor.builder(NAME)
                .version("1.0.0")
                .description("Lists a directory inside the workspace: directories first, then files, by name.")
                .title("List a directory")
                .inputSchema(SCHEMA)
                .outputSchema(OUTPUT_SCHEMA)
                .requiredPermissions("filesystem:read")
                .readOnly(true)
                .idempotent(true)
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
        boolean recursive = Arguments.flag(invocation, "recursive");
        boolean showHidden = Arguments.flag(invocation, "show_hidden");
        Path dir = workspace.resolve(userPath);
        if (!Files.exists(dir)) {
            throw new ToolException("directory '" + userPath + "' does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new ToolException("path '" + userPath + "' is not a directory; use file-reader");
        }
        List<Map<String, Object>> entries = new ArrayList<>();
        // opened and descended without following links, so a directory swapped for a link to outside after
        // resolve checked it is not listed
        try (SecureDirectoryStream<Path> stream = workspace.openDirectory(dir, userPath)) {
            collect(stream, recursive, showHidden, entries);
        } catch (NoSuchFileException e) {
            throw new ToolException("directory '" + userPath + "' changed while it was listed");
        } catch (IOException e) {
            throw new ToolException("cannot list '" + userPath + "': " + e.getClass().getSimpleName(), e);
        }
        entries.sort(ORDER);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("path", workspace.relative(dir));
        out.put("entries", entries);
        out.put("recursive", recursive);
        StringBuilder text = new StringBuilder();
        for (Map<String, Object> e : entries) {
            text.append((Boolean) e.get("is_directory") ? "[dir]  " : "[file] ").append(e.get("path")).append('\n');
        }
        if (entries.isEmpty()) {
            text.append("(empty)\n");
        }
        return ToolResult.success(text.toString(), out);
    }

    private void collect(SecureDirectoryStream<Path> dir, boolean recursive, boolean showHidden,
            List<Map<String, Object>> out) throws IOException, ToolException {
        for (Path child : dir) {
            Path name = child.getFileName();
            if (!showHidden && name.toString().startsWith(".")) {
                continue;
            }
            if (out.size() >= MAX_ENTRIES) {
                throw new ToolException("listing has more than " + MAX_ENTRIES + " entries; list a smaller directory");
            }
            // never follow links: a link to outside the workspace is shown, not entered
            BasicFileAttributes attrs = Workspace.attributes(dir, name);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", name.toString());
            entry.put("path", workspace.relative(child));
            entry.put("is_directory", attrs.isDirectory());
            if (!attrs.isDirectory()) {
                entry.put("size", attrs.size());
            }
            entry.put("modified", attrs.lastModifiedTime().toInstant().getEpochSecond());
            out.add(entry);
            if (recursive && attrs.isDirectory()) {
                try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    collect(sub, true, showHidden, out);
                }
            }
        }
    }
}
