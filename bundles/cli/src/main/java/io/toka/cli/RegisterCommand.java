package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code toka tools register --manifest-dir DIR [--wait 30s]}: copies DIR's manifests and the scripts they name into
 * Toka's tools directory on this machine ({@link ToolsDirectory}), then asks Toka until each tool is live (its
 * version listed) or its manifest is refused ({@code /api/v1/tools/errors}), and says which. Exit 0 when every tool
 * is live, 1 otherwise.
 */
final class RegisterCommand {

    /**
     * How soon Toka is asked again while waiting: it loads a manifest within about 300 ms, and each round costs two
     * requests of the token's rate limit (by default a burst of 10 and 100 a minute), so the pause grows.
     */
    private static final Duration FIRST_POLL = Duration.ofMillis(300);
    private static final Duration MAX_POLL = Duration.ofSeconds(3);
    /** A tool that was live before with the same version: how long to watch for an error in the new copy. */
    private static final Duration SETTLE = Duration.ofSeconds(2);

    private RegisterCommand() {
    }

    private enum Outcome { PENDING, LIVE, ERROR }

    private static final class Tool {
        final ManifestSet.Manifest manifest;
        final String before;
        Path target;
        Outcome outcome = Outcome.PENDING;
        String detail = "";

        Tool(ManifestSet.Manifest manifest, String before) {
            this.manifest = manifest;
            this.before = before;
        }
    }

    static int run(Context c, Args a) throws CliException {
        a.none();
        String dirText = a.value("--manifest-dir");
        if (dirText == null) {
            throw CliException.usage("tools register needs --manifest-dir DIR (see --help)");
        }
        long waitSeconds = a.has("--wait") ? Args.seconds("--wait", a.value("--wait")) : 30;
        List<ManifestSet.Manifest> manifests = ManifestSet.read(dirText, new ObjectMapper(new YAMLFactory()));
        ToolsDirectory tools = ToolsDirectory.locate(c.env(), c.url());
        // ask Toka first: nothing is copied for a Toka that is down or a token that may not read tools
        c.api().get("/tools/errors");
        Map<String, String> live = versions(c);
        List<Tool> list = new ArrayList<>();
        for (ManifestSet.Manifest m : manifests) {
            list.add(new Tool(m, live.get(m.name())));
        }
        Instant start = Instant.now();
        for (Tool t : list) {
            for (ManifestSet.FileToCopy s : t.manifest.scripts()) {
                tools.install(s.source(), s.relative());
            }
            // the manifest last: when Toka sees it, its script is already there
            t.target = tools.install(t.manifest.manifest().source(), t.manifest.manifest().relative());
            c.err().println("toka: copied " + t.manifest.manifest().relative() + " (tool '" + t.manifest.name() + "'"
                    + (t.manifest.scripts().isEmpty() ? "" : ", with " + t.manifest.scripts().stream()
                    .map(s -> s.relative().toString()).reduce((x, y) -> x + ", " + y).orElse(""))
                    + ") to " + tools.dir());
            for (String e : t.manifest.external()) {
                c.err().println("toka: note: " + t.manifest.manifest().relative() + " names " + e
                        + ", outside the manifest directory; it was not copied and is used where it is");
            }
        }
        Instant copied = Instant.now();
        Instant deadline = copied.plusSeconds(waitSeconds);
        long pause = FIRST_POLL.toMillis();
        while (true) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.failure("interrupted while waiting for Toka to load the tools");
            }
            pause = Math.min(MAX_POLL.toMillis(), pause * 3 / 2);
            Map<Path, List<String>> fresh = freshErrors(c, start);
            Map<String, String> versions = versions(c);
            boolean pending = false;
            for (Tool t : list) {
                if (t.outcome != Outcome.PENDING) {
                    continue;
                }
                List<String> problems = problemsOf(fresh, t.target);
                if (problems != null) {
                    t.outcome = Outcome.ERROR;
                    t.detail = String.join("; ", problems);
                    continue;
                }
                String now = versions.get(t.manifest.name());
                boolean changed = t.before == null || !t.before.equals(t.manifest.version());
                if (t.manifest.version().equals(now)
                        && (changed || Duration.between(copied, Instant.now()).compareTo(SETTLE) >= 0)) {
                    t.outcome = Outcome.LIVE;
                } else {
                    pending = true;
                }
            }
            if (!pending || Instant.now().isAfter(deadline)) {
                break;
            }
        }
        int status = Main.EXIT_OK;
        for (Tool t : list) {
            String head = t.manifest.name() + " " + t.manifest.version() + ": ";
            switch (t.outcome) {
                case LIVE -> c.out().println(head + "live");
                case ERROR -> {
                    c.out().println(head + "error: " + t.detail);
                    status = Main.EXIT_FAILURE;
                }
                default -> {
                    c.out().println(head + "not live after " + waitSeconds + " s (Toka did not load " + t.target
                            + "; is Toka running from TOKA_HOME=" + c.env().get("TOKA_HOME") + "? see 'toka tools "
                            + "errors')");
                    status = Main.EXIT_FAILURE;
                }
            }
        }
        return status;
    }

    /** The live tools' versions by name, in one request. */
    private static Map<String, String> versions(Context c) throws CliException {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode t : Context.list(c.api().get("/tools"), "tools", "GET /api/v1/tools")) {
            out.put(Context.text(t, "name"), Context.text(t, "version"));
        }
        return out;
    }

    /** The manifest errors Toka recorded since {@code start}, by file. */
    private static Map<Path, List<String>> freshErrors(Context c, Instant start) throws CliException {
        JsonNode errors = Context.list(c.api().get("/tools/errors"), "errors", "GET /api/v1/tools/errors");
        Map<Path, List<String>> out = new LinkedHashMap<>();
        for (JsonNode e : errors) {
            Instant at;
            Path file;
            try {
                at = Instant.parse(Context.text(e, "at"));
                file = Path.of(Context.text(e, "file"));
            } catch (DateTimeParseException | InvalidPathException ex) {
                continue;
            }
            if (!at.isBefore(start)) {
                out.computeIfAbsent(file, k -> new ArrayList<>()).add(Context.text(e, "field") + ": "
                        + Context.text(e, "problem"));
            }
        }
        return out;
    }

    private static List<String> problemsOf(Map<Path, List<String>> errors, Path target) {
        for (Map.Entry<Path, List<String>> e : errors.entrySet()) {
            try {
                if (e.getKey().getFileName() != null && e.getKey().getFileName().equals(target.getFileName())
                        && Files.exists(e.getKey()) && Files.isSameFile(e.getKey(), target)) {
                    return e.getValue();
                }
            } catch (IOException ex) {
                // not the same file
            }
        }
        return null;
    }
}
