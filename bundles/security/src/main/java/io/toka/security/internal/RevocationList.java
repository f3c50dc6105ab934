package io.toka.security.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Revoked token ids, checked in O(1) on every request and appended durably (fsync) to a JSON-lines file. An entry
 * is kept until the token would have expired anyway; expired entries are dropped when the file is loaded.
 */
final class RevocationList {

    private final Path file;
    private final ObjectMapper json = new ObjectMapper();
    /** jti → instant after which the token is dead anyway. */
    private final Map<String, Instant> revoked = new ConcurrentHashMap<>();

    private record Entry(String jti, Instant until) {
    }

    RevocationList(Path file, Clock clock) throws IOException {
        this.file = file;
        Instant now = clock.instant();
        for (Entry e : JsonLines.load(file, json,
                n -> new Entry(n.path("jti").asText(), Instant.parse(n.path("until").asText())),
                e -> e.until().isAfter(now), e -> line(e.jti(), e.until()))) {
            revoked.put(e.jti(), e.until());
        }
    }

    /** @return whether the token id is revoked */
    boolean isRevoked(String jti) {
        return revoked.containsKey(jti);
    }

    /**
     * Revokes a token id; persisted before this returns.
     *
     * @param until when the token expires (the entry may be forgotten after that)
     * @return whether it was not revoked before
     */
    boolean revoke(String jti, Instant until) {
        if (revoked.putIfAbsent(jti, until) != null) {
            return false;
        }
        try {
            synchronized (this) {
                SecureFiles.appendLine(file, line(jti, until));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the revocation of " + jti + " to " + file, e);
        }
        return true;
    }

    /** @return how many ids are revoked */
    int size() {
        return revoked.size();
    }

    private String line(String jti, Instant until) {
        return json.createObjectNode().put("jti", jti).put("until", until.toString()).toString();
    }
}
