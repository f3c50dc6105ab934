package io.toka.security.internal;

import io.toka.security.spi.SecurityStateStore;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Revoked token ids, checked in O(1) on every request, and written durably through the {@link SecurityStateStore}
 * before a revocation returns. Revocations made by other nodes sharing the store arrive through {@link #merge}. An
 * entry is kept until the token would have expired anyway.
 */
final class RevocationList {

    private final SecurityStateStore store;
    private final Clock clock;
    /** jti → instant after which the token is dead anyway. */
    private final Map<String, Instant> revoked = new ConcurrentHashMap<>();

    RevocationList(SecurityStateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
        revoked.putAll(store.revocations(clock.instant()));
    }

    /** @return whether the token id is revoked */
    boolean isRevoked(String jti) {
        return revoked.containsKey(jti);
    }

    /**
     * Revokes a token id; stored before this returns.
     *
     * @param until when the token expires (the entry may be forgotten after that)
     * @return whether it was not revoked before
     */
    boolean revoke(String jti, Instant until) {
        if (revoked.containsKey(jti)) {
            return false;
        }
        boolean fresh = store.revoke(jti, until);
        revoked.put(jti, until);
        return fresh;
    }

    /** Adds revocations made elsewhere; forgets entries whose tokens have expired. */
    void merge(Map<String, Instant> more) {
        revoked.putAll(more);
        Instant now = clock.instant();
        revoked.values().removeIf(until -> until.isBefore(now));
    }

    /** @return how many ids are revoked */
    int size() {
        return revoked.size();
    }
}
