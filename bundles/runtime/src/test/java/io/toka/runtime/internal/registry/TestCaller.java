package io.toka.runtime.internal.registry;

import io.toka.security.AccessDeniedException;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import io.toka.security.TokenStateException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A caller for registry tests with a fixed set of grants: {@code *}, exact permissions, or {@code prefix:*}. It
 * remembers every authorization decision so tests can assert on them.
 */
public final class TestCaller implements SecurityContext {

    public final String subject;
    public final Set<String> grants;
    public final List<String> decisions = new CopyOnWriteArrayList<>();
    /** Set to make the caller's token unusable from now on, as a revocation would. */
    public volatile TokenStateException dead;

    public TestCaller(String subject, String... grants) {
        this.subject = subject;
        this.grants = Set.of(grants);
    }

    public static TestCaller all(String subject) {
        return new TestCaller(subject, "*");
    }

    @Override
    public String subject() {
        return subject;
    }

    @Override
    public Optional<TokenClaims> token() {
        return Optional.empty();
    }

    @Override
    public void checkLive() {
        TokenStateException d = dead;
        if (d != null) {
            throw d;
        }
    }

    @Override
    public boolean isPermitted(String permission) {
        if (dead != null) {
            return false;
        }
        for (String g : grants) {
            if (g.equals("*") || g.equals(permission)
                    || (g.endsWith(":*") && permission.startsWith(g.substring(0, g.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void authorize(String action, Collection<String> permissions) {
        if (dead != null) {
            decisions.add("denied " + action + " " + dead.getMessage());
            throw dead;
        }
        for (String p : permissions) {
            if (!isPermitted(p)) {
                decisions.add("denied " + action + " " + p);
                throw new AccessDeniedException(p, "permission '" + p + "' is required for " + action);
            }
        }
        decisions.add("allowed " + action);
    }
}
