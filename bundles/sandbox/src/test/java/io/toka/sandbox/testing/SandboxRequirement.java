package io.toka.sandbox.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.toka.sandbox.Isolation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The tests that need real bubblewrap namespaces skip without them, with the reason and the way out, unless
 * {@code TOKA_SANDBOX_REQUIRED=1} (CI sets it): then they fail, so a CI host without a sandbox cannot pass green.
 * Published in the sandbox module's test-jar for every module whose tests run code in the sandbox.
 */
public final class SandboxRequirement {

    private SandboxRequirement() {
    }

    /**
     * Returns if the launcher's bubblewrap creates namespaces; otherwise aborts (skips) the calling test, or fails it
     * when the sandbox is required.
     *
     * @param isolation what the launcher under test found on this host
     */
    public static void assumeNamespaces(Isolation isolation) {
        if (isolation.namespaces()) {
            return;
        }
        String why = isolation.notes().isEmpty() ? "isolation level " + isolation.level() : isolation.notes().get(0);
        // the launchers under test use the default path
        String fix = Files.isExecutable(Path.of("/usr/bin/bwrap"))
                ? "It is installed but may not create namespaces: allow unprivileged user namespaces"
                        + " (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ also"
                        + " sysctl kernel.apparmor_restrict_unprivileged_userns=0),"
                        + " or run in a container that permits them"
                : "Install it: apt-get install bubblewrap (as root; the package is called bubblewrap on other"
                        + " distributions too)";
        if ("1".equals(System.getenv("TOKA_SANDBOX_REQUIRED"))) {
            fail("the sandbox is required (TOKA_SANDBOX_REQUIRED=1) but bubblewrap does not work here: " + why
                    + ". " + fix + ".");
        }
        Assumptions.abort("bubblewrap does not work here: " + why + ". " + fix
                + ". TOKA_SANDBOX_REQUIRED=1 turns this skip into a failure.");
    }
}
