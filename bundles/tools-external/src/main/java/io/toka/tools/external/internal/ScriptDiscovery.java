package io.toka.tools.external.internal;

import io.toka.tool.ToolDescriptor;
import io.toka.tools.external.DraftManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds scripts and proposes a draft manifest for each, following the original's {@code discovery.rs}: files
 * {@code *.sh}, {@code *.bash} and {@code *.py} up to three levels deep (symbolic links not followed), skipping
 * paths (relative to the scanned directory) that contain {@code test}, {@code __pycache__}, {@code .pyc},
 * {@code .git} or {@code target}, and, as the original's security preset did, {@code secret}, {@code password},
 * {@code key} or {@code token}. The tool name is the file stem, lower-cased, with {@code _} and spaces turned into
 * {@code -} (other characters a tool name cannot hold become {@code -} too); the description is the first line of
 * a Python docstring or the first {@code #} comment after the shebang in the first ten lines. Capabilities are
 * inferred as the original did. Registers nothing.
 */
final class ScriptDiscovery {

    static final int MAX_DEPTH = 3;
    private static final List<String> EXCLUDED = List.of("test", "__pycache__", ".pyc", ".git", "target", "secret",
            "password", "key", "token");
    /** Original name rules; {@code *test*} cannot fire since such files are skipped. */
    private static final Map<String, String> NAME_RULES = Map.of("analysis", "code-analysis", "monitor",
            "system-monitoring", "build", "build-system", "validate", "validation", "visualize", "visualization");
    private static final Map<String, String> PATH_RULES = Map.of("scripts/", "utility", "tools/", "development", "bin/",
            "executable");
    private static final Map<String, String> CONTENT_RULES = Map.of("import ast", "code-analysis", "import subprocess",
            "process-spawn", "import requests", "network-access", "import os", "filesystem-access");

    private ScriptDiscovery() {
    }

    static List<DraftManifest> discover(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a directory");
        }
        List<Path> scripts;
        try (Stream<Path> s = Files.walk(root, MAX_DEPTH)) {
            scripts = s.filter(p -> Files.isRegularFile(p) && included(root.relativize(p))).sorted().toList();
        }
        List<DraftManifest> out = new ArrayList<>();
        for (Path p : scripts) {
            out.add(draft(root, p));
        }
        return out;
    }

    static boolean included(Path relative) {
        String rel = relative.toString().toLowerCase(Locale.ROOT);
        if (!(rel.endsWith(".sh") || rel.endsWith(".bash") || rel.endsWith(".py"))) {
            return false;
        }
        return EXCLUDED.stream().noneMatch(rel::contains);
    }

    static String toolName(Path script) {
        String file = script.getFileName().toString();
        int dot = file.lastIndexOf('.');
        String stem = dot > 0 ? file.substring(0, dot) : file;
        String name = stem.replace('_', '-').replace(' ', '-').toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9-]", "-").replaceAll("^-+", "");
        if (name.length() > 64) {
            name = name.substring(0, 64);
        }
        return ToolDescriptor.isValidName(name) ? name : "script-" + Integer.toHexString(stem.hashCode());
    }

    static String description(String content, boolean python) {
        if (python) {
            for (String quote : List.of("\"\"\"", "'''")) {
                int start = content.indexOf(quote);
                int end = start < 0 ? -1 : content.indexOf(quote, start + 3);
                if (end > 0) {
                    for (String line : content.substring(start + 3, end).split("\\R")) {
                        if (!line.isBlank()) {
                            return line.trim();
                        }
                    }
                }
            }
        }
        String[] lines = content.split("\\R", 11);
        for (int i = 0; i < Math.min(10, lines.length); i++) {
            String line = lines[i].trim();
            if (line.startsWith("#") && !line.startsWith("#!")) {
                String d = line.replaceFirst("^#+", "").trim();
                if (!d.isEmpty()) {
                    return d;
                }
            }
        }
        return python ? "Python tool" : "Shell tool";
    }

    private static DraftManifest draft(Path root, Path script) throws IOException {
        String content = new String(Files.readAllBytes(script), StandardCharsets.UTF_8);
        String rel = root.relativize(script).toString().replace('\\', '/').toLowerCase(Locale.ROOT);
        boolean python = rel.endsWith(".py");
        String name = toolName(script);
        String description = description(content, python);
        Set<String> required = new LinkedHashSet<>();
        required.add("filesystem-read");
        if (!python) {
            required.add("process-spawn");
        }
        String lower = content.toLowerCase(Locale.ROOT);
        CONTENT_RULES.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .filter(e -> lower.contains(e.getKey())).forEach(e -> required.add(e.getValue()));
        Set<String> labels = new LinkedHashSet<>();
        String fileName = script.getFileName().toString().toLowerCase(Locale.ROOT);
        NAME_RULES.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .filter(e -> fileName.contains(e.getKey())).forEach(e -> labels.add(e.getValue()));
        PATH_RULES.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .filter(e -> rel.startsWith(e.getKey()) || rel.contains("/" + e.getKey())).forEach(e -> labels.add(e.getValue()));
        labels.removeAll(required);

        StringBuilder y = new StringBuilder();
        y.append("# Draft manifest proposed by Toka discovery for ").append(script).append('\n');
        y.append("# Nothing is registered until you review the lines marked REVIEW and save this file as\n");
        y.append("# ").append(name).append(".tool.yaml in deploy/ or in the tools directory.\n");
        y.append("metadata:\n");
        y.append("  name: ").append(q(name)).append("  # REVIEW: the name agents call the tool by\n");
        y.append("  version: \"0.1.0\"\n");
        y.append("  category: \"discovered\"\n");
        y.append("  description: ").append(q(description)).append("  # REVIEW: taken from the script's first comment\n");
        y.append("spec:\n");
        y.append("  executable:\n");
        y.append("    type: ").append(q(python ? "python" : "shell")).append('\n');
        y.append("    path: ").append(q(script.toString())).append('\n');
        y.append("    # REVIEW: argv passes --name value pairs in parameter order; json sends the arguments on stdin\n");
        y.append("    arguments: \"argv\"\n");
        y.append("  capabilities:\n");
        y.append("    # REVIEW: each required capability becomes a permission a caller must hold\n");
        y.append("    # (filesystem-read -> filesystem:read); inferred from the script type and content\n");
        y.append("    required:\n");
        required.forEach(c -> y.append("      - ").append(q(c)).append('\n'));
        y.append("    # inferred from the file name and path; listed only, not enforced\n");
        y.append("    optional:").append(labels.isEmpty() ? " []\n" : "\n");
        labels.forEach(c -> y.append("      - ").append(q(c)).append('\n'));
        y.append("  security:\n");
        y.append("    level: \"medium\"  # REVIEW: high, medium or low set the default limits below\n");
        y.append("    sandbox:\n");
        y.append("      timeout: \"60s\"\n");
        y.append("      allow_network: false").append(required.contains("network-access")
                ? "  # REVIEW: the script imports requests; set true if it needs the network\n" : "\n");
        y.append("      # REVIEW: host paths the script must read or write (absolute, or relative to this file)\n");
        y.append("      readonly_paths: []\n");
        y.append("      writable_paths: []\n");
        y.append("  # REVIEW: declare each option the script reads, e.g.\n");
        y.append("  #   - {name: \"path\", type: \"string\", description: \"File to check\", required: true}\n");
        y.append("  parameters: []\n");
        y.append("interface:\n");
        y.append("  execution:\n");
        y.append("    hot_swappable: true\n");
        y.append("    parallel_safe: true  # REVIEW: false if two runs at once would clash\n");
        return new DraftManifest(script.toString(), name, y.toString());
    }

    /** A YAML double-quoted scalar. */
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
