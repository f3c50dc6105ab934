package io.toka.tools.external.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.toka.sandbox.SandboxLimits;
import io.toka.tool.ToolDescriptor;
import io.toka.tools.external.internal.Manifest.ArgumentMode;
import io.toka.tools.external.internal.Manifest.Parameter;
import io.toka.tools.external.internal.Manifest.Type;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a YAML tool manifest into a {@link Manifest}, or into the list of everything wrong with it. Every problem
 * names the field as a dotted path ({@code spec.security.sandbox.memory_limit}, {@code spec.parameters[2].type});
 * the whole file is checked, so one read reports all problems.
 *
 * <p>Two forms are accepted. The original's full form has the sections {@code metadata}, {@code spec} and
 * {@code interface} (plus {@code protocols}, {@code outputs} and {@code dependencies}, which are ignored). The
 * minimal form puts the fields of {@code metadata} and {@code spec} at the top level: {@code name},
 * {@code description}, {@code executable} (a path, or a map like {@code spec.executable}) and optionally
 * {@code title}, {@code version}, {@code category}, {@code author}, {@code created}, {@code parameters},
 * {@code outputSchema}, {@code capabilities}, {@code security} and {@code interface}. {@code outputSchema} (in
 * {@code spec} in the full form) is a JSON Schema for the JSON object the program prints on success. A file with {@code metadata} or {@code spec} is in the full form. Unknown
 * keys are errors, to catch typos.
 *
 * <p>Thread-safe.
 */
final class ManifestParser {

    /** One thing wrong with a manifest. */
    record Problem(String field, String problem) {
        @Override
        public String toString() {
            return field + ": " + problem;
        }
    }

    /** A manifest, or why there is none. */
    record Result(Manifest manifest, List<Problem> problems) {
        boolean valid() {
            return manifest != null;
        }
    }

