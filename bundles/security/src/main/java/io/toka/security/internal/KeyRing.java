package io.toka.security.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import io.toka.security.KeyInfo;
import io.toka.security.spi.SecurityStateStore;
import io.toka.security.spi.SigningKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HS256 keys, kept in memory for verification and written through a {@link SecurityStateStore}. The newest key
 * signs; a retired key keeps validating until its {@code validUntil}, then it is dropped. Readers never lock: the key
 * list is replaced wholesale. Every change is a compare-and-set on the signing key, so when several nodes share the
 * store and rotate at once, one rotation wins and the others load it.
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

        static Key of(SigningKey k) {
            byte[] secret = k.secret();
            if (secret.length < KEY_BYTES) {
                throw new IllegalStateException("stored key " + k.kid() + " is shorter than 256 bits");
            }
            return new Key(k.kid(), secret, k.createdAt(), k.retiredAt(), k.validUntil());
        }

        SigningKey stored() {
            return new SigningKey(kid, secret, createdAt, retiredAt, validUntil);
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

    private final SecurityStateStore store;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    /** Newest first; the first is the active key. */
    private volatile List<Key> keys = List.of();
    private volatile Map<String, Key> byKid = Map.of();
    private final boolean generated;

    /**
     * Loads the keys, drops expired ones, and generates the first key when none signs.
     *
     * @throws io.toka.security.spi.SecurityStateException if the store cannot be read or written
     */
    KeyRing(SecurityStateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
        boolean made = false;
        while (true) {
            List<Key> stored = load();
            Instant now = clock.instant();
            List<Key> live = new ArrayList<>();
            for (Key k : stored) {
                if (k.active() || k.validUntil.isAfter(now)) {
                    live.add(k);
                }
            }
            boolean create = live.isEmpty() || !live.get(0).active();
            if (create) {
                live.add(0, newKey(now));
            }
            if (!create && live.size() == stored.size()) {
                install(live);
                break;
            }
            if (store.replaceKeys(activeKid(stored), stored(live))) {
                install(live);
                made = create;
                break;
            }
            // another node changed the keys meanwhile: start again from what it stored
        }
        this.generated = made;
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
        while (true) {
            List<Key> current = keys;
            Instant now = clock.instant();
            Key fresh = newKey(now);
            List<Key> next = rotated(current, fresh, now, overlap);
            if (store.replaceKeys(current.get(0).kid, stored(next))) {
                install(next);
                return fresh;
            }
            reload();
        }
    }

    /**
     * Rotates if the signing key is due, after reading the store: of several nodes sharing it, the first to rotate
     * wins and the others find the new key not due.
     *
     * @return the new key, or {@code null} if none was due (any more)
     */
    synchronized Key rotateIfDue(Duration interval, Duration overlap) {
        while (rotationDue(interval)) {
            List<Key> current = keys;
            Instant now = clock.instant();
            Key fresh = newKey(now);
            List<Key> next = rotated(current, fresh, now, overlap);
            if (store.replaceKeys(current.get(0).kid, stored(next))) {
                install(next);
                return fresh;
            }
            reload();
        }
        return null;
    }

    private static List<Key> rotated(List<Key> current, Key fresh, Instant now, Duration overlap) {
        List<Key> next = new ArrayList<>();
        next.add(fresh);
        for (Key k : current) {
            Key kept = k.active() ? k.retire(now, now.plus(overlap)) : k;
            if (kept.validUntil.isAfter(now)) {
                next.add(kept);
            }
        }
        return next;
    }

    /**
     * Drops keys whose overlap has ended.
     *
     * @return how many were dropped
     */
    synchronized int purge() {
        Instant now = clock.instant();
        List<Key> current = keys;
        List<Key> next = current.stream().filter(k -> k.active() || k.validUntil.isAfter(now)).toList();
        int dropped = current.size() - next.size();
        if (dropped > 0) {
            if (store.replaceKeys(current.get(0).kid, stored(next))) {
                install(next);
            } else {
                reload();
            }
        }
        return dropped;
    }

    /**
     * Reads the keys again, after another node changed them. Keeps the current keys when the store holds no signing
     * key (it never should: every writer stores an active key first).
     */
    synchronized void reload() {
        List<Key> stored = load();
        if (!stored.isEmpty() && stored.get(0).active()) {
            install(stored);
        }
    }

    /** @return the keys, newest first */
    List<KeyInfo> infos() {
        return keys.stream().map(Key::info).toList();
    }

    private List<Key> load() {
        List<Key> out = new ArrayList<>();
        for (SigningKey k : store.keys()) {
            out.add(Key.of(k));
        }
        out.sort((a, b) -> b.createdAt.compareTo(a.createdAt));
        return out;
    }

    private static String activeKid(List<Key> stored) {
        return stored.isEmpty() || !stored.get(0).active() ? null : stored.get(0).kid;
    }

    private static List<SigningKey> stored(List<Key> keys) {
        return keys.stream().map(Key::stored).toList();
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
}
