package io.toka.tools.external.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.tools.external.internal.Manifest.ArgumentMode;
import io.toka.tools.external.internal.Manifest.Type;
import io.toka.tools.external.internal.ManifestParser.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ManifestParserTest {

    static final String CONTROL_FLOW_ANALYZER = """
            metadata:
              name: "control-flow-analyzer"
              version: "1.0.0"
              category: "analysis"
              description: "Analyzes Rust code control flow patterns and generates comprehensive visualizations"
              author: "Toka Development Team"
              created: "2025-07-06"

            spec:
              executable:
                type: "python"
                path: "analysis/control_flow_graph_visualizer.py"
                interpreter: "python3"
                working_directory: "."

              capabilities:
                required:
                  - "filesystem-read"
                  - "code-analysis"
                  - "visualization"
                  - "process-spawn"
                optional:
                  - "filesystem-write"  # for output files

              security:
                level: "high"
                sandbox:
                  memory_limit: "512MB"
                  cpu_limit: "50%"
                  timeout: "10m"
                  allow_network: false
                  readonly_paths:
                    - "crates"
                    - "src"
                    - "tests"
                  writable_paths:
                    - "control_flow_graphs"
                    - "enhanced_cfg_outputs"

              parameters:
                - name: "target_function"
                  type: "string"
                  description: "Specific function name to analyze (optional)"
                  required: false
                - name: "output_format"
                  type: "enum"
                  values: ["mermaid", "png", "svg", "html", "json"]
                  default: "mermaid"
                  description: "Output format for visualization"
                - name: "complexity_analysis"
                  type: "boolean"
                  default: true
                  description: "Include complexity metrics in analysis"
                - name: "interactive_mode"
                  type: "boolean"
                  default: false
                  description: "Generate interactive HTML reports"

            interface:
              discovery:
                auto_discover: true
                patterns:
                  - "**/control_flow*visualizer*.py"
              execution:
                hot_swappable: true
                parallel_safe: false
                resource_intensive: true
              integration:
                agent_types: ["analysis", "development"]
                runtime_events: ["agent_lifecycle", "task_completion"]
                compatible_backends: ["all"]

            protocols:
              - type: "mcp"
                function_name: "analyze_control_flow"
                version: "1.0"

            outputs:
              primary:
                - type: "visualization"
                  formats: ["mermaid", "svg"]
                  location: "control_flow_graphs"
              metrics:
                - "analysis_duration"

            dependencies:
              system:
                - "python3"
              python:
                - "graphviz>=0.20.1"
            """;

    @TempDir
    Path dir;
    final ManifestParser parser = new ManifestParser(4);
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void files() throws IOException {
        Files.createDirectories(dir.resolve("analysis"));
        Files.writeString(dir.resolve("analysis/control_flow_graph_visualizer.py"), "print('hi')\n");
        for (String d : List.of("crates", "src", "tests", "control_flow_graphs", "enhanced_cfg_outputs")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("run.sh"), "#!/bin/bash\necho hi\n");
    }

    Manifest valid(String yaml) throws IOException {
        ManifestParser.Result r = parse(yaml);
        assertThat(r.problems()).isEmpty();
        return r.manifest();
    }

    ManifestParser.Result parse(String yaml) throws IOException {
        Path f = dir.resolve("t.tool.yaml");
        Files.writeString(f, yaml);
        return parser.parse(f);
    }

    List<Problem> problems(String yaml) throws IOException {
        ManifestParser.Result r = parse(yaml);
        assertThat(r.valid()).isFalse();
        return r.problems();
    }

    Path real(String rel) throws IOException {
        return dir.resolve(rel).toRealPath();
    }

    @Test
    void readsTheOriginalFullFormat() throws Exception {
        Manifest m = valid(CONTROL_FLOW_ANALYZER);
        assertThat(m.name()).isEqualTo("control-flow-analyzer");
        assertThat(m.nameField()).isEqualTo("metadata.name");
        assertThat(m.version()).isEqualTo("1.0.0");
        assertThat(m.category()).isEqualTo("analysis");
        assertThat(m.type()).isEqualTo(Type.PYTHON);
        assertThat(m.executable()).isEqualTo(real("analysis/control_flow_graph_visualizer.py"));
        assertThat(m.interpreter()).isEqualTo(Path.of("/usr/bin/python3"));
        assertThat(m.workingDirectory()).isEqualTo(real("."));
        assertThat(m.arguments()).isEqualTo(ArgumentMode.ARGV);
        assertThat(m.permissions()).containsExactlyInAnyOrder("filesystem:read", "code:analysis", "visualization",
                "process:spawn");
        assertThat(m.optionalCapabilities()).containsExactly("filesystem-write");
        assertThat(m.limits().memoryBytes()).isEqualTo(512L << 20);
        assertThat(m.limits().cpuPercent()).isEqualTo(50);
        assertThat(m.limits().timeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(m.limits().maxOutputBytes()).isEqualTo(10L << 20);
        assertThat(m.toolTimeout()).isEqualTo(Duration.ofMinutes(10).plusSeconds(2));
        assertThat(m.allowNetwork()).isFalse();
        // the script itself is copied into the sandbox at each call, not bound
        assertThat(m.readOnlyPaths()).containsExactly(real("."), real("crates"), real("src"), real("tests"));
        assertThat(m.writablePaths()).containsExactly(real("control_flow_graphs"), real("enhanced_cfg_outputs"));
        assertThat(m.parameters()).extracting(Manifest.Parameter::name)
                .containsExactly("target_function", "output_format", "complexity_analysis", "interactive_mode");
        assertThat(m.parallelSafe()).isFalse();
        assertThat(m.hotSwappable()).isTrue();
    }

    @Test
    void generatesADraft2020Schema() throws Exception {
        JsonNode s = json.readTree(valid(CONTROL_FLOW_ANALYZER).inputSchema());
        assertThat(s.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(s.get("type").asText()).isEqualTo("object");
        assertThat(s.get("additionalProperties").asBoolean(true)).isFalse();
        assertThat(s.has("required")).isFalse();
        JsonNode p = s.get("properties");
        assertThat(p.get("target_function")).isEqualTo(json.readTree(
                "{\"type\":\"string\",\"description\":\"Specific function name to analyze (optional)\"}"));
        assertThat(p.get("output_format")).isEqualTo(json.readTree("{\"type\":\"string\","
                + "\"enum\":[\"mermaid\",\"png\",\"svg\",\"html\",\"json\"],"
                + "\"description\":\"Output format for visualization\",\"default\":\"mermaid\"}"));
        assertThat(p.get("complexity_analysis").get("type").asText()).isEqualTo("boolean");
        assertThat(p.get("complexity_analysis").get("default").asBoolean()).isTrue();
    }

    @Test
    void schemaCoversEveryType() throws Exception {
        Manifest m = valid("""
                name: typed
                description: every type
                executable: run.sh
                parameters:
                  - {name: s, type: string, required: true}
                  - {name: i, type: integer, default: 3}
                  - {name: n, type: number, default: 1.5}
                  - {name: b, type: boolean}
                  - {name: e, type: enum, values: [1, 2, "x"]}
                  - {name: a, type: array, default: [1, 2]}
                  - {name: o, type: object, default: {k: v}}
                """);
        JsonNode s = json.readTree(m.inputSchema());
        assertThat(s.get("required")).isEqualTo(json.readTree("[\"s\"]"));
        JsonNode p = s.get("properties");
        assertThat(p.get("i")).isEqualTo(json.readTree("{\"type\":\"integer\",\"default\":3}"));
        assertThat(p.get("n")).isEqualTo(json.readTree("{\"type\":\"number\",\"default\":1.5}"));
        assertThat(p.get("b")).isEqualTo(json.readTree("{\"type\":\"boolean\"}"));
        assertThat(p.get("e")).isEqualTo(json.readTree("{\"enum\":[1,2,\"x\"]}"));
        assertThat(p.get("a")).isEqualTo(json.readTree("{\"type\":\"array\",\"default\":[1,2]}"));
        assertThat(p.get("o")).isEqualTo(json.readTree("{\"type\":\"object\",\"default\":{\"k\":\"v\"}}"));
        assertThat(s.get("additionalProperties").asBoolean(true)).isFalse();
    }

    @Test
    void minimalFormWithAPathString() throws Exception {
        Manifest m = valid("""
                name: hello
                description: Says hello
                executable: run.sh
                """);
        assertThat(m.name()).isEqualTo("hello");
        assertThat(m.nameField()).isEqualTo("name");
        assertThat(m.version()).isEqualTo("1.0.0");
        assertThat(m.type()).isEqualTo(Type.SHELL);
        assertThat(m.interpreter()).isEqualTo(Path.of("/bin/bash"));
        assertThat(m.executable()).isEqualTo(real("run.sh"));
        assertThat(m.readOnlyPaths()).isEmpty();
        assertThat(m.writablePaths()).isEmpty();
        assertThat(m.permissions()).isEmpty();
        assertThat(m.limits().memoryBytes()).isEqualTo(256L << 20);
        assertThat(m.limits().timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(m.limits().maxOutputBytes()).isEqualTo(1L << 20);
        assertThat(m.parallelSafe()).isTrue();
        assertThat(m.allowNetwork()).isFalse();
        JsonNode s = json.readTree(m.inputSchema());
        assertThat(s.get("properties").size()).isZero();
        assertThat(s.get("additionalProperties").asBoolean(true)).isFalse();
    }

    @Test
    void minimalFormWithAnExecutableMapAndSections() throws Exception {
        Manifest m = valid("""
                name: hello
                version: 2.1.0
                description: Says hello
                executable: {path: run.sh, arguments: json}
                capabilities: {required: [network-access, "files:read:*"]}
                security: {level: low, sandbox: {allow_network: true, timeout: 1m30s, output_limit: 64KB}}
                parameters:
                  - {name: who, type: string, description: Whom to greet}
                interface: {parallel_safe: false, hot_swappable: false}
                """);
        assertThat(m.version()).isEqualTo("2.1.0");
        assertThat(m.arguments()).isEqualTo(ArgumentMode.JSON);
        assertThat(m.permissions()).containsExactlyInAnyOrder("network:access", "files:read:*");
        assertThat(m.limits().memoryBytes()).isEqualTo(128L << 20);
        assertThat(m.limits().cpuPercent()).isEqualTo(10);
        assertThat(m.limits().timeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(m.limits().maxOutputBytes()).isEqualTo(64 << 10);
        assertThat(m.allowNetwork()).isTrue();
        assertThat(m.parallelSafe()).isFalse();
        assertThat(m.hotSwappable()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"high,536870912,50,600,10485760", "medium,268435456,25,300,5242880", "low,134217728,10,60,1048576",
            "basic,134217728,10,60,1048576", "HIGH,536870912,50,600,10485760"})
    void securityLevelDefaults(String level, long memory, int cpu, long seconds, long output) throws Exception {
        Manifest m = valid("name: x\ndescription: d\nexecutable: run.sh\nsecurity: {level: " + level + "}\n");
        assertThat(m.limits().memoryBytes()).isEqualTo(memory);
        assertThat(m.limits().cpuPercent()).isEqualTo(cpu);
        assertThat(m.limits().timeout()).isEqualTo(Duration.ofSeconds(seconds));
        assertThat(m.limits().maxOutputBytes()).isEqualTo(output);
    }

    @Test
    void explicitSandboxValuesOverrideTheLevel() throws Exception {
        Manifest m = valid("""
                name: x
                description: d
                executable: run.sh
                security:
                  level: high
                  sandbox: {memory_limit: 64MiB, cpu_limit: 200%, timeout: 250ms}
                """);
        assertThat(m.limits().memoryBytes()).isEqualTo(64L << 20);
        assertThat(m.limits().cpuPercent()).isEqualTo(200);
        assertThat(m.limits().timeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(m.limits().maxOutputBytes()).isEqualTo(10L << 20);
    }

    @Test
    void badUnitsNameTheFieldAndTheAllowedForm() throws Exception {
        assertThat(problems("""
                metadata: {name: x, description: d}
                spec:
                  executable: {type: shell, path: run.sh}
                  security:
                    level: extreme
                    sandbox: {memory_limit: "12XB", cpu_limit: "lots", timeout: "10x", output_limit: "0KB"}
                """)).containsExactly(
                new Problem("spec.security.level", "'extreme' is not a security level: use high, medium, low or basic"),
                new Problem("spec.security.sandbox.memory_limit", "\"12XB\" is not a size (use e.g. 512MB)"),
                new Problem("spec.security.sandbox.output_limit", "\"0KB\" must be more than 0 bytes (use e.g. 512MB)"),
                new Problem("spec.security.sandbox.cpu_limit", "\"lots\" is not a CPU share (use e.g. 50%)"),
                new Problem("spec.security.sandbox.timeout", "\"10x\" is not a duration (use e.g. 30s, 5m or 1m30s)"));
    }

    @Test
    void cpuAboveTheCoresIsRefused() throws Exception {
        assertThat(problems("name: x\ndescription: d\nexecutable: run.sh\nsecurity: {sandbox: {cpu_limit: 500%}}\n"))
                .containsExactly(new Problem("security.sandbox.cpu_limit",
                        "\"500%\" is out of range: use 1% to 400% (4 core(s) here)"));
    }

    @Test
    void collectsEveryProblemOfAFile() throws Exception {
        List<Problem> p = problems("""
                metadata:
                  name: Bad_Name
                  description: ""
                  autor: me
                spec:
                  executable: {type: rust, path: missing.rs, interpreter: "bin/python"}
                  capabilities: {required: ["file system"]}
                  parameters:
                    - {name: a, type: string}
                    - {name: a, type: integer, default: "three"}
                    - {name: c, type: enum}
                    - {name: d, type: text}
                    - {name: "--e", type: string, values: [x]}
                  paramters: []
                interface: {parallel_safe: "no"}
                extra: 1
                """);
        assertThat(p).containsExactly(
                new Problem("extra", "is not a manifest section; use metadata, spec and interface "
                        + "(protocols, outputs and dependencies are ignored)"),
                new Problem("metadata.autor", "is not a metadata field; use name, title, version, category, "
                        + "description, author, created"),
                new Problem("spec.paramters", "is not a spec field; use executable, capabilities, security, "
                        + "parameters, outputSchema"),
                new Problem("metadata.name", "'Bad_Name' is not a valid tool name: use 1-64 lower-case letters, digits "
                        + "and dashes, starting with a letter or digit"),
                new Problem("metadata.description", "must not be empty"),
                new Problem("spec.executable.path", "'missing.rs' does not exist (resolved to " + dir.resolve("missing.rs") + ")"),
                new Problem("spec.executable.type", "'rust' is not supported: use shell, python or external"),
                new Problem("spec.executable.interpreter", "'bin/python' must be an absolute path, e.g. /usr/bin/python3"),
                new Problem("spec.capabilities.required[0]", "'file system' is not a capability name: use e.g. "
                        + "filesystem-read or filesystem:read"),
                new Problem("spec.parameters[1].name", "duplicate parameter 'a' (also spec.parameters[0])"),
                new Problem("spec.parameters[1].default", "\"three\" is not an integer"),
                new Problem("spec.parameters[2].values", "is missing: an enum needs the list of its values"),
                new Problem("spec.parameters[3].type", "'text' is not a parameter type: use string, integer, number, "
                        + "boolean, enum, array or object"),
                new Problem("spec.parameters[4].name", "'--e' is not a valid parameter name: use letters, digits, '_' "
                        + "and '-', starting with a letter or '_'"),
                new Problem("spec.parameters[4].values", "is only allowed with type enum"),
                new Problem("interface.parallel_safe", "must be true or false, not \"no\""));
    }

    @Test
    void missingRequiredFields() throws Exception {
        assertThat(problems("metadata: {version: 1}\nspec: {}\n")).containsExactly(
                new Problem("metadata.name", "is missing"),
                new Problem("metadata.description", "is missing"),
                new Problem("spec.executable", "is missing"));
        assertThat(problems("version: 1\n")).containsExactly(
                new Problem("name", "is missing"),
                new Problem("description", "is missing"),
                new Problem("executable", "is missing"));
        assertThat(problems("metadata: {name: x, description: d}\n")).containsExactly(new Problem("spec", "is missing"));
    }

    @Test
    void minimalFormRejectsUnknownKeys() throws Exception {
        assertThat(problems("name: x\ndescription: d\nexecutable: run.sh\nparams: []\n")).containsExactly(
                new Problem("params", "is not a field of a minimal manifest; use name, description, executable and "
                        + "parameters (optionally title, version, category, outputSchema, capabilities, security, "
                        + "interface), or the full form with metadata and spec"));
    }

    @Test
    void defaultsMustMatchTheirType() throws Exception {
        assertThat(problems("""
                name: x
                description: d
                executable: run.sh
                parameters:
                  - {name: s, type: string, default: 1}
                  - {name: n, type: number, default: "1"}
                  - {name: b, type: boolean, default: "true"}
                  - {name: e, type: enum, values: [a, b], default: c}
                  - {name: a, type: array, default: {}}
                  - {name: o, type: object, default: []}
                  - {name: v, type: enum, values: []}
                """)).containsExactly(
                new Problem("parameters[0].default", "1 is not a string"),
                new Problem("parameters[1].default", "\"1\" is not a number"),
                new Problem("parameters[2].default", "\"true\" is not a boolean"),
                new Problem("parameters[3].default", "\"c\" is not one of the values [\"a\",\"b\"]"),
                new Problem("parameters[4].default", "{} is not an array"),
                new Problem("parameters[5].default", "[] is not an object"),
                new Problem("parameters[6].values", "must be a non-empty list of allowed values"));
    }

    @Test
    void executableChecks() throws Exception {
        Files.createDirectories(dir.resolve("adir"));
        Files.writeString(dir.resolve("tool.bin"), "data");
        assertThat(problems("name: x\ndescription: d\nexecutable: adir\n"))
                .containsExactly(new Problem("executable.path", "'adir' is not a regular file"));
        assertThat(problems("name: x\ndescription: d\nexecutable: tool.bin\n"))
                .containsExactly(new Problem("executable.path", "'tool.bin' is not executable: make it executable "
                        + "(chmod +x) or give an interpreter"));
        assertThat(problems("name: x\ndescription: d\nexecutable: {path: run.sh, interpreter: /no/such/sh}\n"))
                .containsExactly(new Problem("executable.interpreter", "'/no/such/sh' is not an executable file"));
        assertThat(problems("name: x\ndescription: d\nexecutable: {path: run.sh, interpreter: nosuchshell}\n"))
                .containsExactly(new Problem("executable.interpreter", "'nosuchshell' was not found in /usr/bin or /bin: "
                        + "give an absolute path"));
        assertThat(problems("name: x\ndescription: d\nexecutable: {path: run.sh, working_directory: nope}\n"))
                .containsExactly(new Problem("executable.working_directory", "'nope' does not exist (resolved to "
                        + dir.resolve("nope") + ")"));
        assertThat(problems("name: x\ndescription: d\nexecutable: {path: run.sh, working_directory: run.sh}\n"))
                .containsExactly(new Problem("executable.working_directory", "'run.sh' is not a directory"));
        assertThat(problems("name: x\ndescription: d\nexecutable: {path: run.sh, arguments: env}\n"))
                .containsExactly(new Problem("executable.arguments", "'env' is not an argument mode: use argv "
                        + "(--name value pairs) or json (the arguments as JSON on standard input)"));
        assertThat(problems("name: x\ndescription: d\nexecutable: [run.sh]\n"))
                .containsExactly(new Problem("executable", "must be a path or a mapping with type, path, interpreter, "
                        + "working_directory and arguments"));
        assertThat(problems("metadata: {name: x, description: d}\nspec: {executable: run.sh}\n"))
                .containsExactly(new Problem("spec.executable", "must be a mapping with type, path, interpreter, "
                        + "working_directory and arguments"));
    }

    @Test
    void externalProgramsRunThemselves() throws Exception {
        Path bin = dir.resolve("tool.bin");
        Files.writeString(bin, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Manifest m = valid("name: x\ndescription: d\nexecutable: tool.bin\n");
        assertThat(m.type()).isEqualTo(Type.EXTERNAL);
        assertThat(m.interpreter()).isNull();
        assertThat(m.program()).isEqualTo(bin.toRealPath());
    }

    @Test
    void grantedPathsMustExist() throws Exception {
        assertThat(problems("""
                name: x
                description: d
                executable: run.sh
                security:
                  sandbox: {readonly_paths: [nope, /], writable_paths: [42, {a: b}]}
                """)).containsExactlyInAnyOrder(
                new Problem("security.sandbox.readonly_paths[0]", "'nope' does not exist (resolved to " + dir.resolve("nope") + ")"),
                new Problem("security.sandbox.readonly_paths[1]", "must not be the root directory"),
                new Problem("security.sandbox.writable_paths[0]", "'42' does not exist (resolved to " + dir.resolve("42") + ")"),
                new Problem("security.sandbox.writable_paths[1]", "must be text, not a mapping"));
        Path abs = Files.createDirectories(dir.resolve("abs"));
        Manifest m = valid("name: x\ndescription: d\nexecutable: run.sh\nsecurity: {sandbox: {writable_paths: ["
                + abs + "]}}\n");
        assertThat(m.writablePaths()).containsExactly(abs.toRealPath());
    }

    @Test
    void unreadableFiles() throws Exception {
        assertThat(problems("")).containsExactly(new Problem("(file)", "is empty"));
        assertThat(problems("- a\n- b\n")).containsExactly(new Problem("(file)",
                "must be a mapping with the sections metadata and spec, or with name, description and executable"));
        List<Problem> p = problems("name: [unclosed\n");
        assertThat(p).hasSize(1);
        assertThat(p.get(0).field()).isEqualTo("(file)");
        assertThat(p.get(0).problem()).startsWith("is not valid YAML at line");
        assertThat(parser.parse(dir.resolve("absent.tool.yaml")).problems()).singleElement()
                .satisfies(x -> assertThat(x.problem()).startsWith("cannot be read"));
    }

    @ParameterizedTest
    @CsvSource({"filesystem-read,filesystem:read", "process-spawn,process:spawn", "network-access,network:access",
            "system-monitoring,system:monitoring", "build-system-x,build:system-x", "visualization,visualization",
            "files:read:*,files:read:*", "tool:invoke:x-y,tool:invoke:x-y"})
    void capabilityMapping(String capability, String permission) {
        assertThat(Capabilities.toPermission(capability)).isEqualTo(permission);
    }

    @Test
    void originalInterfaceNestingAndFlatFlags() throws Exception {
        assertThat(valid("name: x\ndescription: d\nexecutable: run.sh\ninterface: {execution: {parallel_safe: false}}\n")
                .parallelSafe()).isFalse();
        assertThat(problems("name: x\ndescription: d\nexecutable: run.sh\ninterface: {execution: {parallel: 1}, x: 1}\n"))
                .containsExactly(
                        new Problem("interface.x", "is not an interface field; use hot_swappable and parallel_safe "
                                + "(or execution with them; discovery and integration are ignored)"),
                        new Problem("interface.execution.parallel", "is not an execution field; use hot_swappable, "
                                + "parallel_safe and resource_intensive"));
    }

    @Test
    void schemaCompilesAsJsonSchema() throws Exception {
        // the registry compiles the schema with networknt: at least it is JSON with the 2020-12 dialect and no
        // keyword outside the vocabulary used here
        JsonNode s = json.readTree(valid(CONTROL_FLOW_ANALYZER).inputSchema());
        assertThat(s.fieldNames()).toIterable().containsExactlyInAnyOrder("$schema", "type", "properties",
                "additionalProperties");
        for (JsonNode prop : s.get("properties")) {
            assertThat(prop.fieldNames()).toIterable().isSubsetOf("type", "enum", "description", "default");
        }
    }

    @Test
    void schemaCompilesAndValidatesWithNetworknt() throws Exception {
        Manifest m = valid("""
                name: typed
                description: every type
                executable: run.sh
                parameters:
                  - {name: s, type: string, required: true}
                  - {name: i, type: integer}
                  - {name: e, type: enum, values: [a, b]}
                """);
        com.networknt.schema.JsonSchema schema = com.networknt.schema.JsonSchemaFactory
                .getInstance(com.networknt.schema.SpecVersion.VersionFlag.V202012).getSchema(m.inputSchema());
        assertThat(schema.validate(json.readTree("{\"s\":\"x\",\"i\":3,\"e\":\"a\"}"))).isEmpty();
        assertThat(schema.validate(json.readTree("{\"i\":3}"))).hasSize(1);
        assertThat(schema.validate(json.readTree("{\"s\":\"x\",\"i\":1.5}"))).hasSize(1);
        assertThat(schema.validate(json.readTree("{\"s\":\"x\",\"e\":\"c\"}"))).hasSize(1);
        assertThat(schema.validate(json.readTree("{\"s\":\"x\",\"typo\":1}"))).hasSize(1);
    }

    @Test
    void titleAndOutputSchemaAreOptional() throws Exception {
        Manifest m = valid("name: x\ndescription: d\nexecutable: run.sh\n");
        assertThat(m.title()).isNull();
        assertThat(m.outputSchema()).isNull();
    }

    @Test
    void minimalFormReadsTitleAndOutputSchema() throws Exception {
        Manifest m = valid("""
                name: counter
                title: "  Count the words "
                description: counts words
                executable: run.sh
                outputSchema:
                  type: object
                  properties:
                    words: {type: integer, minimum: 0}
                    top: {type: array, items: {type: string}}
                  required: [words]
                """);
        assertThat(m.title()).isEqualTo("Count the words");
        assertThat(json.readTree(m.outputSchema())).isEqualTo(json.readTree("""
                {"type":"object","properties":{"words":{"type":"integer","minimum":0},
                 "top":{"type":"array","items":{"type":"string"}}},"required":["words"]}"""));
    }

    @Test
    void fullFormReadsTitleFromMetadataAndOutputSchemaFromSpec() throws Exception {
        Manifest m = valid("""
                metadata: {name: counter, title: Count the words, description: counts words}
                spec:
                  executable: {type: shell, path: run.sh}
                  outputSchema: {"type": "object", "properties": {"words": {"type": "integer"}}}
                """);
        assertThat(m.title()).isEqualTo("Count the words");
        assertThat(json.readTree(m.outputSchema()).at("/properties/words/type").asText()).isEqualTo("integer");
        assertThat(problems("""
                metadata: {name: counter, description: counts words}
                spec: {executable: {path: run.sh}}
                outputSchema: {type: object}
                """)).containsExactly(new Problem("outputSchema", "is not a manifest section; use metadata, spec and "
                + "interface (protocols, outputs and dependencies are ignored)"));
    }

    @Test
    void aTitleOfTheWrongTypeNamesTheField() throws Exception {
        String base = "name: x\ndescription: d\nexecutable: run.sh\n";
        assertThat(problems(base + "title: 42\n")).containsExactly(new Problem("title", "must be text, not '42'"));
        assertThat(problems(base + "title: [a, b]\n")).containsExactly(new Problem("title", "must be text, not a list"));
        assertThat(problems(base + "title: {a: b}\n"))
                .containsExactly(new Problem("title", "must be text, not a mapping"));
        assertThat(problems(base + "title: '  '\n"))
                .containsExactly(new Problem("title", "must not be empty; leave it out for no title"));
        assertThat(problems(base + "title: \"two\\nlines\"\n"))
                .containsExactly(new Problem("title", "must be one line; use description for more"));
        assertThat(problems("metadata: {name: x, description: d, title: true}\nspec: {executable: {path: run.sh}}\n"))
                .containsExactly(new Problem("metadata.title", "must be text, not 'true'"));
    }

    @Test
    void anOutputSchemaOfTheWrongTypeNamesTheField() throws Exception {
        String base = "name: x\ndescription: d\nexecutable: run.sh\n";
        assertThat(problems(base + "outputSchema: object\n")).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("outputSchema");
            assertThat(p.problem()).startsWith("must be a mapping (a JSON Schema").endsWith("not 'object'");
        });
        assertThat(problems(base + "outputSchema: [type, object]\n")).singleElement()
                .satisfies(p -> assertThat(p.problem()).endsWith("not a list"));
        assertThat(problems(base + "outputSchema: {type: string}\n")).containsExactly(new Problem("outputSchema.type",
                "must be object: the program prints one JSON object on standard output, not 'string'"));
        assertThat(problems(base + "outputSchema: {properties: {a: {type: string}}}\n")).containsExactly(
                new Problem("outputSchema.type", "must be object: the program prints one JSON object on standard output"));
        assertThat(problems("metadata: {name: x, description: d}\nspec: {executable: {path: run.sh}, outputSchema: 3}\n"))
                .singleElement().satisfies(p -> assertThat(p.field()).isEqualTo("spec.outputSchema"));
    }

    @Test
    void anOutputSchemaProblemIsReportedWithTheOthers() throws Exception {
        assertThat(problems("""
                name: x
                title: 7
                description: d
                executable: run.sh
                outputSchema: {type: [object]}
                parameters: [{name: a, type: text}]
                """)).extracting(Problem::field)
                .containsExactlyInAnyOrder("title", "outputSchema.type", "parameters[0].type");
    }

    @Test
    void theOutputSchemaCompilesWithNetworkntAndChecksTheOutput() throws Exception {
        Manifest m = valid("""
                name: counter
                description: counts
                executable: run.sh
                outputSchema:
                  type: object
                  properties: {words: {type: integer}}
                  required: [words]
                  additionalProperties: false
                """);
        com.networknt.schema.JsonSchema schema = com.networknt.schema.JsonSchemaFactory
                .getInstance(com.networknt.schema.SpecVersion.VersionFlag.V202012).getSchema(m.outputSchema());
        assertThat(schema.validate(json.readTree("{\"words\":3}"))).isEmpty();
        assertThat(schema.validate(json.readTree("{\"words\":\"3\"}"))).hasSize(1);
        assertThat(schema.validate(json.readTree("{}"))).hasSize(1);
    }
}
