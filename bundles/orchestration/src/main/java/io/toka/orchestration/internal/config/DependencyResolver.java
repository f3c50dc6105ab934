package io.toka.orchestration.internal.config;

import io.toka.orchestration.AgentConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order in which a set of agents may start, from their required dependencies (the original
 * {@code toka-orchestration/src/dependency.rs}).
 *
 * <p>Only required dependencies order agents; optional ones never do, and an unknown optional dependency is
 * ignored. Every required dependency must name a known agent, even one outside the subset, but only dependencies
 * inside the subset order it: an agent run on its own does not wait for the agents it depends on.
 *
 * <p>The order is a depth-first topological order: roots and dependencies are visited by priority (critical,
 * high, medium, low) and then by name, and each agent comes after its dependencies.
 */
public final class DependencyResolver {

    private static final Comparator<AgentConfig> PRIORITY =
            Comparator.comparing((AgentConfig c) -> c.spec().priority()).thenComparing(AgentConfig::name);

    private DependencyResolver() {
    }

    /**
     * @param known every configuration, to look dependencies up in
     * @param subset the agents to order, by name
     * @return the subset, each agent after the agents it requires
     * @throws IllegalArgumentException {@code "Unknown agent: x"} for a name of the subset that is not known;
     *     {@code "Agent 'a' depends on non-existent agent 'b'"} for an unknown required dependency;
     *     {@code "Circular dependencies detected: [a, b]"} naming the members of a cycle in dependency order
     */
    public static List<String> order(Collection<AgentConfig> known, Collection<String> subset) {
        Map<String, AgentConfig> byName = new HashMap<>();
        for (AgentConfig c : known) {
            byName.putIfAbsent(c.name(), c);
        }
        Set<String> names = new LinkedHashSet<>(subset);
        List<AgentConfig> agents = new ArrayList<>();
        for (String name : names) {
            AgentConfig c = byName.get(name);
            if (c == null) {
                throw new IllegalArgumentException("Unknown agent: " + name);
            }
            agents.add(c);
        }
        for (AgentConfig c : agents.stream().sorted(Comparator.comparing(AgentConfig::name)).toList()) {
            for (String dep : c.dependencies().required().keySet()) {
                if (!byName.containsKey(dep)) {
                    throw new IllegalArgumentException(
                            "Agent '" + c.name() + "' depends on non-existent agent '" + dep + "'");
                }
            }
        }
        agents.sort(PRIORITY);
        Map<String, List<AgentConfig>> deps = new HashMap<>();
        for (AgentConfig c : agents) {
            deps.put(c.name(), c.dependencies().required().keySet().stream().filter(names::contains)
                    .map(byName::get).sorted(PRIORITY).toList());
        }
        List<String> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (AgentConfig c : agents) {
            visit(c.name(), deps, done, new ArrayList<>(), out);
        }
        return List.copyOf(out);
    }

    /**
     * Groups {@link #order} into waves: an agent joins the current wave when everything it requires (inside the
     * subset) is in an earlier wave; otherwise the current wave closes and a new one starts with it. Agents of a
     * wave may run together.
     *
     * @return the waves, in order; empty for an empty subset
     * @throws IllegalArgumentException as {@link #order}
     */
    public static List<List<String>> waves(Collection<AgentConfig> known, Collection<String> subset) {
        List<String> ordered = order(known, subset);
        Map<String, AgentConfig> byName = new HashMap<>();
        for (AgentConfig c : known) {
            byName.putIfAbsent(c.name(), c);
        }
        Set<String> inSubset = new HashSet<>(ordered);
        List<List<String>> waves = new ArrayList<>();
        Set<String> completed = new HashSet<>();
        List<String> current = new ArrayList<>();
        for (String name : ordered) {
            boolean ready = byName.get(name).dependencies().required().keySet().stream()
                    .filter(inSubset::contains).allMatch(completed::contains);
            if (!ready) {
                waves.add(List.copyOf(current));
                completed.addAll(current);
                current = new ArrayList<>();
            }
            current.add(name);
        }
        if (!current.isEmpty()) {
            waves.add(List.copyOf(current));
        }
        return List.copyOf(waves);
    }

    private static void visit(String name, Map<String, List<AgentConfig>> deps, Set<String> done, List<String> path,
            List<String> out) {
        if (done.contains(name)) {
            return;
        }
        int at = path.indexOf(name);
        if (at >= 0) {
            throw new IllegalArgumentException("Circular dependencies detected: " + path.subList(at, path.size()));
        }
        path.add(name);
        for (AgentConfig d : deps.get(name)) {
            visit(d.name(), deps, done, path, out);
        }
        path.remove(path.size() - 1);
        done.add(name);
        out.add(name);
    }
}
