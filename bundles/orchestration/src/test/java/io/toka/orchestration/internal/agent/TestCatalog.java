package io.toka.orchestration.internal.agent;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfig.Priority;
import io.toka.orchestration.AgentConfigException;
import io.toka.orchestration.internal.config.AgentCatalog;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory catalog of configurations built in code, so agent tests do not depend on the YAML parser. */
public final class TestCatalog implements AgentCatalog {

    private final Map<String, AgentConfig> configs = new ConcurrentHashMap<>();

    public AgentConfig add(AgentConfig c) {
        configs.put(c.name(), c);
        return c;
    }

    /** A configuration with the given tasks and capabilities_required, priority medium, timeout 2h. */
    public static AgentConfig agent(String name, List<String> capabilities, String... tasks) {
        return agent(name, Priority.MEDIUM, capabilities, "2h", 10, List.of(), tasks);
    }

    public static AgentConfig agent(String name, Priority priority, List<String> capabilities, String timeout,
            int maxSteps, List<String> requires, String... tasks) {
        Map<String, String> required = new LinkedHashMap<>();
        requires.forEach(d -> required.put(d, "needs " + d));
        return new AgentConfig(
                new AgentConfig.Metadata(name, "v1", "2025-07-04", "Testing", "feature/" + name),
                new AgentConfig.Spec(name + " agent", "testing", priority, "An agent for tests"),
                new AgentConfig.Capabilities(List.of("summarising"), List.of()),
                List.of(new AgentConfig.Objective("Summarise the notes", "summary.txt", "the file exists",
                        Priority.HIGH)),
                Arrays.stream(tasks).map(t -> new AgentConfig.Task(t, Priority.HIGH)).toList(),
                new AgentConfig.Dependencies(required, Map.of()),
                new AgentConfig.Reporting("daily", List.of("main-agent"), Map.of()),
                new AgentConfig.Security(true, capabilities, "512MB", "75%", timeout),
                maxSteps, "api");
    }

    @Override
    public List<AgentConfig> all() {
        return configs.values().stream().sorted(Comparator.comparing(AgentConfig::name)).toList();
    }

    @Override
    public Optional<AgentConfig> get(String name) {
        return Optional.ofNullable(configs.get(name));
    }

    @Override
    public AgentConfig define(String yaml, String source) throws AgentConfigException {
        throw new AgentConfigException(source, List.of("the test catalog takes configurations built in code"));
    }

    @Override
    public boolean remove(String name) {
        return configs.remove(name) != null;
    }

    @Override
    public Map<String, List<String>> errors() {
        return Map.of();
    }
}
