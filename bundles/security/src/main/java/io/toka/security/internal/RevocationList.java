package io.toka.security.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revoked token ids, checked in O(1) on every request and appended durably (fsync) to a JSON-lines file. An entry
 * is kept until the token would have expired anyway; expired entries are dropped when the file is loaded.
 */
final class RevocationList {

    private static final Logger LOG = LoggerFactory.getLogger(RevocationList.class);

    private final Path file;
    private final ObjectMapper json = new ObjectMapper();
    /** jti → instant after which the token is dead anyway. */
    private final Map<String, Instant> revoked = new ConcurrentHashMap<>();

    RevocationList(Path file, Clock clock) throws IOException {
        this.file = file;
        if (!Files.exists(file)) {
            return;
        }
        Instant now = clock.instant();
        int dropped = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode n = json.readTree(line);
                Instant until = Instant.parse(n.path("until").asText());
                if (until.isAfter(now)) {
                    revoked.put(n.path("jti").asText(), until);
                } else {
                    dropped++;
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Skipping an unreadable line in {}: {}", file, e.getMessage());
            }
        }
        if (dropped > 0) {
            StringBuilder sb = new StringBuilder();
            revoked.forEach((jti, until) -> sb.append(line(jti, until)).append('\n'));
            SecureFiles.writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8));
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
