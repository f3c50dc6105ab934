package io.toka.mcp.internal;

import io.toka.runtime.registry.RegisteredTool;
import io.toka.runtime.registry.ToolProvider;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import io.toka.tool.ToolDescriptor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tools a caller may see: those whose {@code tool:invoke:<name>} and every required permission it holds
 * (checked with {@link SecurityContext#isPermitted}, which is not audited), sorted by name. A view depends only on
 * the token's permission list and the registry's state, so it is cached per permission list until the registry
 * reports a change ({@link #invalidate}); each tool's JSON is rendered once per descriptor, and a rendering is
 * dropped when its tool leaves the registry (no growth across deploy/remove cycles).
 */
final class ToolCatalog {

    /** Most cached views (distinct permission lists) before the cache starts over. */
    private static final int MAX_VIEWS = 1024;

    /**
     * What one caller sees.
     *
     * @param tools sorted by name
     * @param fingerprint what the client's tool list is made of; equal fingerprints list the same tools
     * @param generation the registry generation it was made at
     */
    record View(List<ToolJson.Rendered> tools, List<ToolDescriptor> fingerprint, long generation) {

        /** @return the index of the first tool named after {@code name} */
        int indexAfter(String name) {
            int lo = 0;
            int hi = tools.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (tools.get(mid).name().compareTo(name) <= 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        /** @return the tool with that name, or {@code null} */
        ToolJson.Rendered find(String name) {
            int i = indexAfter(name) - 1;
            return i >= 0 && tools.get(i).name().equals(name) ? tools.get(i) : null;
        }
    }

    /** The provider named in the {@code _meta} of server tools. */
    private static final ToolProvider SERVER = new ToolProvider(0, 0, 0, "io.toka.mcp", "");

    private final ToolRegistry registry;
    private final ServerToolSet serverTools;
    private final AtomicLong generation = new AtomicLong();
    private final Map<List<String>, View> views = new ConcurrentHashMap<>();
    private final Map<String, ToolJson.Rendered> rendered = new ConcurrentHashMap<>();
    /** Orders a pruning {@link #invalidate} against a rendering made from an older registry state. */
    private final Object renderLock = new Object();

    ToolCatalog(ToolRegistry registry) {
        this(registry, new ServerToolSet());
    }

    ToolCatalog(ToolRegistry registry, ServerToolSet serverTools) {
        this.registry = registry;
        this.serverTools = serverTools;
    }

    /** The registry changed: every view is recomputed on its next use; renderings of removed tools are dropped. */
    void invalidate() {
        synchronized (renderLock) {
            generation.incrementAndGet();
            views.clear();
            Set<String> names = new HashSet<>(registry.names());
            serverTools.all().forEach(t -> names.add(t.descriptor().name()));
            rendered.keySet().retainAll(names);
        }
    }

    /** @return how many tool renderings are kept */
    int renderedCount() {
        return rendered.size();
    }

    /**
     * @return the caller's view
     * @throws io.toka.security.TokenStateException if the caller's token is not usable
     */
    View view(SecurityContext caller) {
        caller.checkLive();
        List<String> key = caller.token().map(TokenClaims::permissions).orElse(null);
        long g = generation.get();
        if (key != null) {
            View cached = views.get(key);
            if (cached != null && cached.generation() == g) {
                return cached;
            }
        }
        View v = compute(caller, g);
        // isPermitted answers false for a token that stopped being usable meanwhile: such a view is not cached
        caller.checkLive();
        if (key != null && generation.get() == g) {
            if (views.size() >= MAX_VIEWS) {
                views.clear();
            }
            views.put(key, v);
        }
        return v;
    }

    private View compute(SecurityContext caller, long g) {
        List<ToolJson.Rendered> tools = new ArrayList<>();
        List<ToolDescriptor> fingerprint = new ArrayList<>();
        Set<String> own = new HashSet<>();
        for (ServerTool t : serverTools.all()) {
            own.add(t.descriptor().name());
            if (!t.visible(caller)) {
                continue;
            }
            ToolJson.Rendered r = rendered(new RegisteredTool(t.descriptor(), SERVER, List.of()), g);
            if (r != null) {
                tools.add(r);
                fingerprint.add(t.descriptor());
            }
        }
        for (RegisteredTool t : registry.list()) {
            // a server tool's name is its own: a registry tool of the same name is not reachable over MCP
            if (own.contains(t.name()) || !visible(caller, t.descriptor())) {
                continue;
            }
            ToolJson.Rendered r = rendered(t, g);
            if (r != null) {
                tools.add(r);
                fingerprint.add(t.descriptor());
            }
        }
        tools.sort((a, b) -> a.name().compareTo(b.name()));
        fingerprint.sort((a, b) -> a.name().compareTo(b.name()));
        return new View(Collections.unmodifiableList(tools), List.copyOf(fingerprint), g);
    }

    private ToolJson.Rendered rendered(RegisteredTool t, long g) {
        ToolJson.Rendered r = rendered.get(t.name());
        if (r != null && r.renders(t)) {
            return r;
        }
        r = ToolJson.render(t);
        if (r != null) {
            synchronized (renderLock) {
                // a tool listed before a change may be gone: only a rendering of the current state is kept
                if (generation.get() == g) {
                    rendered.put(t.name(), r);
                }
            }
        }
        return r;
    }

    /** @return whether the caller holds {@code tool:invoke:<name>} and every permission the tool requires */
    static boolean visible(SecurityContext caller, ToolDescriptor d) {
        if (!caller.isPermitted(Permissions.toolInvoke(d.name()))) {
            return false;
        }
        for (String p : d.requiredPermissions()) {
            if (!caller.isPermitted(p)) {
                return false;
            }
        }
        return true;
    }
}
