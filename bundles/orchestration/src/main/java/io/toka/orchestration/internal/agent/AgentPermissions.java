package io.toka.orchestration.internal.agent;

import io.toka.runtime.registry.RegisteredTool;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How an agent's {@code capabilities_required} become the permissions of its token, and which tools it is offered.
 *
 * <p>Each capability is normalised the way tools-external reads manifests: a name that contains a colon is a
 * permission already ({@code filesystem:read}); otherwise the first dash becomes a colon ({@code filesystem-read} →
 * {@code filesystem:read}, {@code build-system-x} → {@code build:system-x}); a name without either is a one-part
 * permission ({@code analysis}). The token holds all of them, and the caller must hold all of them or the run fails.
 *
 * <p>On top, the token gets {@code tool:invoke:<tool>} for every registered tool whose required permissions are all
 * implied by the capabilities (a tool that requires nothing qualifies) and that the caller may invoke itself. Tool
 * grants are intersected with the caller's rights rather than demanded, so a caller that lacks
 * {@code tool:invoke:date-validator} still runs the agent, which is simply not offered that tool.
 */
final class AgentPermissions {

    /** Define, replace or remove an agent configuration. */
    static final String DEFINE = "agent:define";
    /** Run an agent (and pause, resume or stop its run). */
    static final String RUN = "agent:run";

    private AgentPermissions() {
    }

    /** @return the permission a capability name stands for */
    static String normalise(String capability) {
        String c = capability.trim();
        if (c.contains(":")) {
            return c;
        }
        int dash = c.indexOf('-');
        return dash < 0 ? c : c.substring(0, dash) + ":" + c.substring(dash + 1);
    }

    /** @return the normalised capabilities, in order, without blanks or duplicates */
    static List<String> capabilities(Collection<String> capabilitiesRequired) {
        Set<String> out = new LinkedHashSet<>();
        for (String c : capabilitiesRequired) {
            if (c != null && !c.isBlank()) {
                out.add(normalise(c));
            }
        }
        return List.copyOf(out);
    }

    /**
     * @return the permissions to delegate: the capabilities, then {@code tool:invoke:<tool>} for each tool they
     *     cover and the caller may invoke
     */
    static List<String> delegated(List<String> capabilities, List<RegisteredTool> tools, SecurityContext caller) {
        List<String> out = new ArrayList<>(capabilities);
        for (RegisteredTool t : tools) {
            String invoke = Permissions.toolInvoke(t.name());
            boolean covered = t.descriptor().requiredPermissions().stream()
                    .allMatch(p -> capabilities.stream().anyMatch(c -> implies(c, p)));
            if (covered && caller.isPermitted(invoke)) {
                out.add(invoke);
            }
        }
        return out;
    }

    /** @return whether the agent may call the tool: it holds {@code tool:invoke:<name>} and every required permission */
    static boolean mayCall(SecurityContext agent, RegisteredTool tool) {
        if (!agent.isPermitted(Permissions.toolInvoke(tool.name()))) {
            return false;
        }
        for (String p : tool.descriptor().requiredPermissions()) {
            if (!agent.isPermitted(p)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Shiro wildcard semantics, enough to decide which tools a set of capabilities covers before a token exists:
     * parts split on ':', each part a comma-separated set or '*', and a shorter permission implies every longer one
     * it prefixes. The token's own checks (Shiro itself) remain the authority at call time.
     */
    static boolean implies(String held, String wanted) {
        String[] h = held.split(":", -1);
        String[] w = wanted.split(":", -1);
        for (int i = 0; i < h.length; i++) {
            Set<String> part = Set.of(h[i].trim().toLowerCase(java.util.Locale.ROOT).split(","));
            if (part.contains("*")) {
                continue;
            }
            if (i >= w.length) {
                return false;
            }
            for (String x : w[i].trim().toLowerCase(java.util.Locale.ROOT).split(",")) {
                if (!part.contains(x)) {
                    return false;
                }
            }
        }
        return true;
    }
}
