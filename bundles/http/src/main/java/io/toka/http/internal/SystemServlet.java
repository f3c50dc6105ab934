package io.toka.http.internal;

import io.toka.health.Health;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxLauncher;
import io.toka.security.AuthenticationException;
import io.toka.security.Permissions;
import io.toka.security.TokenService;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.servlet.Servlet;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /health} and the Kubernetes-style probes {@code GET /health/live} and {@code GET /health/ready}, open to
 * anyone, and the answer for every path no other area serves: a 404 problem (after the
 * {@link ApiContext} has asked for a token, so that an anonymous caller learns nothing about the paths).
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern({"/health", "/*"})
@HttpWhiteboardServletName(SystemServlet.NAME)
public final class SystemServlet extends ApiServlet {

    static final String NAME = "toka-system";

    private static final long serialVersionUID = 1L;

    private final transient ToolRegistry registry;
    private final transient TokenService tokens;
    private final String version;

    /** {@code null} while the sandbox bundle is not installed. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient SandboxLauncher sandbox;

    /** {@code null} while the health bundle is not active: then live answers UP and ready DOWN. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient Health checks;

    private final transient Router router = new Router().get("/health", this::health)
            .get("/health/live", x -> probe(x, true)).get("/health/ready", x -> probe(x, false));

    @Activate
    public SystemServlet(BundleContext context, @Reference ToolRegistry registry, @Reference TokenService tokens) {
        this(version(context), registry, tokens);
    }

    SystemServlet(String version, ToolRegistry registry, TokenService tokens) {
        this.version = version;
        this.registry = registry;
        this.tokens = tokens;
    }

    /** The Maven version ({@code Toka-Version}, e.g. 0.1.0-SNAPSHOT), which Bundle-Version cannot spell. */
    private static String version(BundleContext context) {
        String v = context.getBundle().getHeaders("").get("Toka-Version");
        return v != null ? v : context.getBundle().getVersion().toString();
    }

    @Override
    Router router() {
        return router;
    }

    /**
     * Health: {@code {"status"}} for anyone, so that probes need no token. The details (version, uptime, tool count,
     * the sandbox's state and its notes, which name host paths and errors) need a token with {@code system:read}; a
     * caller without it, or with a bad token, gets the same short answer as an anonymous one.
     */
    private void health(Exchange x) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "UP");
        if (!mayReadSystem(x)) {
            x.json(200, body);
            return;
        }
        body.put("version", version);
        body.put("uptimeSeconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
        body.put("tools", registry.names().size());
        SandboxLauncher launcher = sandbox;
        if (launcher != null) {
            Isolation iso = launcher.isolation();
            Map<String, Object> sb = new LinkedHashMap<>();
            sb.put("level", iso.level().name());
            sb.put("namespaces", iso.namespaces());
            sb.put("network", iso.network());
            sb.put("rlimits", iso.rlimits());
            sb.put("cgroup", iso.cgroup());
            sb.put("notes", iso.notes());
            body.put("sandbox", sb);
        } else {
            body.put("sandbox", Map.of("level", "NONE", "notes", List.of("the sandbox bundle is not installed")));
        }
        x.json(200, body);
    }

    /**
     * A probe: 200 {@code {"status":"UP"}} or 503 {@code {"status":"DOWN"}}, for anyone (a probe has no token). A
     * caller with {@code system:read} also gets {@code checks}: each check's name, status, warning and message, so
     * that it can tell which check fails. Anyone else learns the status alone: no check names, versions or paths.
     *
     * <p>Liveness without the health bundle is UP (this answer shows the process serves requests); readiness without
     * it is DOWN, since nothing has checked the store, the sandbox or the registry.
     */
    private void probe(Exchange x, boolean live) throws IOException {
        Health h = checks;
        Health.Report report;
        if (h != null) {
            report = live ? h.live() : h.ready();
        } else if (live) {
            report = new Health.Report(Health.Status.UP, List.of());
        } else {
            report = new Health.Report(Health.Status.DOWN, List.of(new Health.Check("health", Health.Status.DOWN,
                    false, "the health bundle (io.toka.health) is not active: nothing checks readiness")));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", report.status().name());
        if (mayReadSystem(x)) {
            List<Map<String, Object>> list = new java.util.ArrayList<>();
            for (Health.Check c : report.checks()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", c.name());
                m.put("status", c.status().name());
                if (c.warning()) {
                    m.put("warning", true);
                }
                m.put("message", c.message());
                list.add(m);
            }
            body.put("checks", list);
            body.put("failing", report.failing());
        }
        x.json(report.up() ? 200 : 503, body);
    }

    /** Whether the request carries a usable token with {@code system:read}; refusals are audited by the token service. */
    private boolean mayReadSystem(Exchange x) {
        String raw = ApiContext.bearer(x.req);
        if (raw == null) {
            return false;
        }
        try {
            return tokens.authenticate(raw).isPermitted(Permissions.SYSTEM_READ);
        } catch (AuthenticationException e) {
            return false;
        }
    }
}
