package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/** The revisions this endpoint serves, and version negotiation (lifecycle.mdx, versioning.mdx). */
final class ProtocolVersions {

    private final Set<Revision> served;
    /** Newest first. */
    private final List<Revision> ordered;

    ProtocolVersions(Set<Revision> served) {
        this.served = Set.copyOf(served);
        this.ordered = served.stream().sorted(Comparator.reverseOrder()).toList();
    }

    /** @return the served revision with that version string, or {@code null} */
    Revision served(String version) {
        Revision r = Revision.of(version);
        return r != null && served.contains(r) ? r : null;
    }

    boolean serves(Revision r) {
        return served.contains(r);
    }

    /**
     * What {@code initialize} answers: the requested revision when it is served and has a handshake, else the
     * newest served revision that has one.
     *
     * @return the revision, or {@code null} when only stateless revisions are served
     */
    Revision negotiate(String requested) {
        Revision r = served(requested);
        if (r != null && !r.stateless()) {
            return r;
        }
        return ordered.stream().filter(v -> !v.stateless()).findFirst().orElse(null);
    }

    /** @return the newest served revision with a handshake, or {@code null} */
    Revision newestLegacy() {
        return negotiate(null);
    }

    /** @return the version strings, newest first */
    ArrayNode supported() {
        ArrayNode a = Json.array();
        ordered.forEach(r -> a.add(r.wire()));
        return a;
    }

    /** The 2026-07-28 {@code UnsupportedProtocolVersionError} (HTTP 400), used for every revision. */
    RpcException unsupported(String requested) {
        ObjectNode data = Json.object();
        data.set("supported", supported());
        data.put("requested", JsonRpc.clip(requested, 64));
        return new RpcException(JsonRpc.UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version", data, 400);
    }
}
