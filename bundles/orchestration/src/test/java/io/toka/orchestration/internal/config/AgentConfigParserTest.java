package io.toka.orchestration.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentConfigException;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AgentConfigParserTest {

    private final AgentConfigParser parser = new AgentConfigParser();

    private List<String> problems(String yaml) {
        try {
            parser.parse(yaml, "test.yaml");
        } catch (AgentConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    // ------------------------------------------------------------ shipped forms

    @Test
    void readsTheV03BuildSystemStabilizationSpec() throws Exception {
        AgentConfig c = parser.parse(Specs.resource("build-system-stabilization.yaml"), "/etc/bss.yaml");

        assertThat(c.name()).isEqualTo("build-system-stabilization");
        assertThat(c.source()).isEqualTo("/etc/bss.yaml");
        assertThat(c.metadata()).isEqualTo(new AgentConfig.Metadata("build-system-stabilization", "v0.3.0",
                "2025-07-04", "Build System Stabilization", "feature/build-system-stabilization"));
        assertThat(c.spec()).isEqualTo(new AgentConfig.Spec("Build System Stabilization Agent", "infrastructure",
                Priority.CRITICAL, ""));
        assertThat(c.capabilities().primary()).containsExactly("dependency-conflict-resolution", "build-validation",
                "workspace-management", "ci-cd-integration");
        assertThat(c.capabilities().secondary()).hasSize(3);
        assertThat(c.objectives()).hasSize(4);
        assertThat(c.objectives().get(0)).isEqualTo(new AgentConfig.Objective("Resolve base64ct dependency conflict",
                "Fixed base64ct edition2024 compatibility issue with workspace-wide dependency pin",
                "cargo check && cargo test passes across all workspace crates", Priority.MEDIUM));
        assertThat(c.tasks()).hasSize(8);
        assertThat(c.tasks()).extracting(AgentConfig.Task::priority).containsExactly(Priority.HIGH, Priority.HIGH,
                Priority.HIGH, Priority.MEDIUM, Priority.MEDIUM, Priority.MEDIUM, Priority.LOW, Priority.LOW);
        assertThat(c.dependencies().required()).isEmpty();
        assertThat(c.dependencies().optional()).isEmpty();
        assertThat(c.reporting().frequency()).isEqualTo("daily");
        assertThat(c.reporting().channels()).containsExactly("main-agent", "kernel-events");
        assertThat(c.reporting().metrics()).containsExactly(
                entry("build-success-rate", "Percentage of successful builds across workspace"),
                entry("dependency-conflicts", "Number of dependency conflicts detected and resolved"),
                entry("test-coverage", "Test coverage across workspace crates"));
        assertThat(c.security()).isEqualTo(new AgentConfig.Security(true, List.of("filesystem-read",
                "filesystem-write", "cargo-execution", "git-access", "ci-integration"), "512MB", "75%", "2h"));
        assertThat(c.maxSteps()).isEqualTo(AgentConfig.DEFAULT_MAX_STEPS);
    }

    @Test
    void readsDependenciesWrittenAsListsOfSingleKeyMaps() throws Exception {
        AgentConfig c = parser.parse(Specs.resource("testing-infrastructure.yaml"), "ti.yaml");

        assertThat(c.spec().priority()).isEqualTo(Priority.HIGH);
        assertThat(c.dependencies().required())
                .containsExactly(entry("build-system-stabilization", "Tests need a stable build"));
        assertThat(c.dependencies().optional())
                .containsExactly(entry("kernel-events-enhancement", "New events need tests"));
        assertThat(c.reporting().metrics()).containsOnlyKeys("test-coverage", "test-count");
        assertThat(c.security().maxMemory()).isEqualTo("1GB");
    }

    @Test
    void readsTheV10FormsAndIgnoresTheV10Additions() throws Exception {
        AgentConfig c = parser.parse(Specs.resource("deterministic-dating-agent.yaml"), "dda.yaml");

        assertThat(c.name()).isEqualTo("deterministic-dating-agent");
        assertThat(c.spec().priority()).isEqualTo(Priority.CRITICAL);
        assertThat(c.spec().description()).startsWith("Keeps every date");
        assertThat(c.objectives()).extracting(AgentConfig.Objective::priority)
                .containsExactly(Priority.CRITICAL, Priority.HIGH);
        assertThat(c.tasks()).extracting(AgentConfig.Task::priority)
                .containsExactly(Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM);
        assertThat(c.dependencies().required()).isEmpty();
        assertThat(c.reporting().metrics()).containsExactly(
                entry("dates-fixed", "Dates replaced with canonical ones"),
                entry("audit-duration", "Time taken by a full audit"));
        assertThat(c.security().timeout()).isEqualTo("30m");
        assertThat(c.maxSteps()).isEqualTo(20);
    }

    @Test
    void readsDependenciesAsAListOfNames() throws Exception {
        AgentConfig c = parser.parse(Specs.VALID.replace("  required: {}", "  required: [\"beta\", \"gamma\"]")
                .replace("  optional: {}", "  optional:\n    - delta"), "t");

        assertThat(c.dependencies().required()).containsExactly(entry("beta", ""), entry("gamma", ""));
        assertThat(c.dependencies().optional()).containsExactly(entry("delta", ""));
    }

    @Test
    void readsMetricsAsAMap() throws Exception {
        AgentConfig c = parser.parse(Specs.VALID.replace("  metrics: {}", "  metrics:\n    a: \"A\"\n    b: \"B\""),
                "t");

        assertThat(c.reporting().metrics()).containsExactly(entry("a", "A"), entry("b", "B"));
    }

    @Test
    void missingPrioritiesAreMediumAndOptionalSectionsMayBeLeftOut() throws Exception {
        String yaml = Specs.VALID.replace("  priority: \"medium\"\n", "").replace("      priority: \"high\"\n", "")
                .replaceAll("(?s)dependencies:.*?security:", "security:");

        AgentConfig c = parser.parse(yaml, "t");

        assertThat(c.spec().priority()).isEqualTo(Priority.MEDIUM);
        assertThat(c.tasks().get(0).priority()).isEqualTo(Priority.MEDIUM);
        assertThat(c.dependencies().required()).isEmpty();
        assertThat(c.reporting().channels()).isEmpty();
        assertThat(c.reporting().metrics()).isEmpty();
    }

    @Test
    void takesMaxStepsFromTheSpecToo() throws Exception {
        AgentConfig c = parser.parse(Specs.VALID.replace("  domain: \"testing\"", "  domain: \"testing\"\n"
                + "  max_steps: 42"), "t");

        assertThat(c.maxSteps()).isEqualTo(42);
    }

    @Test
    void resultIsUnmodifiable() throws Exception {
        AgentConfig c = parser.parse(Specs.resource("testing-infrastructure.yaml"), "t");

        assertThatThrownBy(() -> c.dependencies().required().put("x", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.tasks().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    // ------------------------------------------------------------ the original loader rules, one each

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "  name: \"alpha\"|  name: \"\"|metadata.name must not be empty",
            "  version: \"v1\"|  version: \"\"|metadata.version must not be empty",
            "  workstream: \"Alpha\"|  workstream: \" \"|metadata.workstream must not be empty",
            "  name: \"Alpha Agent\"|  name: \"\"|spec.name must not be empty",
            "  domain: \"testing\"|  domain: \"\"|spec.domain must not be empty",
            "  primary: [\"one\"]|  primary: []|capabilities.primary needs at least one capability",
            "  capabilities_required: [\"filesystem-read\"]|  capabilities_required: []"
                    + "|security.capabilities_required must not be empty",
            "    max_memory: \"512MB\"|    max_memory: \"\"|security.resource_limits.max_memory must not be empty",
            "    max_cpu: \"75%\"|    max_cpu: \"\"|security.resource_limits.max_cpu must not be empty",
            "    timeout: \"2h\"|    timeout: \"\"|security.resource_limits.timeout must not be empty",
            "    - description: \"do it\"|    - description: \"\"|tasks.default[0].description must not be empty",
            "  - description: \"first\"|  - description: \"\"|objectives[0].description must not be empty",
            "    deliverable: \"first thing\"|    deliverable: \"\"|objectives[0].deliverable must not be empty",
    })
    void eachOriginalRuleHasItsProblem(String from, String to, String problem) {
        assertThat(Specs.VALID).contains(from);

        assertThat(problems(Specs.VALID.replace(from, to))).containsExactly(problem);
    }

    @Test
    void needsAnObjective() {
        String yaml = Specs.VALID.replaceAll("(?s)objectives:.*?tasks:", "objectives: []\ntasks:");

        assertThat(problems(yaml)).containsExactly("objectives needs at least one objective");
    }

    @Test
    void needsATask() {
        String yaml = Specs.VALID.replaceAll("(?s)  default:.*?dependencies:", "  default: []\ndependencies:");

        assertThat(problems(yaml)).containsExactly("tasks.default needs at least one task");
    }

    @Test
    void namesTheObjectiveByIndex() {
        String yaml = Specs.VALID.replace("objectives:\n", """
                objectives:
                  - description: "zero"
                    deliverable: "zero"
                  - description: "one"
                    deliverable: "one"
                  - description: "two"
                    deliverable: ""
                """);

        assertThat(problems(yaml)).containsExactly("objectives[2].deliverable must not be empty");
    }

    @Test
    void missingSectionsBreakEveryRuleAtOnce() {
        assertThat(problems("schema_version: \"1.0\"\n")).containsExactly(
                "metadata.name must not be empty",
                "metadata.version must not be empty",
                "metadata.workstream must not be empty",
                "spec.name must not be empty",
                "spec.domain must not be empty",
                "capabilities.primary needs at least one capability",
                "objectives needs at least one objective",
                "tasks.default needs at least one task",
                "security.capabilities_required must not be empty",
                "security.resource_limits.max_memory must not be empty",
                "security.resource_limits.max_cpu must not be empty",
                "security.resource_limits.timeout must not be empty");
    }

    @Test
    void reportsEveryProblemAndNamesTheSource() {
        String yaml = Specs.VALID.replace("  version: \"v1\"", "  version: \"\"")
                .replace("    max_cpu: \"75%\"", "    max_cpu: \"lots\"")
                .replace("      priority: \"high\"", "      priority: \"urgent\"");

        assertThatThrownBy(() -> parser.parse(yaml, "etc/toka/agents/alpha.yaml"))
                .isInstanceOf(AgentConfigException.class)
                .hasMessage("etc/toka/agents/alpha.yaml: metadata.version must not be empty; "
                        + "tasks.default[0].priority 'urgent' must be one of critical, high, medium, low; "
                        + "security.resource_limits.max_cpu 'lots' must be a percentage like 75% "
                        + "(above 0, at most 100)")
                .extracting(e -> ((AgentConfigException) e).problems()).asList().hasSize(3);
    }

    // ------------------------------------------------------------ formats

    @ParameterizedTest
    @ValueSource(strings = {"512 potatoes", "MB", "0MB", "-5MB", "1TB", "1.5GB"})
    void refusesBadMemory(String memory) {
        assertThat(problems(Specs.VALID.replace("\"512MB\"", "\"" + memory + "\""))).containsExactly(
                "security.resource_limits.max_memory '" + memory + "' must be a size like 512MB (B, KB, MB or GB)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"75", "0%", "101%", "lots", "-5%"})
    void refusesBadCpu(String cpu) {
        assertThat(problems(Specs.VALID.replace("\"75%\"", "\"" + cpu + "\""))).containsExactly(
                "security.resource_limits.max_cpu '" + cpu + "' must be a percentage like 75% (above 0, at most 100)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2 hours", "2", "0s", "2d", "h"})
    void refusesBadTimeouts(String timeout) {
        assertThat(problems(Specs.VALID.replace("\"2h\"", "\"" + timeout + "\""))).containsExactly(
                "security.resource_limits.timeout '" + timeout + "' must be a duration like 2h (ms, s, m or h)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Alpha", "alpha agent", "-alpha", "alpha_1", "../x"})
    void refusesNamesThatAreNoIds(String name) {
        assertThat(problems(Specs.VALID.replace("name: \"alpha\"", "name: \"" + name + "\""))).containsExactly(
                "metadata.name '" + name + "' must be lower-case letters, digits and '-', starting with a letter or "
                        + "digit, at most 64 characters");
    }

    @Test
    void refusesAnUnknownPriority() {
        assertThat(problems(Specs.VALID.replace("priority: \"medium\"", "priority: \"urgent\"")))
                .containsExactly("spec.priority 'urgent' must be one of critical, high, medium, low");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "101", "ten", "2.5"})
    void refusesMaxStepsOutOfRange(String steps) {
        assertThat(problems(Specs.VALID + "max_steps: " + steps + "\n"))
                .containsExactly("max_steps must be a whole number from 1 to 100, not '" + steps + "'");
    }

    @Test
    void refusesWrongShapes() {
        String yaml = Specs.VALID.replace("  primary: [\"one\"]", "  primary: \"one\"")
                .replace("  required: {}", "  required: \"beta\"")
                .replace("  metrics: {}", "  metrics:\n    - [\"a\", \"b\"]");

        assertThat(problems(yaml)).containsExactly(
                "capabilities.primary must be a list",
                "capabilities.primary needs at least one capability",
                "dependencies.required must be a mapping or a list",
                "reporting.metrics[0] must be a name, or a single-key mapping name: description, or a mapping with "
                        + "name and description");
    }

    // ------------------------------------------------------------ not YAML

    @Test
    void aSyntaxErrorIsOneProblemWithLineAndColumn() {
        String yaml = "metadata:\n  name: \"alpha\n  version: [v1\n";

        List<String> problems = problems(yaml);

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).matches("YAML syntax error at line \\d+, column \\d+: .+");
    }

    @Test
    void aBadIndentIsASyntaxErrorOnItsLine() {
        List<String> problems = problems("metadata:\n  name: alpha\n version: v1\n");

        assertThat(problems).singleElement().asString().startsWith("YAML syntax error at line 3, column ");
    }

    @Test
    void refusesEmptyAndNonMappingDocuments() {
        assertThat(problems("")).containsExactly("the configuration is empty");
        assertThat(problems("- a\n- b\n")).containsExactly("the configuration must be a YAML mapping with metadata, "
                + "spec, capabilities, objectives, tasks, dependencies, reporting and security");
    }

    @Test
    void refusesHugeDocuments() {
        ThrowingCallable parse = () -> parser.parse("#".repeat(AgentConfigParser.MAX_CHARS + 1), "big");

        assertThatThrownBy(parse).isInstanceOf(AgentConfigException.class)
                .hasMessageContaining("at most " + AgentConfigParser.MAX_CHARS);
    }
}
