package io.toka.orchestration;

import java.util.List;
import java.util.Map;

/**
 * An agent configuration in the original Toka format (metadata, spec, capabilities, objectives, tasks,
 * dependencies, reporting, security). Every list and map is unmodifiable and never {@code null}.
 *
 * @param metadata name, version, created, workstream, branch
 * @param spec name, domain, priority, description
 * @param capabilities primary and secondary capabilities
 * @param objectives at least one, each with description and deliverable
 * @param tasks the default tasks, at least one
 * @param dependencies required and optional, agent name → reason (from a map or a list of single-key maps)
 * @param reporting frequency, channels, metrics
 * @param security sandbox, capabilities_required (the permissions the agent's token is narrowed to), resource
 *     limits
 * @param maxSteps the most model turns per task (default 10)
 * @param durable whether the agent's runs record every step and resume after a restart ({@code durable}, default
 *     true; the runtime's switch can turn it off for every agent) (since 2.1.0)
 * @param source where it was loaded from (a file path), or {@code "api"}
 */
public record AgentConfig(Metadata metadata, Spec spec, Capabilities capabilities, List<Objective> objectives,
        List<Task> tasks, Dependencies dependencies, Reporting reporting, Security security, int maxSteps,
        boolean durable, String source) {

    /** A durable configuration (the 2.0.0 constructor). */
    public AgentConfig(Metadata metadata, Spec spec, Capabilities capabilities, List<Objective> objectives,
            List<Task> tasks, Dependencies dependencies, Reporting reporting, Security security, int maxSteps,
            String source) {
        this(metadata, spec, capabilities, objectives, tasks, dependencies, reporting, security, maxSteps, true,
                source);
    }

    /** The default number of model turns per task. */
    public static final int DEFAULT_MAX_STEPS = 10;

    /** The agent's name ({@code metadata.name}). */
    public String name() {
        return metadata.name();
    }

    /** Priority, highest first. */
    public enum Priority {
        CRITICAL, HIGH, MEDIUM, LOW
    }

    public record Metadata(String name, String version, String created, String workstream, String branch) {
    }

    public record Spec(String name, String domain, Priority priority, String description) {
    }

    public record Capabilities(List<String> primary, List<String> secondary) {
    }

    public record Objective(String description, String deliverable, String validation, Priority priority) {
    }

    public record Task(String description, Priority priority) {
    }

    public record Dependencies(Map<String, String> required, Map<String, String> optional) {
    }

    /**
     * @param metrics name → description; the list-of-objects form keeps its description
     */
    public record Reporting(String frequency, List<String> channels, Map<String, String> metrics) {
    }

    /**
     * @param capabilitiesRequired the agent's permissions: tools and operations outside them are refused
     * @param maxMemory e.g. "512MB"
     * @param maxCpu e.g. "75%"
     * @param timeout e.g. "2h"
     */
    public record Security(boolean sandbox, List<String> capabilitiesRequired, String maxMemory, String maxCpu,
            String timeout) {
    }
}
