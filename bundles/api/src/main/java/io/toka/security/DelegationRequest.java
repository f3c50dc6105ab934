package io.toka.security;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A request to narrow the caller's own token into a child token.
 *
 * @param subject who will hold the child, or {@code null} for the caller itself
 * @param permissions the child's permissions; each must be implied by one of the parent's
 * @param ttl how long the child lives, or {@code null} to expire with the parent; never past the parent
 * @param windows UTC windows {@code HH:MM-HH:MM} the child is limited to (empty: no new window limit)
 * @param days ISO weekdays (1 = Monday … 7 = Sunday) the child is limited to (empty: no new day limit)
 */
public record DelegationRequest(String subject, List<String> permissions, Duration ttl, List<String> windows,
        Set<Integer> days) {

    /** Copies the collections. */
    public DelegationRequest {
        permissions = permissions == null ? List.of() : List.copyOf(permissions);
        windows = windows == null ? List.of() : List.copyOf(windows);
        days = days == null ? Set.of() : Set.copyOf(days);
    }
}
