package io.toka.security.spi;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One HS256 signing key as a {@link SecurityStateStore} keeps it.
 *
 * @param kid the key id, as written in a token's header
 * @param secret the key material (at least 32 bytes); copied in and out
 * @param createdAt when it was generated
 * @param retiredAt when a newer key replaced it, or {@code null} while it signs
 * @param validUntil until when a retired key still validates tokens, or {@code null} while it signs
 */
public record SigningKey(String kid, byte[] secret, Instant createdAt, Instant retiredAt, Instant validUntil) {

    /** Checks the fields and copies the secret. */
    public SigningKey {
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(createdAt, "createdAt");
        secret = Objects.requireNonNull(secret, "secret").clone();
        if ((retiredAt == null) != (validUntil == null)) {
            throw new IllegalArgumentException("key " + kid + ": retiredAt and validUntil are set together");
        }
    }

    /** @return a copy of the key material */
    @Override
    public byte[] secret() {
        return secret.clone();
    }

    /** @return whether this key signs new tokens */
    public boolean active() {
        return retiredAt == null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigningKey k && kid.equals(k.kid) && Arrays.equals(secret, k.secret)
                && createdAt.equals(k.createdAt) && Objects.equals(retiredAt, k.retiredAt)
                && Objects.equals(validUntil, k.validUntil);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kid, createdAt, retiredAt, validUntil) * 31 + Arrays.hashCode(secret);
    }

    /** Never shows the key material. */
    @Override
    public String toString() {
        return "SigningKey[" + kid + ", created " + createdAt + (active() ? ", signing" : ", retired " + retiredAt
                + ", valid until " + validUntil) + "]";
    }
}
