package io.toka.shell.internal.mcp;

import io.toka.mcp.McpSessionInfo;
import io.toka.mcp.McpSessions;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * What the MCP shell commands do with {@link McpSessions}. The only classes of the shell bundle that name
 * {@code io.toka.mcp} types, loaded only once the service has been found (see {@code McpLookup}).
 */
public final class McpSessionTable {

    /** A prefix shorter than this is not taken as a session id. */
    private static final int MIN_PREFIX = 4;

    private McpSessionTable() {
    }

    /**
     * Prints the sessions, oldest first.
     *
     * @param service the {@code McpSessions} service
     * @param now the time to measure age and idle time against
     * @param out where the table goes
     */
    public static void print(Object service, Instant now, PrintStream out) {
        List<McpSessionInfo> sessions = ((McpSessions) service).list().stream()
                .sorted(Comparator.comparing(McpSessionInfo::created, Comparator.nullsLast(Comparator.naturalOrder())))
                .toList();
        if (sessions.isEmpty()) {
            out.println("No MCP sessions.");
            return;
        }
        ShellTable table = new ShellTable();
        table.column("Id");
        table.column("Subject");
        table.column("Protocol");
        table.column("Client").maxSize(40);
        table.column("Age").alignRight();
        table.column("Idle").alignRight();
        table.column("Streams").alignRight();
        for (McpSessionInfo s : sessions) {
            table.addRow().addContent(s.id(), orDash(s.subject()), orDash(s.protocolVersion()),
                    orDash(s.clientName()), since(s.created(), now), since(s.lastActive(), now), s.openStreams());
        }
        table.print(out);
    }

    /**
     * Ends a session, named by its id or a unique start of it.
     *
     * @param service the {@code McpSessions} service
     * @param id the id or its start
     * @param out where the confirmation goes
     * @throws IllegalArgumentException if no session, or more than one, matches
     */
    public static void close(Object service, String id, PrintStream out) {
        McpSessions sessions = (McpSessions) service;
        if (id.isBlank()) {
            throw new IllegalArgumentException("give the id of the MCP session to end; toka:mcp-sessions lists them");
        }
        String given = id.strip();
        String ended = given;
        if (!sessions.close(given)) {
            List<String> matches = given.length() < MIN_PREFIX ? List.of() : sessions.list().stream()
                    .map(McpSessionInfo::id).filter(s -> s.startsWith(given)).toList();
            if (matches.size() > 1) {
                throw new IllegalArgumentException("'" + given + "' is the start of " + matches.size()
                        + " MCP sessions: " + String.join(", ", matches) + "; give more of the id");
            }
            if (matches.isEmpty() || !sessions.close(matches.get(0))) {
                throw new IllegalArgumentException("no MCP session '" + given + "' (it may have ended already); "
                        + "toka:mcp-sessions lists the sessions");
            }
            ended = matches.get(0);
        }
        out.println("Ended MCP session " + ended + ".");
    }

    /**
     * @param from a start time (may be null)
     * @param now the current time
     * @return the time since, compactly: {@code 45s}, {@code 12m03s}, {@code 3h07m}, {@code 2d04h}
     */
    static String since(Instant from, Instant now) {
        if (from == null) {
            return "-";
        }
        long s = Math.max(0, Duration.between(from, now).getSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd%02dh", s / 86_400, s % 86_400 / 3600);
    }

    private static String orDash(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }
}
