package io.toka.orchestration;

import java.util.List;

/** An agent configuration that does not parse or validate; one named problem per rule broken. */
public class AgentConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<String> problems;

    public AgentConfigException(String source, List<String> problems) {
        super(source + ": " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem, e.g. {@code "metadata.workstream must not be empty"}. */
    public List<String> problems() {
        return problems;
    }
}
