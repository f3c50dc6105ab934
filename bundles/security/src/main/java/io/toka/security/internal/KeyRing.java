package io.toka.security.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import io.toka.security.KeyInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HS256 keys, persisted in one owner-only JSON file. The newest key signs; a retired key keeps validating
 * until its {@code validUntil}, then it is dropped. Readers never lock: the key list is replaced wholesale.
 */
final class KeyRing {

    /** 256 bits, as HS256 requires. */
    static final int KEY_BYTES = 32;

    /** One key with its verifier and signer built once. */
    static final class Key {
        final String kid;
        final byte[] secret;
        final Instant createdAt;
        final Instant retiredAt;
        final Instant validUntil;
        final MACVerifier verifier;
        final MACSigner signer;

        Key(String kid, byte[] secret, Instant createdAt, Instant retiredAt, Instant validUntil) {
            this.kid = kid;
            this.secret = secret;
            this.createdAt = createdAt;
            this.retiredAt = retiredAt;
            this.validUntil = validUntil;
            try {
                this.verifier = new MACVerifier(secret);
                this.signer = new MACSigner(secret);
            } catch (JOSEException e) {
                throw new IllegalStateException("key " + kid + " is not a valid HS256 key", e);
            }
        }

        boolean active() {
            return retiredAt == null;
        }

        Key retire(Instant at, Instant until) {
            return new Key(kid, secret, createdAt, at, until);
        }

        KeyInfo info() {
            return new KeyInfo(kid, createdAt, active(), retiredAt, validUntil);
        }
    }

    private final Path file;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final ObjectMapper json = new ObjectMapper();
    /** Newest first; the first is the active key. */
    private volatile List<Key> keys = List.of();
    private volatile Map<String, Key> byKid = Map.of();
    private final boolean generated;

    /**
     * Loads the keys, or generates the first one.
     *
     * @throws IOException if the file cannot be read or written
     */
    KeyRing(Path file, Clock clock) throws IOException {
        this.file = file;
        this.clock = clock;
        if (Files.exists(file)) {
            install(read());
        }
        Instant now = clock.instant();
        List<Key> live = new ArrayList<>();
        for (Key k : keys) {
            if (k.active() || k.validUntil.isAfter(now)) {
                live.add(k);
            }
        }
        boolean create = live.isEmpty() || !live.get(0).active();
        if (create) {
            live.add(0, newKey(now));
        }
        this.generated = create;
        if (create || live.size() != keys.size()) {
            install(live);
            persist();
        }
    }

    /** @return whether the constructor had to generate a key (first start, or every key had expired) */
    boolean generatedAtStart() {
        return generated;
    }

    /** @return the signing key */
    Key active() {
        return keys.get(0);
    }

    /**
     * @param kid a key id from a token header
     * @return the key if it is active or still within its overlap, else {@code null}
     */
    Key lookup(String kid) {
        Key k = byKid.get(kid);
        if (k == null || k.active() || clock.instant().isBefore(k.validUntil)) {
            return k;
        }
        return null;
    }

    /** @return whether the active key is older than the interval */
    boolean rotationDue(Duration interval) {
        return !interval.isZero() && !clock.instant().isBefore(active().createdAt.plus(interval));
    }

    /**
     * Makes a new signing key; the old one validates until {@code now + overlap}. Drops expired keys.
     *
     * @return the new key
     */
    synchronized Key rotate(Duration overlap) {
        Instant now = clock.instant();
        List<Key> next = new ArrayList<>();
        Key fresh = newKey(now);
        next.add(fresh);
        for (Key k : keys) {
            Key kept = k.active() ? k.retire(now, now.plus(overlap)) : k;
            if (kept.validUntil.isAfter(now)) {
                next.add(kept);
            }
        }
        install(next);
        persistUnchecked();
        return fresh;
    }

    /**
     * Drops keys whose overlap has ended.
     *
     * @return how many were dropped
     */
    synchronized int purge() {
        Instant now = clock.instant();
        List<Key> next = keys.stream().filter(k -> k.active() || k.validUntil.isAfter(now)).toList();
        int dropped = keys.size() - next.size();
        if (dropped > 0) {
            install(next);
            persistUnchecked();
        }
        return dropped;
    }

    /** @return the keys, newest first */
    List<KeyInfo> infos() {
        return keys.stream().map(Key::info).toList();
    }

    private Key newKey(Instant now) {
        byte[] secret = new byte[KEY_BYTES];
        random.nextBytes(secret);
        byte[] id = new byte[6];
        random.nextBytes(id);
        return new Key("k-" + HexFormat.of().formatHex(id), secret, now, null, null);
    }

    private void install(List<Key> next) {
        Map<String, Key> index = new LinkedHashMap<>();
        next.forEach(k -> index.put(k.kid, k));
        this.byKid = Map.copyOf(index);
        this.keys = List.copyOf(next);
    }

    private List<Key> read() throws IOException {
        JsonNode root = json.readTree(file.toFile());
        List<Key> out = new ArrayList<>();
        for (JsonNode n : root.path("keys")) {
            byte[] secret = Base64.getDecoder().decode(n.path("secret").asText());
            if (secret.length < KEY_BYTES) {
                throw new IOException("key " + n.path("kid").asText() + " in " + file + " is shorter than 256 bits");
            }
            out.add(new Key(n.path("kid").asText(), secret, Instant.parse(n.path("createdAt").asText()),
                    instant(n.get("retiredAt")), instant(n.get("validUntil"))));
        }
        out.sort((a, b) -> b.createdAt.compareTo(a.createdAt));
        return out;
    }

    private static Instant instant(JsonNode n) {
        return n == null || n.isNull() ? null : Instant.parse(n.asText());
    }

    private void persistUnchecked() {
        try {
            persist();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the signing keys to " + file, e);
        }
    }

    private void persist() throws IOException {
        ObjectNode root = json.createObjectNode();
        ArrayNode arr = root.putArray("keys");
        for (Key k : keys) {
            ObjectNode n = arr.addObject();
            n.put("kid", k.kid);
            n.put("secret", Base64.getEncoder().encodeToString(k.secret));
            n.put("createdAt", k.createdAt.toString());
            n.put("retiredAt", k.retiredAt == null ? null : k.retiredAt.toString());
            n.put("validUntil", k.validUntil == null ? null : k.validUntil.toString());
        }
        SecureFiles.writeAtomically(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
}
