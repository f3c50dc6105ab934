package io.toka.cluster.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What the cluster derives from its shared secret, each with its own label (HMAC-SHA256 of the label under the
 * secret), so that one derived value never reveals the secret or another:
 * <ul>
 * <li>the Hazelcast cluster name, {@code <clusterName>-<24 hex>}: Hazelcast refuses a join request whose cluster name
 * differs, so a node without the secret never joins. It travels in clear in join messages (no TLS in Community).</li>
 * <li>the key that signs each member's card in the cluster view (never sent);</li>
 * <li>the key that encrypts the signing keys stored in PostgreSQL (never sent);</li>
 * <li>the key that encrypts the tokens of durable runs and sessions stored in PostgreSQL (never sent).</li>
 * </ul>
 */
final class ClusterSecrets {

    private final String hazelcastClusterName;
    private final byte[] cardKey;
    private final byte[] keyEncryptionKey;
    private final byte[] runTokenKey;

    ClusterSecrets(String clusterName, String secret) {
        byte[] s = secret.getBytes(StandardCharsets.UTF_8);
        this.hazelcastClusterName = clusterName + "-"
                + HexFormat.of().formatHex(hmac(s, "toka cluster join v1 " + clusterName), 0, 12);
        this.cardKey = hmac(s, "toka member card v1 " + clusterName);
        this.keyEncryptionKey = hmac(s, "toka signing key encryption v1");
        this.runTokenKey = hmac(s, "toka run token encryption v1");
    }

    /** @return the name Hazelcast compares at join */
    String hazelcastClusterName() {
        return hazelcastClusterName;
    }

    /** @return the AES-256 key for the signing keys at rest */
    byte[] keyEncryptionKey() {
        return keyEncryptionKey.clone();
    }

    /** @return the AES-256 key for the runs' and sessions' tokens at rest */
    byte[] runTokenKey() {
        return runTokenKey.clone();
    }

    /** @return the HMAC-SHA256 of the text under the card key, hex */
    String sign(String text) {
        return HexFormat.of().formatHex(hmac(cardKey, text));
    }

    /** @return whether the signature is this cluster's signature of the text (constant time) */
    boolean verify(String text, String signature) {
        if (signature == null) {
            return false;
        }
        return MessageDigest.isEqual(sign(text).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
