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
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Finds dates in the future in text files, a common sign of generated content with invented dates, and
 * optionally rewrites them to today. Output is {@code {files_checked, violations:[{file_path, line_number,
 * date_text, parsed_date, days_in_future}], fixes_applied, skipped}}; the call succeeds only when there are no
 * violations, as in the original tool.
 */
// the configuration is designated once, on FileReaderTool; every file tool reads the same PID
@Component(service = Tool.class, configurationPid = WorkspaceConfig.PID)
@ToolName(DateValidatorTool.NAME)
public final class DateValidatorTool implements Tool {

    static final String NAME = "date-validator";

    /** Files larger than this are skipped (and listed as skipped): dates are looked for in text, not data. */
    static final long DEFAULT_MAX_FILE_BYTES = 5L * 1024 * 1024;

    /** The scan stops after this many files, so one call cannot walk an unbounded tree. */
    static final int DEFAULT_MAX_FILES = 10_000;

    static final Set<String> EXTENSIONS = Set.of("java", "md", "yaml", "yml", "toml", "txt", "py", "sh", "rs");

    static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", "build", "dist", "node_modules");

    /*
     * One pattern, alternatives tried left to right at each position, so a date after a prefix is found once.
     * After "Generated on:", "Created:" and "Date:" a date may have one-digit months and days and use '-' or
     * '/'; bare dates must be exactly YYYY-MM-DD, MM/DD/YYYY or YYYY/MM/DD, which keeps version numbers and
     * fractions out. The digit look-arounds stop a match inside a longer number.
     */
    private static final Pattern DATE = Pattern.compile(
            "\\b(?:Generated on|Created|Date):[ \\t]*(?:"
                    + "(?<py>\\d{4})(?<ps>[-/])(?<pm>\\d{1,2})\\k<ps>(?<pd>\\d{1,2})"
                    + "|(?<qm>\\d{1,2})/(?<qd>\\d{1,2})/(?<qy>\\d{4}))(?!\\d)"
                    + "|(?<!\\d)(?<iy>\\d{4})-(?<im>\\d{2})-(?<id>\\d{2})(?!\\d)"
                    + "|(?<!\\d)(?<um>\\d{2})/(?<ud>\\d{2})/(?<uy>\\d{4})(?!\\d)"
                    + "|(?<!\\d)(?<sy>\\d{4})/(?<sm>\\d{2})/(?<sd>\\d{2})(?!\\d)");

    private static final String SCHEMA = """
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "properties": {
                "path": {"type": "string", "minLength": 1, "description": "File or directory to check, relative to the workspace root"},
                "fix_violations": %s, "description": "Rewrite each future date to today's date, in the same format (default false)"}
              },
              "required": ["path"],
              "additionalProperties": false
            }""".formatted(Arguments.FLAG);

    /** The structured value of a result, with or without violations. */
    static final String OUTPUT_SCHEMA = """
            {
              "type": "object",
              "properties": {
                "files_checked": {"type": "integer", "minimum": 0},
                "violations": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "properties": {
                      "file_path": {"type": "string"},
                      "line_number": {"type": "integer", "minimum": 1},
                      "date_text": {"type": "string"},
                      "parsed_date": {"type": "string"},
                      "days_in_future": {"type": "integer"}
                    },
                    "required": ["file_path", "line_number", "date_text", "parsed_date", "days_in_future"]
                  }
                },
                "fixes_applied": {"type": "integer", "minimum": 0},
                "skipped": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "properties": {"file_path": {"type": "string"}, "reason": {"type": "string"}},
                    "required": ["file_path", "reason"]
                  }
                },
                "stopped_early": {"type": "boolean"}
              },
              "required": ["files_checked", "violations", "fixes_applied", "skipped"]
            }""";

    private final Workspace workspace;
    private final Clock clock;
    private final long maxFileBytes;
    private final int maxFiles;
    private final ToolDescriptor descriptor;

    @Activate
    public DateValidatorTool(WorkspaceConfig config) {
        this(Workspace.from(config), Clock.systemUTC(), DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES);
    }

