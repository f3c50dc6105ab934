package io.toka.orchestration.internal.config;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every agent configuration Toka knows: hot-loaded from {@code etc/toka/agents/*.yaml} and
 * {@code deploy/*.agent.yaml}, or defined through the API. A service inside the orchestration bundle. Thread-safe.
 */
public interface AgentCatalog {

    /** Every configuration, sorted by name. */
    List<AgentConfig> all();

    Optional<AgentConfig> get(String name);

    /** Parses, validates (including duplicate names and unknown required dependencies) and adds or replaces. */
    AgentConfig define(String yaml, String source) throws AgentConfigException;

    /** Removes a configuration defined through the API; false if unknown or loaded from a file. */
    boolean remove(String name);

    /** Files that failed to load: file → the problems. */
    Map<String, List<String>> errors();
}
