package io.toka.cluster.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.cluster.ClusterMember;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a member publishes about itself in the cluster view: its id and address, HTTP URL, start time, load and
 * tools, as JSON signed with the key derived from the cluster secret ({@code signature + '\n' + json}). A reader
 * trusts a card only if the signature checks and the card names the member it is stored under, at that member's
 * address: a node without the secret cannot publish a card, nor pass off another member's card as its own.
 */
final class MemberCard {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MemberCard() {
    }

    /** @return the signed card */
    static String write(ClusterSecrets secrets, ClusterMember m) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", m.id()).put("name", m.name()).put("address", m.address()).put("httpUrl", m.httpUrl())
                .put("startedAt", m.startedAt().toString()).put("updatedAt", m.updatedAt().toString());
        ClusterMember.Load l = m.load();
        n.putObject("load").put("systemLoadAverage", l.systemLoadAverage()).put("processCpuLoad", l.processCpuLoad())
                .put("processors", l.processors()).put("heapUsedBytes", l.heapUsedBytes())
                .put("heapMaxBytes", l.heapMaxBytes());
        ArrayNode tools = n.putArray("tools");
        m.tools().forEach(t -> tools.addObject().put("name", t.name()).put("version", t.version()));
        String json = n.toString();
        return secrets.sign(json) + "\n" + json;
    }

    /**
     * @param id the member id the card is stored under
     * @param address that member's address
     * @param local whether it is this node
     * @return the member as its card shows it, or {@code null} if the card is missing, unsigned, forged or
     *     another member's
     */
    static ClusterMember read(ClusterSecrets secrets, String card, String id, String address, boolean local) {
        if (card == null) {
            return null;
        }
        int nl = card.indexOf('\n');
        if (nl < 0 || !secrets.verify(card.substring(nl + 1), card.substring(0, nl))) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(card.substring(nl + 1));
            if (!id.equals(n.path("id").asText()) || !address.equals(n.path("address").asText())) {
                return null;
            }
            JsonNode l = n.path("load");
            List<ClusterMember.DeployedTool> tools = new ArrayList<>();
            for (JsonNode t : n.path("tools")) {
                tools.add(new ClusterMember.DeployedTool(t.path("name").asText(), t.path("version").asText()));
            }
            return new ClusterMember(id, n.path("name").asText(), address, text(n, "httpUrl"),
                    Instant.parse(n.path("startedAt").asText()),
                    new ClusterMember.Load(l.path("systemLoadAverage").asDouble(-1), l.path("processCpuLoad").asDouble(-1),
                            l.path("processors").asInt(), l.path("heapUsedBytes").asLong(), l.path("heapMaxBytes").asLong()),
                    tools, local, true, Instant.parse(n.path("updatedAt").asText()));
        } catch (IOException | RuntimeException malformed) {
            return null;
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
