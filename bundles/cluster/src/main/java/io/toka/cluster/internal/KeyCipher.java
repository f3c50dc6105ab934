package io.toka.cluster.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts the signing keys stored in PostgreSQL with AES-256-GCM under a key derived from the cluster secret, the
 * key id as associated data: reading the database (a dump, a backup, a read-only role) does not give the keys that
 * sign tokens, and a row moved to another key id or altered fails to decrypt.
 */
final class KeyCipher {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    KeyCipher(byte[] aes256) {
        if (aes256.length != 32) {
            throw new IllegalArgumentException("an AES-256 key has 32 bytes, not " + aes256.length);
        }
        this.key = new SecretKeySpec(aes256, "AES");
    }

    /** @return nonce followed by ciphertext and tag */
    byte[] seal(String kid, byte[] secret) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(kid.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(secret);
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /**
     * @throws IllegalStateException if the value was sealed with another key (another cluster secret), for another
     *     key id, or altered
     */
    byte[] open(String kid, byte[] sealed) {
        if (sealed.length <= NONCE_BYTES) {
            throw new IllegalStateException("stored key " + kid + " is too short to be an encrypted key");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
            c.updateAAD(kid.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException("stored key " + kid + " cannot be decrypted: it was stored by a node with "
                    + "another cluster secret, or altered in the database");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }
}
