package io.toka.security.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the token authority needs from configuration.
 *
 * @param dataDir where keys, revocations, the token ledger and the admin token live
 * @param clockSkew tolerance for {@code exp}, {@code iat} and {@code nbf}
 * @param defaultTtl lifetime of an issued token when the request names none
 * @param rotationInterval how old the signing key may get before it is rotated ({@code 0}: never on a schedule)
 * @param overlap how long a retired key keeps validating
 * @param maxDelegationDepth the longest delegation chain
 * @param defaultVault the vault of tokens issued by shell users
 * @param adminSubject the subject of the bootstrap admin token
 * @param writeAdminToken whether to keep {@code admin.token} in the data directory
 * @param rolePermissions JAAS role → permissions
 * @param cacheSize verified tokens kept to skip re-parsing
 */
record Settings(Path dataDir, Duration clockSkew, Duration defaultTtl, Duration rotationInterval, Duration overlap,
        int maxDelegationDepth, String defaultVault, String adminSubject, boolean writeAdminToken,
        Map<String, List<String>> rolePermissions, int cacheSize) {

    static Settings defaults(Path dataDir) {
        return new Settings(dataDir, Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofHours(24),
                Duration.ofHours(1), 5, "toka", "admin", true, roles(TokenAuthority.DEFAULT_ROLES), 10_000);
    }

    Settings withClockSkew(Duration skew) {
        return new Settings(dataDir, skew, defaultTtl, rotationInterval, overlap, maxDelegationDepth, defaultVault,
                adminSubject, writeAdminToken, rolePermissions, cacheSize);
    }

    Settings withRotation(Duration interval, Duration overlapTime) {
        return new Settings(dataDir, clockSkew, defaultTtl, interval, overlapTime, maxDelegationDepth, defaultVault,
                adminSubject, writeAdminToken, rolePermissions, cacheSize);
    }

    Settings withMaxDelegationDepth(int depth) {
        return new Settings(dataDir, clockSkew, defaultTtl, rotationInterval, overlap, depth, defaultVault,
                adminSubject, writeAdminToken, rolePermissions, cacheSize);
    }

    /**
     * Parses {@code role=perm1,perm2; role2=perm3} entries.
     *
     * @throws IllegalArgumentException naming a malformed entry
     */
    static Map<String, List<String>> roles(String entries) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String e : entries.split(";")) {
            if (e.isBlank()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("role mapping '" + e + "' is not role=permission[,permission...]");
            }
            List<String> perms = new ArrayList<>();
            for (String p : e.substring(eq + 1).split(",")) {
                if (!p.isBlank()) {
                    perms.add(p.trim());
                }
            }
            out.computeIfAbsent(e.substring(0, eq).trim(), k -> new ArrayList<>()).addAll(perms);
        }
        return out;
    }
}
