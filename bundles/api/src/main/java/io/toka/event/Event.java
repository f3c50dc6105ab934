package io.toka.event;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One recorded event.
 *
 * @param seq the store's ascending sequence number (the query cursor); 0 until appended
 * @param id a unique id (a UUID)
 * @param kind a dotted kind such as {@code agent.spawned}
 * @param version the payload's schema version for this kind
 * @param timestamp when it happened (microsecond precision)
 * @param parents ids of the events it follows from
 * @param digest the causal digest: SHA-256 (hex) over the payload and the sorted parent digests
 * @param agent the agent it concerns, or {@code null} (indexed for queries)
 * @param subject the security subject that caused it, or {@code null} (indexed for queries)
 * @param payload the payload as canonical JSON text
 */
public record Event(long seq, String id, String kind, int version, Instant timestamp, List<String> parents,
        String digest, String agent, String subject, String payload) {

    /** Copies the parents. */
    public Event {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(payload, "payload");
        parents = parents == null ? List.of() : List.copyOf(parents);
    }

    /**
     * @param assigned the sequence number the store gave it
     * @return this event with that sequence number
     */
    public Event withSeq(long assigned) {
        return new Event(assigned, id, kind, version, timestamp, parents, digest, agent, subject, payload);
    }
}
