package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code toka orchestration health [--json]}: {@code /api/v1/health} and, with a token that may read agents,
 * {@code /api/v1/status}. Exit 0 when Toka is UP, 1 otherwise (unreachable included), so it can be a probe.
 */
final class HealthCommand {

    private HealthCommand() {
    }

    static int run(Context c, Args a) throws CliException {
        a.none();
        JsonNode health;
        try {
            health = c.api().get("/health");
        } catch (CliException e) {
            if (a.has("--json")) {
                ObjectNode down = c.mapper().createObjectNode().put("status", "DOWN").put("error", e.getMessage());
                c.printJson(down);
            } else {
                c.out().println("status:   DOWN");
            }
            throw e;
        }
        String status = Context.text(health, "status");
        if (status.isEmpty()) {
            throw Context.malformed("GET /api/v1/health", "no 'status'");
        }
        JsonNode agents = null;
        String agentsNote = null;
        if (c.api().hasToken()) {
            try {
                agents = c.api().get("/status");
            } catch (CliException e) {
                // the health answer stands on its own; say why the orchestration part is missing
                agentsNote = e.getMessage();
            }
        } else {
            agentsNote = "no token, so only the status is shown";
        }
        if (a.has("--json")) {
            ObjectNode all = c.mapper().createObjectNode();
            all.set("health", health);
            all.set("status", agents);
            if (agentsNote != null) {
                all.put("statusError", agentsNote);
            }
            c.printJson(all);
        } else {
            var out = c.out();
            out.println("status:   " + status);
            if (health.has("version")) {
                out.println("version:  " + Context.text(health, "version"));
                out.println("uptime:   " + health.path("uptimeSeconds").asLong() + " s");
                out.println("tools:    " + Context.text(health, "tools"));
                JsonNode sandbox = health.path("sandbox");
                out.println("sandbox:  " + Context.text(sandbox, "level")
                        + (sandbox.path("notes").isEmpty() ? "" : " (" + sandbox.path("notes").size() + " note(s); see --json)"));
            }
            if (agents != null) {
                out.println("agents:   " + Context.text(agents, "agents") + " defined, " + Context.text(agents, "running")
                        + " running");
                out.println("sessions: " + Context.text(agents, "sessions"));
                if (agents.hasNonNull("llm")) {
                    out.println("llm:      " + Context.text(agents.path("llm"), "provider") + " "
                            + Context.text(agents.path("llm"), "model"));
                }
            } else {
                c.err().println("toka: orchestration status not shown: " + agentsNote);
            }
        }
        return status.equals("UP") ? Main.EXIT_OK : Main.EXIT_FAILURE;
    }
}
