package io.toka.security.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.spi.LedgerEntry;
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

    private final Path file;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, LedgerEntry> byJti = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> children = new ConcurrentHashMap<>();

    TokenLedger(Path file, Clock clock) throws IOException {
        this.file = file;
        this.clock = clock;
        Instant now = clock.instant();
        JsonLines.load(file, json,
                n -> new LedgerEntry(n.path("jti").asText(), n.path("sub").asText(), text(n, "by"), text(n, "parent"),
                        Instant.parse(n.path("exp").asText()), n.path("shell").asBoolean(false)),
                e -> e.expiresAt().isAfter(now), this::line).forEach(this::index);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** Records a freshly minted token; persisted before this returns. */
    void record(LedgerEntry e) {
        index(e);
        try {
            synchronized (this) {
                SecureFiles.appendLine(file, line(e));
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot record token " + e.jti() + " in " + file, ex);
        }
    }

    /** @return the entry of a live token, or {@code null} */
    LedgerEntry find(String jti) {
        LedgerEntry e = byJti.get(jti);
        return e == null || !e.expiresAt().isAfter(clock.instant()) ? null : e;
    }

    /** @return the live tokens delegated from this one, directly or further down, breadth first */
    List<LedgerEntry> descendants(String jti) {
        List<LedgerEntry> out = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(List.of(jti));
        Set<String> seen = new java.util.HashSet<>(todo);
        while (!todo.isEmpty()) {
            for (String child : children.getOrDefault(todo.poll(), Set.of())) {
                LedgerEntry e = find(child);
                if (e != null && seen.add(child)) {
                    out.add(e);
                    todo.add(child);
                }
            }
        }
        return out;
    }

    private void index(LedgerEntry e) {
        byJti.put(e.jti(), e);
        if (e.parent() != null) {
            children.computeIfAbsent(e.parent(), k -> ConcurrentHashMap.newKeySet()).add(e.jti());
        }
    }

    private String line(LedgerEntry e) {
        ObjectNode n = json.createObjectNode();
        n.put("jti", e.jti()).put("sub", e.subject()).put("by", e.issuer()).put("parent", e.parent())
                .put("exp", e.expiresAt().toString());
        if (e.shellIssuer()) {
            n.put("shell", true);
        }
        return n.toString();
    }
}
