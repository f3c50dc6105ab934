package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/** {@code toka agents list | run NAME [--follow]}: agents through {@code /api/v1/agents}. */
final class AgentsCommands {

    /** The states in which a run is over. */
    static final Set<String> FINISHED = Set.of("COMPLETED", "FAILED", "TERMINATED");

    private AgentsCommands() {
    }

    /** {@code toka agents list [--json]}: name, version, the latest run's state and progress, and the source. */
    static int list(Context c, Args a) throws CliException {
        a.none();
        JsonNode answer = c.api().get("/agents");
        JsonNode agents = Context.list(answer, "agents", "GET /api/v1/agents");
        if (a.has("--json")) {
            c.printJson(answer);
            return Main.EXIT_OK;
        }
        if (agents.isEmpty()) {
            c.err().println("no agents are defined");
            return Main.EXIT_OK;
        }
        Table t = new Table("NAME", "VERSION", "STATE", "PROGRESS", "TASKS", "SOURCE");
        for (JsonNode agent : agents) {
            JsonNode s = agent.path("status");
            boolean ran = s.isObject();
            t.row(Context.text(agent, "name"), Context.text(agent, "version"),
                    ran ? Context.text(s, "state") : "-",
                    ran ? Math.round(s.path("progress").asDouble() * 100) + "%" : "-",
                    Context.text(agent, "tasks"), Context.text(agent, "source"));
        }
        t.print(c.out());
        return Main.EXIT_OK;
    }

    /**
     * {@code toka agents run NAME [--follow] [--json]}: starts a run (202). With {@code --follow}, prints the run's
     * events until it ends, then its outcome; exit 0 when it completed, 1 when it failed or was terminated.
     */
    static int run(Context c, Args a) throws CliException {
        String name = a.single("an agent name");
        String path = "/agents/" + TokaApi.segment(name);
        boolean follow = a.has("--follow");
        boolean json = a.has("--json");
        // the stream replays stored events after Last-Event-ID: start it after the last event stored before the run
        String after = follow ? lastSeq(c) : null;
        JsonNode started = c.api().post(path + "/run", null, TokaApi.REQUEST_TIMEOUT);
        if (!started.isObject() || !started.has("state")) {
            throw Context.malformed("POST /api/v1" + path + "/run", "no run status");
        }
        if (json && !follow) {
            c.printJson(started);
            return Main.EXIT_OK;
        }
        (json ? c.err() : c.out()).println("started run " + Context.text(started, "runId") + " of agent '"
                + Context.text(started, "agent") + "': " + Context.text(started, "state"));
        if (!follow) {
            return Main.EXIT_OK;
        }
        EventPrinter printer = new EventPrinter(c.mapper(), c.out(), json);
        String request = "GET /api/v1" + path + "/events";
        boolean ended = c.api().stream(path + "/events", after, event -> {
            if ("error".equals(event.type())) {
                throw CliException.refused("Toka ended the event stream: " + errorText(c, event.data()));
            }
            if (!event.hasData()) {
                return true;
            }
            JsonNode e = printer.parse(event.data(), request);
            printer.print(e);
            return !"agent.terminated".equals(Context.text(e, "kind"));
        });
        if (!ended) {
            throw CliException.failure("the event stream of agent '" + name + "' ended before its run did; see "
                    + "'toka agents list' for its state");
        }
        JsonNode status = c.api().get(path).path("status");
        String state = Context.text(status, "state");
        String verdict = Context.text(status, "verdict");
        String message = Context.text(status, "message");
        (json ? c.err() : c.out()).println("run " + Context.text(status, "runId") + " " + state
                + (verdict.isEmpty() ? "" : " (" + verdict + ")") + (message.isEmpty() ? "" : ": " + message));
        return state.equals("COMPLETED") ? Main.EXIT_OK : Main.EXIT_FAILURE;
    }

    /** The sequence number of the newest stored event, from {@code /api/v1/events/store}. */
    static String lastSeq(Context c) throws CliException {
        JsonNode store = c.api().get("/events/store");
        JsonNode last = store.get("lastSeq");
        if (last == null || !last.canConvertToLong()) {
            throw Context.malformed("GET /api/v1/events/store", "no 'lastSeq'");
        }
        return Long.toString(last.asLong());
    }

    /** The {@code error} of an {@code event: error} (the token was revoked or expired while streaming). */
    static String errorText(Context c, String data) {
        try {
            JsonNode n = c.mapper().readTree(data);
            if (n != null && n.path("error").isTextual()) {
                return n.path("error").asText();
            }
        } catch (java.io.IOException e) {
            // the raw text below
        }
        return Table.cut(data, 200);
    }
}
