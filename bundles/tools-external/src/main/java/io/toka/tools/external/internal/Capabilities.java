package io.toka.tools.external.internal;

import java.util.regex.Pattern;

/**
 * Turns the original's capability names into Shiro-style permissions. The original named capabilities with
 * dashes ({@code filesystem-read}, {@code process-spawn}, {@code network-access}); Toka permissions use colons
 * between parts ({@code filesystem:read}). The first dash becomes a colon and the rest is kept
 * ({@code system-monitoring} → {@code system:monitoring}, {@code build-system-x} → {@code build:system-x}); a name
 * that already contains a colon is a permission already and is kept as written; a name without a dash or colon
 * ({@code visualization}) is a one-part permission.
 */
final class Capabilities {

    /** Letters, digits, dashes, underscores, colons, commas and {@code *}, as in Shiro wildcard permissions. */
    static final Pattern VALID = Pattern.compile("[A-Za-z0-9*][A-Za-z0-9_*,:-]*");

    private Capabilities() {
    }

    /**
     * @param capability a capability name from a manifest, already checked against {@link #VALID}
     * @return the permission a caller must hold
     */
    static String toPermission(String capability) {
        if (capability.contains(":")) {
            return capability;
        }
        int dash = capability.indexOf('-');
        return dash < 0 ? capability : capability.substring(0, dash) + ":" + capability.substring(dash + 1);
    }
}
