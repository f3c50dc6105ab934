package io.toka.security.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.TokenClaims;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every live token this Toka minted: who issued it and which token it was delegated from. It answers "may this
 * caller revoke that token" and "which tokens descend from it", and keeps delegation chains auditable.
 * Appended durably to a JSON-lines file; expired entries are dropped when it is loaded.
 */
final class TokenLedger {

    /**
     * What the ledger keeps about one token.
     *
     * @param shellIssuer whether {@code issuer} is a logged-in shell user (authenticated by JAAS), rather than the
     *     subject of a token, which its own issuer chose freely
     */
    record Entry(String jti, String subject, String issuer, String parent, Instant expiresAt, boolean shellIssuer) {
    }

    private final Path file;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Entry> byJti = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> children = new ConcurrentHashMap<>();

    TokenLedger(Path file, Clock clock) throws IOException {
        this.file = file;
        this.clock = clock;
        Instant now = clock.instant();
        JsonLines.load(file, json,
                n -> new Entry(n.path("jti").asText(), n.path("sub").asText(), text(n, "by"), text(n, "parent"),
                        Instant.parse(n.path("exp").asText()), n.path("shell").asBoolean(false)),
                e -> e.expiresAt().isAfter(now), this::line).forEach(this::index);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /**
     * Records a freshly minted token; persisted before this returns.
     *
     * @param shellIssuer whether a logged-in shell user issued it
     */
    void record(TokenClaims c, boolean shellIssuer) {
        Entry e = new Entry(c.jti(), c.subject(), c.issuer(), c.parent(), c.expiresAt(), shellIssuer);
        index(e);
        try {
            synchronized (this) {
                SecureFiles.appendLine(file, line(e));
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot record token " + c.jti() + " in " + file, ex);
        }
    }

    /** @return the entry of a live token, or {@code null} */
    Entry find(String jti) {
        Entry e = byJti.get(jti);
        return e == null || !e.expiresAt().isAfter(clock.instant()) ? null : e;
    }

    /** @return the live tokens delegated from this one, directly or further down, breadth first */
    List<Entry> descendants(String jti) {
        List<Entry> out = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(List.of(jti));
        Set<String> seen = new java.util.HashSet<>(todo);
        while (!todo.isEmpty()) {
            for (String child : children.getOrDefault(todo.poll(), Set.of())) {
                Entry e = find(child);
                if (e != null && seen.add(child)) {
                    out.add(e);
                    todo.add(child);
                }
            }
        }
        return out;
    }

    private void index(Entry e) {
        byJti.put(e.jti(), e);
        if (e.parent() != null) {
            children.computeIfAbsent(e.parent(), k -> ConcurrentHashMap.newKeySet()).add(e.jti());
        }
    }

    private String line(Entry e) {
        ObjectNode n = json.createObjectNode();
        n.put("jti", e.jti()).put("sub", e.subject()).put("by", e.issuer()).put("parent", e.parent())
                .put("exp", e.expiresAt().toString());
        if (e.shellIssuer()) {
            n.put("shell", true);
        }
        return n.toString();
    }
}
