package io.toka.orchestration.spi;

import java.util.Objects;

/**
 * A node's right to execute one run or session, at one epoch. Every new holder of the same key gets a higher epoch,
 * so a record made under an older epoch is refused (fencing).
 *
 * @param key what the lease is for, {@code run:<id>} or {@code session:<id>}
 * @param owner the node that holds it
 * @param epoch its epoch, from 1, higher at every takeover
 */
public record RunLease(String key, String owner, long epoch) {

    /** Checks the parts. */
    public RunLease {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        if (epoch < 1) {
            throw new IllegalArgumentException("a lease epoch starts at 1, not " + epoch);
        }
    }

    @Override
    public String toString() {
        return key + "@" + owner + "#" + epoch;
    }
}
