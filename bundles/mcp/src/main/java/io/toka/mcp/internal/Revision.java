package io.toka.mcp.internal;

/**
 * The MCP protocol revisions Toka speaks, oldest first, with what differs between them on the wire.
 */
enum Revision {
    /** Sessions, JSON-RPC batches, no {@code MCP-Protocol-Version} header yet. */
    V2025_03_26("2025-03-26"),
    /** No batches; titles, output schemas, structured content and resource links. */
    V2025_06_18("2025-06-18"),
    /** As 2025-06-18; SSE streams start with a priming event that carries an event id. */
    V2025_11_25("2025-11-25"),
    /** Stateless: no initialize, no sessions, the version and capabilities in every request's {@code _meta}. */
    V2026_07_28("2026-07-28");

    private final String wire;

    Revision(String wire) {
        this.wire = wire;
    }

    /** @return the version string, e.g. {@code 2025-11-25} */
    String wire() {
        return wire;
    }

    /** @return the revision with that version string, or {@code null} */
    static Revision of(String wire) {
        for (Revision r : values()) {
            if (r.wire.equals(wire)) {
                return r;
            }
        }
        return null;
    }

    /** @return whether this is the stateless (modern) era */
    boolean stateless() {
        return this == V2026_07_28;
    }

    /** @return whether a POST body may be a JSON-RPC batch (an array) */
    boolean batches() {
        return this == V2025_03_26;
    }

    /** @return whether tools carry title, outputSchema and _meta, results structuredContent, content resource_link */
    boolean structured() {
        return compareTo(V2025_06_18) >= 0;
    }

    /** @return whether a session's SSE stream opens with a priming event (an id and empty data) */
    boolean primesStreams() {
        return this == V2025_11_25;
    }
}