    /** Field used for problems with the file as a whole. */
    static final String FILE = "(file)";
    static final String SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";
    static final Path DEFAULT_SHELL = Path.of("/bin/bash");
    static final Path DEFAULT_PYTHON = Path.of("/usr/bin/python3");
    /** Where bare interpreter names are looked up: directories the sandbox always shows. */
    static final List<Path> INTERPRETER_DIRS = List.of(Path.of("/usr/bin"), Path.of("/bin"));
    /** Parameter names become {@code --name} options, so they must look like one. */
    static final Pattern PARAMETER_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,63}");
    static final Set<String> PARAMETER_TYPES = Set.of("string", "integer", "number", "boolean", "enum", "array", "object");

    private static final Set<String> IGNORED_SECTIONS = Set.of("protocols", "outputs", "dependencies");
    private static final List<String> FULL_TOP = List.of("metadata", "spec", "interface");
    private static final List<String> METADATA = List.of("name", "title", "version", "category", "description", "author",
            "created");
    private static final List<String> SPEC = List.of("executable", "capabilities", "security", "parameters",
            "outputSchema");
    private static final List<String> MINIMAL_TOP;
    private static final List<String> EXECUTABLE = List.of("type", "path", "interpreter", "working_directory", "arguments");
    private static final List<String> CAPABILITIES = List.of("required", "optional");
    private static final List<String> SECURITY = List.of("level", "sandbox");
    private static final List<String> SANDBOX = List.of("memory_limit", "cpu_limit", "timeout", "output_limit",
            "allow_network", "network_restrictions", "readonly_paths", "writable_paths");
    private static final List<String> PARAMETER = List.of("name", "type", "description", "required", "default", "values");
    private static final List<String> INTERFACE = List.of("hot_swappable", "parallel_safe", "execution", "discovery",
            "integration");
    private static final List<String> EXECUTION = List.of("hot_swappable", "parallel_safe", "resource_intensive");

    static {
        List<String> top = new ArrayList<>(METADATA);
        top.addAll(SPEC);
        top.add("interface");
        MINIMAL_TOP = List.copyOf(top);
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int cores;

    ManifestParser() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** @param cores the number of cores, which bounds {@code cpu_limit} */
    ManifestParser(int cores) {
        this.cores = cores;
    }

    /**
     * @param file the manifest file
     * @return the manifest, or every problem found
     */
    Result parse(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        String text;
        try {
            text = Files.readString(abs);
        } catch (IOException e) {
            return invalid(FILE, "cannot be read: " + e.getMessage());
        }
        return parse(abs, text);
    }

    /**
     * @param file the manifest file, absolute; relative paths in the manifest are resolved against its directory
     * @param text the manifest text
     * @return the manifest, or every problem found
     */
    Result parse(Path file, String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            return invalid(FILE, "is not valid YAML" + where + ": " + yamlProblem(e.getOriginalMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return invalid(FILE, "is empty");
        }
        if (!root.isObject()) {
            return invalid(FILE, "must be a mapping with the sections metadata and spec, or with name, description and executable");
        }
        return new Reader(file, root).read();
    }

    /** SnakeYAML's message spans lines with context and carets; keep only its sentences. */
    private static String yamlProblem(String message) {
        if (message == null) {
            return "unreadable";
        }
        List<String> parts = new ArrayList<>();
        for (String line : message.split("\\R")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("^")) {
                parts.add(line.trim());
            }
        }
        return parts.isEmpty() ? message.trim() : String.join("; ", parts);
    }

    private static Result invalid(String field, String problem) {
        return new Result(null, List.of(new Problem(field, problem)));
    }

    /** Reads one file; collects problems instead of stopping at the first. */
    private final class Reader {
        private final Path file;
        private final Path dir;
        private final JsonNode root;
        private final List<Problem> problems = new ArrayList<>();

        Reader(Path file, JsonNode root) {
            this.file = file;
            this.dir = file.getParent() == null ? Path.of("/") : file.getParent();
            this.root = root;
        }

        Result read() {
            boolean full = root.has("metadata") || root.has("spec");
            JsonNode meta;
            JsonNode spec;
            String m;
            String s;
            if (full) {
                unknownKeys(root, "", FULL_TOP, "is not a manifest section; use metadata, spec and interface "
                        + "(protocols, outputs and dependencies are ignored)");
                meta = section(root, "metadata", "metadata", true);
                spec = section(root, "spec", "spec", true);
                if (meta != null) {
                    unknownKeys(meta, "metadata.", METADATA, "is not a metadata field; use " + String.join(", ", METADATA));
                }
                if (spec != null) {
                    unknownKeys(spec, "spec.", SPEC, "is not a spec field; use " + String.join(", ", SPEC));
                }
                m = "metadata.";
                s = "spec.";
            } else {
                unknownKeys(root, "", MINIMAL_TOP, "is not a field of a minimal manifest; use name, description, "
                        + "executable and parameters (optionally title, version, category, outputSchema, capabilities, "
                        + "security, interface), or the full form with metadata and spec");
                meta = root;
                spec = root;
                m = "";
                s = "";
            }
            String name = null;
            String version = "1.0.0";
            String description = null;
            String category = null;
            String title = null;
            if (meta != null) {
                name = text(meta, "name", m + "name", true);
                if (name != null && !ToolDescriptor.isValidName(name)) {
                    problem(m + "name", "'" + name + "' is not a valid tool name: use 1-64 lower-case letters, digits "
                            + "and dashes, starting with a letter or digit");
                }
                String v = text(meta, "version", m + "version", false);
                if (v != null) {
                    if (v.isBlank()) {
                        problem(m + "version", "must not be empty");
                    } else {
                        version = v.trim();
                    }
                }
                description = text(meta, "description", m + "description", true);
                if (description != null && description.isBlank()) {
                    problem(m + "description", "must not be empty");
                }
                category = text(meta, "category", m + "category", false);
                title = title(meta, m + "title");
                text(meta, "author", m + "author", false);
                text(meta, "created", m + "created", false);
            }

            Exec exec = spec == null ? null : executable(spec, s + "executable");
            Set<String> permissions = new LinkedHashSet<>();
            List<String> optional = new ArrayList<>();
            if (spec != null) {
                capabilities(spec, s + "capabilities", permissions, optional);
            }
            Sandbox box = spec == null ? null : security(spec, s + "security");
            List<Parameter> parameters = spec == null ? List.of() : parameters(spec, s + "parameters");
            String outputSchema = spec == null ? null : outputSchema(spec, s + "outputSchema");
            boolean[] flags = iface(root);

            if (!problems.isEmpty()) {
                return new Result(null, List.copyOf(problems));
            }
            List<Path> readOnly = new ArrayList<>();
            if (exec.interpreter == null) {
                // run directly, so it must be visible; an interpreted script is copied into the work directory
                // at each call instead (see ManifestTool), so that it runs wherever it lives on the host
                readOnly.add(exec.path);
            }
            if (exec.interpreter != null && !visibleInSandbox(exec.interpreter)) {
                readOnly.add(exec.interpreter);
            }
            if (exec.workingDirectory != null) {
                readOnly.add(exec.workingDirectory);
            }
            readOnly.addAll(box.readOnly);
            Manifest manifest = new Manifest(file, name, m + "name", version, description.trim(), category, exec.type,
                    exec.path, exec.interpreter, exec.workingDirectory, exec.arguments, Set.copyOf(permissions),
                    List.copyOf(optional), box.limits, box.allowNetwork, List.copyOf(box.networkRestrictions),
                    List.copyOf(new LinkedHashSet<>(readOnly)), List.copyOf(box.writable), List.copyOf(parameters),
                    schema(parameters), flags[0], flags[1], title, outputSchema);
            return new Result(manifest, List.of());
        }

        // ------------------------------------------------------------ executable

        private record Exec(Type type, Path path, Path interpreter, Path workingDirectory, ArgumentMode arguments) {
        }

        private Exec executable(JsonNode parent, String field) {
            JsonNode node = parent.get("executable");
            if (node == null || node.isNull()) {
                problem(field, "is missing");
                return null;
            }
            String typeText = null;
            String pathText;
            String interpreterText = null;
            String workText = null;
            String argsText = null;
            if (node.isTextual() && parent == root && !root.has("spec")) {
                pathText = node.asText();
            } else if (node.isObject()) {
                unknownKeys(node, field + ".", EXECUTABLE, "is not an executable field; use " + String.join(", ", EXECUTABLE));
                typeText = text(node, "type", field + ".type", false);
                pathText = text(node, "path", field + ".path", true);
                interpreterText = text(node, "interpreter", field + ".interpreter", false);
                workText = text(node, "working_directory", field + ".working_directory", false);
                argsText = text(node, "arguments", field + ".arguments", false);
            } else {
                problem(field, parent == root && !root.has("spec")
                        ? "must be a path or a mapping with type, path, interpreter, working_directory and arguments"
                        : "must be a mapping with type, path, interpreter, working_directory and arguments");
                return null;
            }
            int before = problems.size();
            Path path = null;
            if (pathText != null) {
                path = existing(pathText, field + ".path", false);
                if (path != null && !Files.isRegularFile(path)) {
                    problem(field + ".path", "'" + pathText + "' is not a regular file");
                    path = null;
                }
            }
            Type type = null;
            if (typeText != null) {
                type = switch (typeText.trim().toLowerCase(Locale.ROOT)) {
                    case "shell", "bash", "sh" -> Type.SHELL;
                    case "python", "python3" -> Type.PYTHON;
                    case "external" -> Type.EXTERNAL;
                    default -> {
                        problem(field + ".type", "'" + typeText + "' is not supported: use shell, python or external");
                        yield null;
                    }
                };
            } else if (pathText != null) {
                String lower = pathText.toLowerCase(Locale.ROOT);
                type = lower.endsWith(".py") ? Type.PYTHON
                        : lower.endsWith(".sh") || lower.endsWith(".bash") ? Type.SHELL : Type.EXTERNAL;
            }
            Path interpreter = null;
            if (interpreterText != null) {
                interpreter = interpreter(interpreterText, field + ".interpreter");
            } else if (type == Type.SHELL) {
                interpreter = DEFAULT_SHELL;
            } else if (type == Type.PYTHON) {
                interpreter = DEFAULT_PYTHON;
            }
            if (interpreterText == null && interpreter != null && !Files.isExecutable(interpreter)) {
                problem(field + ".interpreter", "the default interpreter " + interpreter + " for type "
                        + type.name().toLowerCase(Locale.ROOT) + " is not installed; give one");
            }
            if (type == Type.EXTERNAL && interpreter == null && path != null && !Files.isExecutable(path)) {
                problem(field + ".path", "'" + pathText + "' is not executable: make it executable (chmod +x) or give "
                        + "an interpreter");
            }
            Path work = null;
            if (workText != null) {
                work = existing(workText, field + ".working_directory", false);
                if (work != null && !Files.isDirectory(work)) {
                    problem(field + ".working_directory", "'" + workText + "' is not a directory");
                }
            }
            ArgumentMode mode = ArgumentMode.ARGV;
            if (argsText != null) {
                switch (argsText.trim().toLowerCase(Locale.ROOT)) {
                    case "argv" -> mode = ArgumentMode.ARGV;
                    case "json" -> mode = ArgumentMode.JSON;
                    default -> problem(field + ".arguments", "'" + argsText + "' is not an argument mode: use argv "
                            + "(--name value pairs) or json (the arguments as JSON on standard input)");
                }
            }
            return problems.size() > before || path == null ? null : new Exec(type, path, interpreter, work, mode);
        }

        private Path interpreter(String text, String field) {
            String t = text.trim();
            Path p;
            if (!t.contains("/")) {
                p = INTERPRETER_DIRS.stream().map(d -> d.resolve(t)).filter(Files::isExecutable).findFirst().orElse(null);
                if (p == null) {
                    problem(field, "'" + text + "' was not found in /usr/bin or /bin: give an absolute path");
                    return null;
                }
                return p;
            }
            p = Path.of(t);
            if (!p.isAbsolute()) {
                problem(field, "'" + text + "' must be an absolute path, e.g. /usr/bin/python3");
                return null;
            }
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                problem(field, "'" + text + "' is not an executable file");
                return null;
            }
            return p.normalize();
        }

        // ------------------------------------------------------------ capabilities

        private void capabilities(JsonNode spec, String field, Set<String> permissions, List<String> optional) {
            JsonNode node = section(spec, "capabilities", field, false);
            if (node == null) {
                return;
            }
            unknownKeys(node, field + ".", CAPABILITIES, "is not a capabilities field; use required and optional");
            List<String> required = strings(node, "required", field + ".required");
            for (int i = 0; i < required.size(); i++) {
                String c = required.get(i);
                if (c != null && checkCapability(c, field + ".required[" + i + "]")) {
                    permissions.add(Capabilities.toPermission(c.trim()));
                }
            }
            List<String> opt = strings(node, "optional", field + ".optional");
            for (int i = 0; i < opt.size(); i++) {
                String c = opt.get(i);
                if (c != null && checkCapability(c, field + ".optional[" + i + "]")) {
                    optional.add(c.trim());
                }
            }
        }

        private boolean checkCapability(String c, String field) {
            if (!Capabilities.VALID.matcher(c.trim()).matches()) {
                problem(field, "'" + c + "' is not a capability name: use e.g. filesystem-read or filesystem:read");
                return false;
            }
            return true;
        }

        // ------------------------------------------------------------ security

        private record Sandbox(SandboxLimits limits, boolean allowNetwork, List<String> networkRestrictions,
                List<Path> readOnly, List<Path> writable) {
        }

        private Sandbox security(JsonNode spec, String field) {
            JsonNode node = section(spec, "security", field, false);
            SecurityLevel level = SecurityLevel.NONE;
            if (node == null) {
                return new Sandbox(level.limits, false, List.of(), List.of(), List.of());
            }
            unknownKeys(node, field + ".", SECURITY, "is not a security field; use level and sandbox");
            level = SecurityLevel.MEDIUM;
            String levelText = text(node, "level", field + ".level", false);
            if (levelText != null) {
                SecurityLevel l = SecurityLevel.parse(levelText);
                if (l == null) {
                    problem(field + ".level", "'" + levelText + "' is not a security level: use high, medium, low or basic");
                } else {
                    level = l;
                }
            }
            SandboxLimits limits = level.limits;
            String sf = field + ".sandbox";
            JsonNode box = section(node, "sandbox", sf, false);
            if (box == null) {
                return new Sandbox(limits, false, List.of(), List.of(), List.of());
            }
            unknownKeys(box, sf + ".", SANDBOX, "is not a sandbox field; use " + String.join(", ", SANDBOX));
            Long memory = convert(box, "memory_limit", sf, Units::size, true);
            if (memory != null) {
                limits = limits.withMemoryBytes(memory);
            }
            Long output = convert(box, "output_limit", sf, Units::size, true);
            if (output != null) {
                limits = limits.withMaxOutputBytes(output);
            }
            Integer cpu = convert(box, "cpu_limit", sf, t -> Units.cpuPercent(t, cores), true);
            if (cpu != null) {
                limits = limits.withCpuPercent(cpu);
            }
            java.time.Duration timeout = convert(box, "timeout", sf, Units::duration, true);
            if (timeout != null) {
                limits = limits.withTimeout(timeout);
            }
            Boolean net = bool(box, "allow_network", sf + ".allow_network");
            List<String> restrictions = strings(box, "network_restrictions", sf + ".network_restrictions");
            List<Path> readOnly = paths(box, "readonly_paths", sf + ".readonly_paths");
            List<Path> writable = paths(box, "writable_paths", sf + ".writable_paths");
            return new Sandbox(limits, net != null && net, restrictions, readOnly, writable);
        }

        private <T> T convert(JsonNode parent, String key, String prefix, java.util.function.Function<String, T> f,
                boolean allowNumber) {
            JsonNode n = parent.get(key);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isValueNode() || n.isBoolean() || (!allowNumber && n.isNumber())) {
                problem(prefix + "." + key, "must be text such as " + example(key));
                return null;
            }
            try {
                return f.apply(n.asText());
            } catch (IllegalArgumentException e) {
                problem(prefix + "." + key, e.getMessage());
                return null;
            }
        }

        private String example(String key) {
            return switch (key) {
                case "cpu_limit" -> "\"50%\"";
                case "timeout" -> "\"30s\"";
                default -> "\"512MB\"";
            };
        }

        private List<Path> paths(JsonNode parent, String key, String field) {
            List<String> texts = strings(parent, key, field);
            List<Path> out = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                if (t == null) {
                    continue;
                }
                Path p = existing(t, field + "[" + i + "]", true);
                if (p != null) {
                    out.add(p);
                }
            }
            return out;
        }

        // ------------------------------------------------------------ parameters

        private List<Parameter> parameters(JsonNode spec, String field) {
            JsonNode node = spec.get("parameters");
            if (node == null || node.isNull()) {
                return List.of();
            }
            if (!node.isArray()) {
                problem(field, "must be a list of parameters (each with name, type, description)");
                return List.of();
            }
            List<Parameter> out = new ArrayList<>();
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < node.size(); i++) {
                String pf = field + "[" + i + "]";
                JsonNode p = node.get(i);
                if (!p.isObject()) {
                    problem(pf, "must be a mapping with name, type, description, required, default and values");
                    continue;
                }
                int before = problems.size();
                unknownKeys(p, pf + ".", PARAMETER, "is not a parameter field; use " + String.join(", ", PARAMETER));
                String name = text(p, "name", pf + ".name", true);
                if (name != null) {
                    if (!PARAMETER_NAME.matcher(name).matches()) {
                        problem(pf + ".name", "'" + name + "' is not a valid parameter name: use letters, digits, '_' "
                                + "and '-', starting with a letter or '_'");
                    } else if (seen.containsKey(name)) {
                        problem(pf + ".name", "duplicate parameter '" + name + "' (also " + field + "["
                                + seen.get(name) + "])");
                    } else {
                        seen.put(name, i);
                    }
                }
                String type = text(p, "type", pf + ".type", true);
                if (type != null) {
                    type = type.trim().toLowerCase(Locale.ROOT);
                    if (!PARAMETER_TYPES.contains(type)) {
                        problem(pf + ".type", "'" + type + "' is not a parameter type: use string, integer, number, "
                                + "boolean, enum, array or object");
                        type = null;
                    }
                }
                String description = text(p, "description", pf + ".description", false);
                Boolean required = bool(p, "required", pf + ".required");
                List<Object> values = List.of();
                JsonNode vs = p.get("values");
                if (vs != null && !vs.isNull()) {
                    if (!"enum".equals(type) && type != null) {
                        problem(pf + ".values", "is only allowed with type enum");
                    } else if (!vs.isArray() || vs.isEmpty()) {
                        problem(pf + ".values", "must be a non-empty list of allowed values");
                    } else {
                        List<Object> list = new ArrayList<>();
                        for (int j = 0; j < vs.size(); j++) {
                            if (!vs.get(j).isValueNode() || vs.get(j).isNull()) {
                                problem(pf + ".values[" + j + "]", "must be a text, number or boolean");
                            } else {
                                list.add(JSON.convertValue(vs.get(j), Object.class));
                            }
                        }
                        values = list;
                    }
                } else if ("enum".equals(type)) {
                    problem(pf + ".values", "is missing: an enum needs the list of its values");
                }
                Object def = null;
                JsonNode d = p.get("default");
                if (d != null && !d.isNull() && type != null) {
                    String why = defaultProblem(type, d, vs);
                    if (why != null) {
                        problem(pf + ".default", why);
                    } else {
                        def = JSON.convertValue(d, Object.class);
                    }
                }
                if (problems.size() == before) {
                    out.add(new Parameter(name, type, description == null ? "" : description.trim(),
                            required != null && required, def, List.copyOf(values)));
                }
            }
            return out;
        }

        private String defaultProblem(String type, JsonNode d, JsonNode values) {
            boolean ok = switch (type) {
                case "string" -> d.isTextual();
                case "integer" -> d.isIntegralNumber();
                case "number" -> d.isNumber();
                case "boolean" -> d.isBoolean();
                case "array" -> d.isArray();
                case "object" -> d.isObject();
                default -> true;
            };
            if (!ok) {
                return d + " is not a" + (type.matches("[aeiou].*") ? "n " : " ") + type;
            }
            if ("enum".equals(type) && values != null && values.isArray()) {
                for (JsonNode v : values) {
                    if (v.equals(d)) {
                        return null;
                    }
                }
                return d + " is not one of the values " + values;
            }
            return null;
        }

        private String schema(List<Parameter> parameters) {
            ObjectNode schema = JSON.createObjectNode();
            schema.put("$schema", SCHEMA_DIALECT);
            schema.put("type", "object");
            ObjectNode props = schema.putObject("properties");
            ArrayNode required = JSON.createArrayNode();
            for (Parameter p : parameters) {
                ObjectNode prop = props.putObject(p.name());
                if ("enum".equals(p.type())) {
                    if (p.values().stream().allMatch(v -> v instanceof String)) {
                        prop.put("type", "string");
                    }
                    ArrayNode e = prop.putArray("enum");
                    p.values().forEach(v -> e.add(JSON.valueToTree(v)));
                } else {
                    prop.put("type", p.type());
                }
                if (!p.description().isEmpty()) {
                    prop.put("description", p.description());
                }
                if (p.defaultValue() != null) {
                    prop.set("default", JSON.valueToTree(p.defaultValue()));
                }
                if (p.required()) {
                    required.add(p.name());
                }
            }
            if (!required.isEmpty()) {
                schema.set("required", required);
            }
            schema.put("additionalProperties", false);
            try {
                return JSON.writeValueAsString(schema);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write a schema", e);
            }
        }

        // ------------------------------------------------------------ title, output schema

        /** Optional display name: text (a YAML string, not a number or list), not blank, one line. */
        private String title(JsonNode meta, String field) {
            JsonNode n = meta.get("title");
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isTextual()) {
                problem(field, "must be text, not " + kind(n));
                return null;
            }
            String t = n.asText().trim();
            if (t.isEmpty()) {
                problem(field, "must not be empty; leave it out for no title");
                return null;
            }
            if (t.contains("\n") || t.contains("\r")) {
                problem(field, "must be one line; use description for more");
                return null;
            }
            return t;
        }

        /**
         * Optional JSON Schema of the program's output: a mapping whose {@code type} is {@code object}, as MCP
         * requires for structured content. Written as JSON text; the registry checks it fully when the tool is called.
         */
        private String outputSchema(JsonNode spec, String field) {
            JsonNode n = spec.get("outputSchema");
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isObject()) {
                problem(field, "must be a mapping (a JSON Schema such as {type: object, properties: {...}}), not "
                        + kind(n));
                return null;
            }
            JsonNode type = n.get("type");
            if (type == null || !type.isTextual() || !"object".equals(type.asText())) {
                problem(field + ".type", "must be object: the program prints one JSON object on standard output"
                        + (type == null ? "" : ", not " + kind(type)));
                return null;
            }
            try {
                return JSON.writeValueAsString(n);
            } catch (JsonProcessingException e) {
                problem(field, "cannot be written as JSON: " + e.getOriginalMessage());
                return null;
            }
        }

        // ------------------------------------------------------------ interface

        /** @return hot_swappable, parallel_safe */
        private boolean[] iface(JsonNode top) {
            boolean[] flags = {true, true};
            JsonNode node = section(top, "interface", "interface", false);
            if (node == null) {
                return flags;
            }
            unknownKeys(node, "interface.", INTERFACE, "is not an interface field; use hot_swappable and parallel_safe "
                    + "(or execution with them; discovery and integration are ignored)");
            JsonNode exec = section(node, "execution", "interface.execution", false);
            if (exec != null) {
                unknownKeys(exec, "interface.execution.", EXECUTION,
                        "is not an execution field; use hot_swappable, parallel_safe and resource_intensive");
                apply(exec, "interface.execution.", flags);
                bool(exec, "resource_intensive", "interface.execution.resource_intensive");
            }
            apply(node, "interface.", flags);
            return flags;
        }

        private void apply(JsonNode node, String prefix, boolean[] flags) {
            Boolean hot = bool(node, "hot_swappable", prefix + "hot_swappable");
            if (hot != null) {
                flags[0] = hot;
            }
            Boolean parallel = bool(node, "parallel_safe", prefix + "parallel_safe");
            if (parallel != null) {
                flags[1] = parallel;
            }
        }

        // ------------------------------------------------------------ helpers

        private void problem(String field, String problem) {
            problems.add(new Problem(field, problem));
        }

        private void unknownKeys(JsonNode node, String prefix, List<String> allowed, String why) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k) && !(prefix.isEmpty() && IGNORED_SECTIONS.contains(k))) {
                    // an empty or null YAML key ("? " or "'': x") must still name a field
                    problem(prefix + (k.isBlank() ? "\"" + k + "\"" : k), why);
                }
            }
        }

        private JsonNode section(JsonNode parent, String key, String field, boolean required) {
            JsonNode n = parent.get(key);
            if (n == null || n.isNull()) {
                if (required) {
                    problem(field, "is missing");
                }
                return null;
            }
            if (!n.isObject()) {
                problem(field, "must be a mapping, not " + kind(n));
                return null;
            }
            return n;
        }

        private String text(JsonNode parent, String key, String field, boolean required) {
            JsonNode n = parent.get(key);
            if (n == null || n.isNull()) {
                if (required) {
                    problem(field, "is missing");
                }
                return null;
            }
            if (!n.isValueNode()) {
                problem(field, "must be text, not " + kind(n));
                return null;
            }
            return n.asText();
        }

        private Boolean bool(JsonNode parent, String key, String field) {
            JsonNode n = parent.get(key);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isBoolean()) {
                problem(field, "must be true or false, not " + n);
                return null;
            }
            return n.booleanValue();
        }

        /** A list of texts; a bad element is reported and left out as {@code null}. */
        private List<String> strings(JsonNode parent, String key, String field) {
            JsonNode n = parent.get(key);
            if (n == null || n.isNull()) {
                return List.of();
            }
            if (!n.isArray()) {
                problem(field, "must be a list, not " + kind(n));
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(i);
                if (!e.isValueNode() || e.isNull()) {
                    problem(field + "[" + i + "]", "must be text, not " + kind(e));
                    out.add(null);
                } else {
                    out.add(e.asText());
                }
            }
            return out;
        }

        /** Resolves against the manifest's directory; the path must exist. */
        private Path existing(String text, String field, boolean notRoot) {
            if (text.isBlank()) {
                problem(field, "must not be empty");
                return null;
            }
            Path p = dir.resolve(text.trim()).normalize();
            if (!Files.exists(p)) {
                problem(field, "'" + text + "' does not exist" + (Path.of(text.trim()).isAbsolute() ? "" : " (resolved to " + p + ")"));
                return null;
            }
            try {
                p = p.toRealPath();
            } catch (IOException e) {
                problem(field, "'" + text + "' cannot be resolved: " + e.getMessage());
                return null;
            }
            if (notRoot && p.getParent() == null) {
                problem(field, "must not be the root directory");
                return null;
            }
            return p;
        }

        private String kind(JsonNode n) {
            JsonNodeType t = n.getNodeType();
            return switch (t) {
                case ARRAY -> "a list";
                case OBJECT -> "a mapping";
                case NULL -> "empty";
                default -> "'" + n.asText() + "'";
            };
        }
    }

    /** The sandbox shows {@code /usr} (and {@code /bin}, {@code /lib} links into it) to every program. */
    static boolean visibleInSandbox(Path p) {
        return p.startsWith("/usr") || p.startsWith("/bin") || p.startsWith("/lib") || p.startsWith("/lib64")
                || p.startsWith("/sbin");
    }
}
