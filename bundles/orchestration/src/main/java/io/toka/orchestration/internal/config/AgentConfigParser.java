package io.toka.orchestration.internal.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfig.Capabilities;
import io.toka.orchestration.AgentConfig.Dependencies;
import io.toka.orchestration.AgentConfig.Metadata;
import io.toka.orchestration.AgentConfig.Objective;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentConfig.Reporting;
import io.toka.orchestration.AgentConfig.Security;
import io.toka.orchestration.AgentConfig.Spec;
import io.toka.orchestration.AgentConfig.Task;
import io.toka.orchestration.AgentConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads an agent configuration in the original Toka YAML format and applies the original loader rules
 * ({@code toka-orchestration/src/config.rs}), reporting every broken rule at once as a named problem.
 *
 * <p>Every form the original specs were shipped in is accepted, although the original Rust type could read few of
 * them: {@code dependencies.required}/{@code optional} as a map, a list of single-key maps or a list of names;
 * {@code reporting.metrics} as a map, a list of single-key maps or a list of {@code {name, description, type,
 * unit}} objects (type and unit are dropped); priorities {@code critical|high|medium|low} in any case, for the spec,
 * objectives and tasks (missing: medium). Unknown keys are ignored, as in the original (no
 * {@code deny_unknown_fields}), so the v1.0 additions ({@code schema_version}, {@code checksum},
 * {@code behavioral_directives}, {@code tools_required}, ...) load unchanged.
 *
 * <p>Besides the original rules: {@code metadata.name} must be usable as an id (it names the agent in the API,
 * in permissions and in dependencies), the resource limits must parse ({@link ResourceLimits}), an optional
 * {@code max_steps} (top level, or {@code spec.max_steps}) must be 1–100, and an optional {@code durable} (top level,
 * or {@code spec.durable}) must be true or false (default true: the agent's runs resume after a restart).
 *
 * <p>Thread-safe.
 */
public final class AgentConfigParser {

    /** Longest configuration accepted, in characters; the shipped specs are under 10 KB. */
    public static final int MAX_CHARS = 1 << 20;
    /** Most model turns per task a configuration may ask for. */
    public static final int MAX_STEPS_LIMIT = 100;

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final String NAME_FORM = "lower-case letters, digits and '-', starting with a letter or digit, "
            + "at most 64 characters";

    private final ObjectMapper mapper = new ObjectMapper(new YAMLFactory());

    /**
     * @param yaml the configuration
     * @param source where it comes from (a file path, or {@code "api"}); kept in the result and named in the
     *     exception
     * @return the configuration
     * @throws AgentConfigException listing every problem: YAML syntax (one problem, with line and column) or
     *     every broken rule
     */
    public AgentConfig parse(String yaml, String source) throws AgentConfigException {
        if (yaml == null || yaml.isBlank()) {
            throw new AgentConfigException(source, List.of("the configuration is empty"));
        }
        if (yaml.length() > MAX_CHARS) {
            throw new AgentConfigException(source,
                    List.of("the configuration has " + yaml.length() + " characters; at most " + MAX_CHARS));
        }
        JsonNode root;
        try {
            root = mapper.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new AgentConfigException(source, List.of(syntax(e)));
        }
        if (root == null || !root.isObject()) {
            throw new AgentConfigException(source,
                    List.of("the configuration must be a YAML mapping with metadata, spec, capabilities, objectives, "
                            + "tasks, dependencies, reporting and security"));
        }
        Reader r = new Reader();
        AgentConfig config = r.config(root, source);
        if (!r.problems.isEmpty()) {
            throw new AgentConfigException(source, r.problems);
        }
        return config;
    }

    private static String syntax(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
            // SnakeYAML's own parts: where the problem is, and what it is, without the quoted source lines
            String what = y.getProblem() == null ? "" : y.getProblem().strip();
            if (y.getContext() != null && !y.getContext().isBlank()) {
                what = y.getContext().strip() + ": " + what;
            }
            return "YAML syntax error at line " + (y.getProblemMark().getLine() + 1) + ", column "
                    + (y.getProblemMark().getColumn() + 1) + ": " + what;
        }
        JsonLocation at = e.getLocation();
        String what = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().strip();
        int nl = what.indexOf('\n');
        if (nl > 0) {
            what = what.substring(0, nl).strip();
        }
        if (at == null || at.getLineNr() < 1) {
            return "YAML syntax error: " + what;
        }
        return "YAML syntax error at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + what;
    }

    /** One parse: collects the problems. */
    private static final class Reader {

        final List<String> problems = new ArrayList<>();

        AgentConfig config(JsonNode root, String source) {
            JsonNode md = section(root, "metadata");
            String name = text(md, "name", "metadata.name");
            if (name.isEmpty()) {
                problems.add("metadata.name must not be empty");
            } else if (!NAME.matcher(name).matches()) {
                problems.add("metadata.name '" + name + "' must be " + NAME_FORM);
            }
            Metadata metadata = new Metadata(name, required(md, "version", "metadata.version"),
                    text(md, "created", "metadata.created"), required(md, "workstream", "metadata.workstream"),
                    text(md, "branch", "metadata.branch"));

            JsonNode sp = section(root, "spec");
            Spec spec = new Spec(required(sp, "name", "spec.name"), required(sp, "domain", "spec.domain"),
                    priority(sp.path("priority"), "spec.priority"), text(sp, "description", "spec.description"));

            JsonNode caps = section(root, "capabilities");
            List<String> primary = strings(caps.path("primary"), "capabilities.primary");
            if (primary.isEmpty()) {
                problems.add("capabilities.primary needs at least one capability");
            }
            Capabilities capabilities = new Capabilities(primary,
                    strings(caps.path("secondary"), "capabilities.secondary"));

            List<Objective> objectives = objectives(root.path("objectives"));
            List<Task> tasks = tasks(section(root, "tasks").path("default"));

            JsonNode deps = section(root, "dependencies");
            Dependencies dependencies = new Dependencies(pairs(deps.path("required"), "dependencies.required", false),
                    pairs(deps.path("optional"), "dependencies.optional", false));

            JsonNode rep = section(root, "reporting");
            Reporting reporting = new Reporting(text(rep, "frequency", "reporting.frequency"),
                    strings(rep.path("channels"), "reporting.channels"),
                    pairs(rep.path("metrics"), "reporting.metrics", true));

            Security security = security(section(root, "security"));
            int maxSteps = maxSteps(root.has("max_steps") ? root.get("max_steps") : sp.path("max_steps"),
                    root.has("max_steps") ? "max_steps" : "spec.max_steps");

            boolean durable = durable(root.has("durable") ? root.get("durable") : sp.path("durable"),
                    root.has("durable") ? "durable" : "spec.durable");

            return new AgentConfig(metadata, spec, capabilities, objectives, tasks, dependencies, reporting, security,
                    maxSteps, durable, source);
        }

        /** {@code durable: true|false}; missing is true. */
        private boolean durable(JsonNode node, String path) {
            if (node.isMissingNode() || node.isNull()) {
                return true;
            }
            if (node.isBoolean()) {
                return node.asBoolean();
            }
            String raw = node.asText().strip().toLowerCase(java.util.Locale.ROOT);
            if (raw.equals("true") || raw.equals("false")) {
                return raw.equals("true");
            }
            problems.add(path + " must be true or false, not '" + node.asText() + "'");
            return true;
        }

        private List<Objective> objectives(JsonNode node) {
            List<Objective> out = new ArrayList<>();
            if (!node.isMissingNode() && !node.isNull() && !node.isArray()) {
                problems.add("objectives must be a list of {description, deliverable, validation}");
                return List.of();
            }
            for (int i = 0; i < node.size(); i++) {
                String path = "objectives[" + i + "]";
                JsonNode o = node.get(i);
                if (!o.isObject()) {
                    problems.add(path + " must be a mapping with description, deliverable and validation");
                    continue;
                }
                out.add(new Objective(required(o, "description", path + ".description"),
                        required(o, "deliverable", path + ".deliverable"), text(o, "validation", path + ".validation"),
                        priority(o.path("priority"), path + ".priority")));
            }
            if (node.size() == 0) {
                problems.add("objectives needs at least one objective");
            }
            return List.copyOf(out);
        }

        private List<Task> tasks(JsonNode node) {
            List<Task> out = new ArrayList<>();
            if (!node.isMissingNode() && !node.isNull() && !node.isArray()) {
                problems.add("tasks.default must be a list of {description, priority}");
                return List.of();
            }
            for (int i = 0; i < node.size(); i++) {
                String path = "tasks.default[" + i + "]";
                JsonNode t = node.get(i);
                if (t.isTextual()) {
                    // a bare string is a task with the default priority
                    String d = t.asText().strip();
                    if (d.isEmpty()) {
                        problems.add(path + ".description must not be empty");
                    }
                    out.add(new Task(d, Priority.MEDIUM));
                } else if (t.isObject()) {
                    out.add(new Task(required(t, "description", path + ".description"),
                            priority(t.path("priority"), path + ".priority")));
                } else {
                    problems.add(path + " must be a mapping with description and priority");
                }
            }
            if (node.size() == 0) {
                problems.add("tasks.default needs at least one task");
            }
            return List.copyOf(out);
        }

        private Security security(JsonNode sec) {
            boolean sandbox = true;
            JsonNode sb = sec.path("sandbox");
            if (sb.isBoolean()) {
                sandbox = sb.booleanValue();
            } else if (sb.isTextual() && ("true".equalsIgnoreCase(sb.asText()) || "false".equalsIgnoreCase(sb.asText()))) {
                sandbox = Boolean.parseBoolean(sb.asText());
            } else if (!sb.isMissingNode() && !sb.isNull()) {
                problems.add("security.sandbox must be true or false, not '" + sb.asText() + "'");
            }
            List<String> caps = strings(sec.path("capabilities_required"), "security.capabilities_required");
            if (caps.isEmpty()) {
                problems.add("security.capabilities_required must not be empty");
            }
            JsonNode rl = sec.path("resource_limits");
            if (!rl.isMissingNode() && !rl.isNull() && !rl.isObject()) {
                problems.add("security.resource_limits must be a mapping with max_memory, max_cpu and timeout");
                rl = MissingNode.getInstance();
            }
            String prefix = "security.resource_limits.";
            String memory = required(rl, "max_memory", prefix + "max_memory");
            if (!memory.isEmpty() && ResourceLimits.bytes(memory) < 0) {
                problems.add(prefix + "max_memory '" + memory + "' must be " + ResourceLimits.SIZE_FORM);
            }
            String cpu = required(rl, "max_cpu", prefix + "max_cpu");
            if (!cpu.isEmpty() && ResourceLimits.cpuPercent(cpu) < 0) {
                problems.add(prefix + "max_cpu '" + cpu + "' must be " + ResourceLimits.PERCENT_FORM);
            }
            String timeout = required(rl, "timeout", prefix + "timeout");
            if (!timeout.isEmpty() && ResourceLimits.millis(timeout) < 0) {
                problems.add(prefix + "timeout '" + timeout + "' must be " + ResourceLimits.DURATION_FORM);
            }
            return new Security(sandbox, caps, memory, cpu, timeout);
        }

        private int maxSteps(JsonNode node, String path) {
            if (node.isMissingNode() || node.isNull()) {
                return AgentConfig.DEFAULT_MAX_STEPS;
            }
            String raw = node.asText().strip();
            if ((node.isIntegralNumber() || node.isTextual()) && raw.matches("\\d{1,3}")) {
                int n = Integer.parseInt(raw);
                if (n >= 1 && n <= MAX_STEPS_LIMIT) {
                    return n;
                }
            }
            problems.add(path + " must be a whole number from 1 to " + MAX_STEPS_LIMIT + ", not '" + raw + "'");
            return AgentConfig.DEFAULT_MAX_STEPS;
        }

        /** A mapping section; anything else is a problem and reads as empty. */
        private JsonNode section(JsonNode root, String field) {
            JsonNode n = root.path(field);
            if (n.isObject() || n.isMissingNode() || n.isNull()) {
                return n.isNull() ? MissingNode.getInstance() : n;
            }
            problems.add(field + " must be a mapping");
            return MissingNode.getInstance();
        }

        private String required(JsonNode parent, String field, String path) {
            String s = text(parent, field, path);
            if (s.isEmpty()) {
                problems.add(path + " must not be empty");
            }
            return s;
        }

        /** A scalar as trimmed text ({@code version: 1.0} reads as "1.0"); missing or null reads as "". */
        private String text(JsonNode parent, String field, String path) {
            JsonNode n = parent.path(field);
            if (n.isMissingNode() || n.isNull()) {
                return "";
            }
            if (!n.isValueNode()) {
                problems.add(path + " must be text, not a " + (n.isArray() ? "list" : "mapping"));
                return "";
            }
            return n.asText().strip();
        }

        private Priority priority(JsonNode n, String path) {
            if (n.isMissingNode() || n.isNull() || (n.isTextual() && n.asText().isBlank())) {
                return Priority.MEDIUM;
            }
            String raw = n.asText().strip();
            if (n.isTextual()) {
                for (Priority p : Priority.values()) {
                    if (p.name().equalsIgnoreCase(raw)) {
                        return p;
                    }
                }
            }
            problems.add(path + " '" + raw + "' must be one of critical, high, medium, low");
            return Priority.MEDIUM;
        }

        private List<String> strings(JsonNode n, String path) {
            if (n.isMissingNode() || n.isNull()) {
                return List.of();
            }
            if (!n.isArray()) {
                problems.add(path + " must be a list");
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(i);
                if (!e.isValueNode() || e.isNull() || e.asText().isBlank()) {
                    problems.add(path + "[" + i + "] must be non-empty text");
                } else {
                    out.add(e.asText().strip());
                }
            }
            return List.copyOf(out);
        }

        /**
         * Name → text from a map, a list of single-key maps or a list of names; with {@code objects}, also a list of
         * {@code {name, description, ...}} objects (recognised by their {@code name} key).
         */
        private Map<String, String> pairs(JsonNode n, String path, boolean objects) {
            Map<String, String> out = new LinkedHashMap<>();
            if (n.isMissingNode() || n.isNull()) {
                return Map.of();
            }
            if (n.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
                    Map.Entry<String, JsonNode> e = it.next();
                    put(out, e.getKey(), e.getValue(), path + "." + e.getKey());
                }
            } else if (n.isArray()) {
                for (int i = 0; i < n.size(); i++) {
                    JsonNode e = n.get(i);
                    String at = path + "[" + i + "]";
                    if (e.isTextual() && !e.asText().isBlank()) {
                        out.putIfAbsent(e.asText().strip(), "");
                    } else if (objects && e.isObject() && e.has("name")) {
                        JsonNode name = e.get("name");
                        if (!name.isValueNode() || name.asText().isBlank()) {
                            problems.add(at + ".name must not be empty");
                        } else {
                            put(out, name.asText(), e.path("description"), at + ".description");
                        }
                    } else if (e.isObject() && e.size() == 1) {
                        Map.Entry<String, JsonNode> only = e.fields().next();
                        put(out, only.getKey(), only.getValue(), at + "." + only.getKey());
                    } else {
                        problems.add(at + " must be a name, or a single-key mapping name: description"
                                + (objects ? ", or a mapping with name and description" : ""));
                    }
                }
            } else {
                problems.add(path + " must be a mapping or a list");
            }
            return Collections.unmodifiableMap(out);
        }

        private void put(Map<String, String> out, String key, JsonNode value, String path) {
            String k = key.strip();
            if (k.isEmpty()) {
                problems.add(path + " has an empty name");
                return;
            }
            if (value != null && !value.isMissingNode() && !value.isNull() && !value.isValueNode()) {
                problems.add(path + " must be text, not a " + (value.isArray() ? "list" : "mapping"));
                return;
            }
            out.putIfAbsent(k, value == null || value.isMissingNode() || value.isNull() ? "" : value.asText().strip());
        }
    }
}
