package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code toka events tail [--kind K] [--count N] [--after SEQ] [--json]}: the live event stream
 * ({@code /api/v1/events/stream}) until Ctrl-C, or until N events were printed.
 */
final class EventsCommands {

    private EventsCommands() {
    }

    static int tail(Context c, Args a) throws CliException {
        a.none();
        String kind = a.value("--kind");
        long count = a.has("--count") ? Args.number("--count", a.value("--count"), 1, Long.MAX_VALUE) : Long.MAX_VALUE;
        String after = a.has("--after") ? Long.toString(Args.number("--after", a.value("--after"), 0, Long.MAX_VALUE))
                : AgentsCommands.lastSeq(c);
        String path = "/events/stream" + (kind == null || kind.isBlank() ? "" : "?kind=" + TokaApi.query(kind.trim()));
        EventPrinter printer = new EventPrinter(c.mapper(), c.out(), a.has("--json"));
        long[] printed = {0};
        boolean stopped = c.api().stream(path, after, event -> {
            if ("error".equals(event.type())) {
                throw CliException.refused("Toka ended the event stream: "
                        + AgentsCommands.errorText(c, event.data()));
            }
            if (!event.hasData()) {
                return true;
            }
            JsonNode e = printer.parse(event.data(), "GET /api/v1" + path);
            printer.print(e);
            return ++printed[0] < count;
        });
        if (!stopped) {
            throw CliException.failure("Toka closed the event stream after " + printed[0] + " event(s) (is it "
                    + "stopping?)");
        }
        return Main.EXIT_OK;
    }
}