    /**
     * @param clock gives today's date; only its instant is used, read in UTC
     */
    DateValidatorTool(Workspace workspace, Clock clock, long maxFileBytes, int maxFiles) {
        this.workspace = workspace;
        this.clock = clock;
        this.maxFileBytes = maxFileBytes;
        this.maxFiles = maxFiles;
        this.descriptor = ToolDescriptor.builder(NAME)
                .version("1.0.0")
                .description("Finds dates in the future (YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD and dates after 'Generated on:',"
                        + " 'Created:', 'Date:') in the text files of a workspace directory; fails if it finds any."
                        + " With fix_violations it rewrites them to today's date.")
                .title("Find future dates")
                .inputSchema(SCHEMA)
                .outputSchema(OUTPUT_SCHEMA)
                // fixing writes files, and the SPI gives a tool no way to check a permission for one call only,
                // so both are required for every call
                .requiredPermissions("filesystem:read", "filesystem:write")
                .destructive(true)
                .idempotent(true)
                .timeout(Duration.ofSeconds(120))
                .build();
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public ToolResult invoke(ToolInvocation invocation) throws ToolException {
        String userPath = invocation.stringArgument("path");
        boolean fix = Arguments.flag(invocation, "fix_violations");
        Path start = workspace.resolve(userPath);
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        Scan scan = new Scan(today, fix);
        try {
            if (Files.isRegularFile(start)) {
                // a file named explicitly is checked whatever its extension
                scan.check(start, Files.size(start), true);
            } else if (Files.isDirectory(start)) {
                walk(start, scan);
            } else if (Files.exists(start)) {
                throw new ToolException("path '" + userPath + "' is neither a file nor a directory");
            } else {
                throw new ToolException("path '" + userPath + "' does not exist");
            }
        } catch (ClosedByInterruptException e) {
            throw new ToolException("date validation of '" + userPath + "' was interrupted; "
                    + scan.fixes + " fixes had been written");
        } catch (NoSuchFileException e) {
            throw new ToolException("path '" + userPath + "' changed while it was checked");
        } catch (IOException e) {
            throw new ToolException("cannot check '" + userPath + "': " + e.getClass().getSimpleName(), e);
        }
        return scan.result();
    }

    private void walk(Path start, Scan scan) throws IOException, ToolException {
        ToolException[] stop = new ToolException[1];
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.equals(start)) {
                    return FileVisitResult.CONTINUE;
                }
                String name = dir.getFileName().toString();
                return name.startsWith(".") || SKIPPED_DIRECTORIES.contains(name)
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                // links are not followed: one could lead out of the workspace
                if (!attrs.isRegularFile() || !EXTENSIONS.contains(extension(file))) {
                    return FileVisitResult.CONTINUE;
                }
                if (scan.filesChecked >= maxFiles) {
                    scan.stoppedEarly = true;
                    return FileVisitResult.TERMINATE;
                }
                try {
                    scan.check(file, attrs.size(), false);
                } catch (ToolException e) {
                    stop[0] = e;
                    return FileVisitResult.TERMINATE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                scan.skip(file, "cannot be read: " + e.getClass().getSimpleName());
                return FileVisitResult.CONTINUE;
            }
        });
        if (stop[0] != null) {
            throw stop[0];
        }
    }

    private static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** The state of one call. */
    private final class Scan {
        final LocalDate today;
        final boolean fix;
        int filesChecked;
        int fixes;
        boolean stoppedEarly;
        final List<Map<String, Object>> violations = new ArrayList<>();
        final List<Map<String, Object>> skipped = new ArrayList<>();

        Scan(LocalDate today, boolean fix) {
            this.today = today;
            this.fix = fix;
        }

        void skip(Path file, String reason) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("file_path", workspace.relative(file));
            s.put("reason", reason);
            skipped.add(s);
        }

        void check(Path file, long size, boolean named) throws IOException, ToolException {
            if (Thread.currentThread().isInterrupted()) {
                throw new ClosedByInterruptException();
            }
            if (size > maxFileBytes) {
                if (named) {
                    throw new ToolException("file '" + workspace.relative(file) + "' is " + size
                            + " bytes, over the limit of " + maxFileBytes + " bytes");
                }
                skip(file, "larger than " + maxFileBytes + " bytes");
                return;
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(read(file)))
                        .toString();
            } catch (CharacterCodingException e) {
                if (named) {
                    throw new ToolException("file '" + workspace.relative(file) + "' is not UTF-8 text");
                }
                skip(file, "not UTF-8 text");
                return;
            }
            filesChecked++;
            String fixed = scanText(file, text);
            if (fixed != null) {
                AtomicFiles.write(workspace, file, workspace.relative(file), ByteBuffer.wrap(fixed.getBytes(StandardCharsets.UTF_8)));
            }
        }

        /** Reads a file without following links on the way, so that it is the one the walk found inside. */
        private byte[] read(Path file) throws IOException, ToolException {
            try (SeekableByteChannel in = workspace.openFile(file, workspace.relative(file))) {
                byte[] bytes = Workspace.readAtMost(in, maxFileBytes);
                if (bytes.length > maxFileBytes) {
                    throw new ToolException("file '" + workspace.relative(file) + "' grew over the limit of "
                            + maxFileBytes + " bytes while it was read");
                }
                return bytes;
            }
        }

        /** Records the violations in the text; returns the fixed text, or {@code null} if nothing was fixed. */
        private String scanText(Path file, String text) {
            Matcher m = DATE.matcher(text);
            StringBuilder out = fix ? new StringBuilder(text.length()) : null;
            int line = 1;
            int lineCountedTo = 0;
            int copied = 0;
            int fixedHere = 0;
            while (m.find()) {
                FoundDate found = FoundDate.of(m);
                if (found == null) {
                    continue;
                }
                long days = ChronoUnit.DAYS.between(today, found.date());
                if (days <= 0) {
                    continue;
                }
                for (int i = lineCountedTo; i < found.start(); i++) {
                    if (text.charAt(i) == '\n') {
                        line++;
                    }
                }
                lineCountedTo = found.start();
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("file_path", workspace.relative(file));
                v.put("line_number", line);
                v.put("date_text", text.substring(found.start(), found.end()));
                v.put("parsed_date", found.date().toString());
                v.put("days_in_future", days);
                violations.add(v);
                if (out != null) {
                    out.append(text, copied, found.start()).append(found.format(today));
                    copied = found.end();
                    fixedHere++;
                }
            }
            if (out == null || fixedHere == 0) {
                return null;
            }
            fixes += fixedHere;
            return out.append(text, copied, text.length()).toString();
        }

        ToolResult result() {
            // the walk order depends on the file system; the report does not
            violations.sort(Comparator.comparing((Map<String, Object> v) -> (String) v.get("file_path"))
                    .thenComparing(v -> (Integer) v.get("line_number")));
            skipped.sort(Comparator.comparing(v -> (String) v.get("file_path")));
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("files_checked", filesChecked);
            report.put("violations", violations);
            report.put("fixes_applied", fixes);
            report.put("skipped", skipped);
            StringBuilder text = new StringBuilder();
            if (violations.isEmpty()) {
                text.append("No future dates found in ").append(files(filesChecked)).append('.');
            } else {
                long affected = violations.stream().map(v -> v.get("file_path")).distinct().count();
                text.append("Found ").append(violations.size()).append(violations.size() == 1 ? " future date in " : " future dates in ")
                        .append(affected).append(" of ").append(files(filesChecked)).append('.');
                if (fix) {
                    text.append(" Rewrote ").append(fixes).append(fixes == 1 ? " date" : " dates").append(" to ").append(today).append('.');
                }
            }
            if (!skipped.isEmpty()) {
                text.append(" Skipped ").append(files(skipped.size())).append(" (too large or not UTF-8 text).");
            }
            if (stoppedEarly) {
                report.put("stopped_early", true);
                text.append(" Stopped after ").append(maxFiles).append(" files; check a smaller directory for a complete result.");
                return ToolResult.failure(text.toString(), report);
            }
            return violations.isEmpty()
                    ? ToolResult.success(text.toString(), report)
                    : ToolResult.failure(text.toString(), report);
        }

        private static String files(int n) {
            return n + (n == 1 ? " file" : " files");
        }
    }

    /** A real calendar date found in the text, with how it was written. */
    private record FoundDate(LocalDate date, int start, int end, Layout layout, char separator, boolean padded) {

        enum Layout { YMD, MDY }

        static FoundDate of(Matcher m) {
            if (m.group("py") != null) {
                return make(m, "py", "pm", "pd", Layout.YMD, m.group("ps").charAt(0));
            }
            if (m.group("qy") != null) {
                return make(m, "qy", "qm", "qd", Layout.MDY, '/');
            }
            if (m.group("iy") != null) {
                return make(m, "iy", "im", "id", Layout.YMD, '-');
            }
            if (m.group("uy") != null) {
                return make(m, "uy", "um", "ud", Layout.MDY, '/');
            }
            return make(m, "sy", "sm", "sd", Layout.YMD, '/');
        }

        private static FoundDate make(Matcher m, String y, String mo, String d, Layout layout, char sep) {
            LocalDate date;
            try {
                date = LocalDate.of(Integer.parseInt(m.group(y)), Integer.parseInt(m.group(mo)), Integer.parseInt(m.group(d)));
            } catch (DateTimeException e) {
                return null; // not a calendar date, e.g. 2024-02-30 or 13/45/2020
            }
            // the date itself, without a prefix such as "Created: "
            int start = layout == Layout.YMD ? m.start(y) : m.start(mo);
            int end = layout == Layout.YMD ? m.end(d) : m.end(y);
            boolean padded = m.group(mo).length() == 2 && m.group(d).length() == 2;
            return new FoundDate(date, start, end, layout, sep, padded);
        }

        /** The given date written the way this one was. */
        String format(LocalDate other) {
            String mm = padded ? "%02d".formatted(other.getMonthValue()) : Integer.toString(other.getMonthValue());
            String dd = padded ? "%02d".formatted(other.getDayOfMonth()) : Integer.toString(other.getDayOfMonth());
            String yyyy = "%04d".formatted(other.getYear());
            return layout == Layout.YMD
                    ? yyyy + separator + mm + separator + dd
                    : mm + separator + dd + separator + yyyy;
        }
    }
}
