package io.toka.orchestration.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DependencyResolverTest {

    private final AgentConfigParser parser = new AgentConfigParser();
    private final List<AgentConfig> known = new ArrayList<>();

    private void agent(String name, String priority, String... requires) throws AgentConfigException {
        known.add(parser.parse(Specs.agent(name, priority, requires), name + ".yaml"));
    }

    private void agentWithOptional(String name, String optional) throws AgentConfigException {
        known.add(parser.parse(Specs.agent(name, "medium").replace("  optional: {}",
                "  optional:\n    - \"" + optional + "\": \"nice to have\""), name + ".yaml"));
    }

    @Test
    void ordersByPriorityThenName() throws Exception {
        agent("m-b", "medium");
        agent("low", "low");
        agent("m-a", "medium");
        agent("crit", "critical");
        agent("high", "HIGH");

        assertThat(DependencyResolver.order(known, List.of("m-b", "low", "m-a", "crit", "high")))
                .containsExactly("crit", "high", "m-a", "m-b", "low");
    }

    @Test
    void dependenciesComeFirstAndAreVisitedByPriority() throws Exception {
        agent("app", "critical", "db-low", "cache-high");
        agent("db-low", "low");
        agent("cache-high", "high");
        agent("other", "high");

        assertThat(DependencyResolver.order(known, List.of("other", "db-low", "app", "cache-high")))
                .containsExactly("cache-high", "db-low", "app", "other");
    }

    @Test
    void ordersAChainOfThree() throws Exception {
        agent("c", "critical", "b");
        agent("b", "high", "a");
        agent("a", "low");

        assertThat(DependencyResolver.order(known, List.of("c", "b", "a"))).containsExactly("a", "b", "c");
        assertThat(DependencyResolver.waves(known, List.of("a", "b", "c")))
                .containsExactly(List.of("a"), List.of("b"), List.of("c"));
    }

    @Test
    void groupsIndependentAgentsIntoWaves() throws Exception {
        agent("base", "medium");
        agent("lib", "medium");
        agent("svc-1", "medium", "base");
        agent("svc-2", "medium", "base", "lib");
        agent("top", "medium", "svc-1");

        List<String> subset = List.of("top", "svc-2", "svc-1", "lib", "base");

        assertThat(DependencyResolver.order(known, subset)).containsExactly("base", "lib", "svc-1", "svc-2", "top");
        assertThat(DependencyResolver.waves(known, subset))
                .containsExactly(List.of("base", "lib"), List.of("svc-1", "svc-2"), List.of("top"));
    }

    @Test
    void wavesFollowTheOriginalWalkOverTheOrder() throws Exception {
        // order: a, b (needs a), c: c has no dependency but comes after b, so it joins b's wave
        agent("a", "high");
        agent("b", "high", "a");
        agent("c", "low");

        assertThat(DependencyResolver.waves(known, List.of("a", "b", "c")))
                .containsExactly(List.of("a"), List.of("b", "c"));
    }

    @Test
    void reportsATwoCycleInCycleOrder() throws Exception {
        agent("a", "medium", "b");
        agent("b", "medium", "a");

        assertThatThrownBy(() -> DependencyResolver.order(known, List.of("b", "a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Circular dependencies detected: [a, b]");
        assertThatThrownBy(() -> DependencyResolver.waves(known, List.of("a", "b")))
                .hasMessage("Circular dependencies detected: [a, b]");
    }

    @Test
    void reportsAThreeCycleInCycleOrder() throws Exception {
        agent("x", "critical", "y");
        agent("y", "medium", "z");
        agent("z", "medium", "x");
        agent("free", "critical");

        assertThatThrownBy(() -> DependencyResolver.order(known, List.of("free", "y", "z", "x")))
                .hasMessage("Circular dependencies detected: [x, y, z]");
    }

    @Test
    void reportsASelfDependency() throws Exception {
        agent("me", "medium", "me");

        assertThatThrownBy(() -> DependencyResolver.order(known, List.of("me")))
                .hasMessage("Circular dependencies detected: [me]");
    }

    @Test
    void refusesAnUnknownRequiredDependency() throws Exception {
        agent("a", "medium", "ghost");

        assertThatThrownBy(() -> DependencyResolver.order(known, List.of("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Agent 'a' depends on non-existent agent 'ghost'");
    }

    @Test
    void ignoresOptionalDependencies() throws Exception {
        agentWithOptional("a", "ghost");
        agentWithOptional("b", "a");
        agent("c", "critical");

        assertThat(DependencyResolver.order(known, List.of("a", "b", "c"))).containsExactly("c", "a", "b");
        assertThat(DependencyResolver.waves(known, List.of("a", "b", "c"))).containsExactly(List.of("c", "a", "b"));
    }

    @Test
    void onlyDependenciesInsideTheSubsetOrder() throws Exception {
        agent("a", "low");
        agent("b", "critical", "a");

        assertThat(DependencyResolver.order(known, List.of("b"))).containsExactly("b");
        assertThat(DependencyResolver.order(known, List.of("b", "a"))).containsExactly("a", "b");
    }

    @Test
    void aCycleOutsideTheSubsetDoesNotMatter() throws Exception {
        agent("a", "medium", "b");
        agent("b", "medium", "a");
        agent("c", "medium", "a");

        assertThat(DependencyResolver.order(known, List.of("c"))).containsExactly("c");
        assertThatThrownBy(() -> DependencyResolver.order(known, List.of("c", "a", "b")))
                .hasMessage("Circular dependencies detected: [a, b]");
    }

    @Test
    void refusesAnUnknownAgent() throws Exception {
        agent("a", "medium");

        assertThatThrownBy(() -> DependencyResolver.order(known, List.of("a", "nobody")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Unknown agent: nobody");
    }

    @Test
    void anEmptySubsetHasNoWaves() {
        assertThat(DependencyResolver.order(known, List.of())).isEmpty();
        assertThat(DependencyResolver.waves(known, List.of())).isEmpty();
    }

    @Test
    void ordersTheShippedSpecs() throws Exception {
        known.add(parser.parse(Specs.resource("build-system-stabilization.yaml"), "bss"));
        known.add(parser.parse(Specs.resource("testing-infrastructure.yaml"), "ti"));
        known.add(parser.parse(Specs.resource("deterministic-dating-agent.yaml"), "dda"));

        List<String> all = List.of("testing-infrastructure", "deterministic-dating-agent", "build-system-stabilization");

        assertThat(DependencyResolver.order(known, all))
                .containsExactly("build-system-stabilization", "deterministic-dating-agent", "testing-infrastructure");
        assertThat(DependencyResolver.waves(known, all)).containsExactly(
                List.of("build-system-stabilization", "deterministic-dating-agent"), List.of("testing-infrastructure"));
    }
}
