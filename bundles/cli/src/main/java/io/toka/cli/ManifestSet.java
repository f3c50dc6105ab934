package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code *.tool.yaml} manifests of a directory and the scripts they name, checked before anything is copied:
 * each manifest parses and names its tool, and every file it names lies inside the directory, also after symbolic
 * links are followed. Toka checks the rest (schema, interpreter, sandbox) when it loads the copy.
 */
final class ManifestSet {

    static final String SUFFIX = ".tool.yaml";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final long MAX_MANIFEST_BYTES = 1024 * 1024;

    /**
     * A file to copy.
     *
     * @param source where it is (inside the directory)
     * @param relative its path relative to the directory, which it keeps under tools/
     */
    record FileToCopy(Path source, Path relative) {
    }

    /**
     * One manifest.
     *
     * @param manifest the manifest file to copy
     * @param name the tool's name
     * @param version the tool's version (Toka's default 1.0.0 when the manifest gives none)
     * @param scripts the files it names, to copy before it
     * @param external paths it names outside the directory by an absolute path, used where they are
     */
    record Manifest(FileToCopy manifest, String name, String version, List<FileToCopy> scripts,
                    List<String> external) {
    }

    private ManifestSet() {
    }

    /**
     * @param dirText the {@code --manifest-dir}
     * @param yaml a YAML mapper
     * @return the manifests, sorted by file name
     * @throws CliException naming the first manifest that cannot be registered and why
     */
    static List<Manifest> read(String dirText, ObjectMapper yaml) throws CliException {
        Path dir;
        try {
            dir = Path.of(dirText).toRealPath();
        } catch (InvalidPathException | IOException e) {
            throw CliException.usage("--manifest-dir " + Args.shorten(dirText) + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw CliException.usage("--manifest-dir " + dirText + " is not a directory");
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            ds.forEach(files::add);
        } catch (IOException e) {
            throw CliException.failure("cannot list " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw CliException.usage(dir + " holds no *" + SUFFIX + " manifests");
        }
        files.sort(null);
        List<Manifest> out = new ArrayList<>();
        Map<String, Path> names = new HashMap<>();
        for (Path f : files) {
            Manifest m = manifest(dir, f, yaml);
            Path other = names.put(m.name(), f);
            if (other != null) {
                throw CliException.failure(f.getFileName() + " and " + other.getFileName() + " both define the tool '"
                        + m.name() + "'; nothing was copied");
            }
            out.add(m);
        }
        return out;
    }

    private static Manifest manifest(Path dir, Path file, ObjectMapper yaml) throws CliException {
        String label = file.getFileName().toString();
        inside(dir, file, label, label);
        if (!Files.isRegularFile(file)) {
            throw CliException.failure(label + " is not a regular file; nothing was copied");
        }
        JsonNode root;
        try {
            if (Files.size(file) > MAX_MANIFEST_BYTES) {
                throw CliException.failure(label + " is over 1 MiB: that is not a manifest; nothing was copied");
            }
            root = yaml.readTree(file.toFile());
        } catch (IOException e) {
            throw CliException.failure(label + " is not valid YAML: " + firstLine(e.getMessage())
                    + "; nothing was copied");
        }
        if (root == null || !root.isObject()) {
            throw CliException.failure(label + " is not a manifest (a mapping with metadata and spec, or with name, "
                    + "description and executable); nothing was copied");
        }
        boolean full = root.has("metadata") || root.has("spec");
        JsonNode meta = full ? root.path("metadata") : root;
        JsonNode spec = full ? root.path("spec") : root;
        String field = full ? "metadata.name" : "name";
        String name = meta.path("name").asText("").trim();
        if (!NAME.matcher(name).matches()) {
            throw CliException.failure(label + ": " + field + (name.isEmpty() ? " is missing"
                    : " '" + Args.shorten(name) + "' is not a valid tool name (1-64 lower-case letters, digits and "
                    + "dashes)") + "; nothing was copied");
        }
        String version = meta.path("version").isValueNode() && !meta.path("version").asText().isBlank()
                ? meta.path("version").asText().trim() : "1.0.0";
        String execField = (full ? "spec." : "") + "executable";
        JsonNode exec = spec.path("executable");
        String path = exec.isTextual() ? exec.asText() : exec.path("path").asText("");
        if (path.isBlank()) {
            throw CliException.failure(label + ": " + execField + (exec.isObject() ? ".path" : "")
                    + " is missing; nothing was copied");
        }
        List<FileToCopy> scripts = new ArrayList<>();
        List<String> external = new ArrayList<>();
        String pathField = execField + (exec.isTextual() ? "" : ".path");
        Path relative = relative(dir, path, label, pathField);
        if (relative == null) {
            external.add(path.trim());
        } else {
            Path source = dir.resolve(relative);
            if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                throw CliException.failure(label + ": " + pathField + " '" + path + "' does not exist in " + dir
                        + "; nothing was copied");
            }
            inside(dir, source, label, pathField + " '" + path + "'");
            if (!Files.isRegularFile(source)) {
                throw CliException.failure(label + ": " + pathField + " '" + path + "' is not a regular file; "
                        + "nothing was copied");
            }
            scripts.add(new FileToCopy(source, relative));
        }
        String work = exec.path("working_directory").asText("");
        if (!work.isBlank() && relative(dir, work, label, execField + ".working_directory") == null) {
            external.add(work.trim());
        }
        return new Manifest(new FileToCopy(file, file.getFileName()), name, version, List.copyOf(scripts),
                List.copyOf(external));
    }

    /**
     * @return the path relative to the directory, or null for an absolute path (used where it is)
     * @throws CliException if a relative path leads out of the directory
     */
    private static Path relative(Path dir, String text, String label, String field) throws CliException {
        Path p;
        try {
            p = Path.of(text.trim());
        } catch (InvalidPathException e) {
            throw CliException.failure(label + ": " + field + " '" + Args.shorten(text) + "' is not a valid path; "
                    + "nothing was copied");
        }
        if (p.isAbsolute()) {
            return null;
        }
        Path resolved = dir.resolve(p).normalize();
        if (!resolved.startsWith(dir) || resolved.equals(dir) && field.endsWith(".path")) {
            throw CliException.failure(label + ": " + field + " '" + text + "' leads out of " + dir
                    + "; name files inside the manifest directory (nothing was copied)");
        }
        return dir.relativize(resolved);
    }

    /** Refuses a file that is, or passes through, a symbolic link leading out of the directory. */
    private static void inside(Path dir, Path file, String label, String what) throws CliException {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            throw CliException.failure(label + ": " + what + " cannot be resolved (a broken symbolic link?): "
                    + e.getMessage() + "; nothing was copied");
        }
        if (!real.startsWith(dir)) {
            throw CliException.failure(label + ": " + what + " is a symbolic link leading out of " + dir + " (to "
                    + real + "); copy the file itself into the directory (nothing was copied)");
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    /** @return the manifests by tool name, in order */
    static Map<String, Manifest> byName(List<Manifest> manifests) {
        Map<String, Manifest> m = new LinkedHashMap<>();
        manifests.forEach(x -> m.put(x.name(), x));
        return m;
    }
}
