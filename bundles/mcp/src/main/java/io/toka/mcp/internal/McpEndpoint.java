package io.toka.mcp.internal;

import io.toka.event.EventBus;
import io.toka.event.EventStore;
import io.toka.mcp.McpSessionInfo;
import io.toka.mcp.McpSessions;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.ToolRegistryListener;
import io.toka.security.AuditLog;
import io.toka.security.RateLimiter;
import io.toka.security.TokenService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import javax.servlet.Servlet;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.http.whiteboard.HttpWhiteboardConstants;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP endpoint's component. The endpoint's path comes from configuration, so its servlets are registered
 * here, with whiteboard properties built from it, rather than declared: a configuration change reactivates the
 * component, which unregisters everything and registers it again at the new path; a disabled endpoint registers
 * no servlet (its path answers 404) but still offers {@link McpSessions} (with no sessions). The tool-list change
 * listener is registered with the servlets.
 */
@Component(service = McpSessions.class, configurationPid = McpConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true)
@Designate(ocd = McpConfig.class)
public final class McpEndpoint implements McpSessions {

    static final String SERVLET_NAME = "toka-mcp";
    static final String METADATA_SERVLET_NAME = "toka-mcp-resource-metadata";

    private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);

    private final McpServer server;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Activate
    public McpEndpoint(BundleContext context, McpConfig config, @Reference TokenService tokens,
            @Reference RateLimiter limiter, @Reference AuditLog audit, @Reference ToolRegistry registry,
            @Reference EventStore events, @Reference EventBus bus) {
        McpSettings settings = McpSettings.from(config);
        String version = context.getBundle().getHeaders().get("Toka-Version");
        this.server = new McpServer(settings, tokens, limiter, audit, registry, events, bus,
                version == null ? context.getBundle().getVersion().toString() : version, Clock.systemUTC(), true);
        if (!settings.enabled()) {
            LOG.info("MCP endpoint disabled (enabled = false in {})", McpConfig.PID);
            return;
        }
        try {
            registrations.add(context.registerService(Servlet.class, server.servlet(),
                    servletProperties(SERVLET_NAME, settings.path())));
            registrations.add(context.registerService(Servlet.class, server.resourceMetadata(),
                    servletProperties(METADATA_SERVLET_NAME, ResourceMetadata.WELL_KNOWN,
                            ResourceMetadata.WELL_KNOWN + settings.path())));
            registrations.add(context.registerService(ToolRegistryListener.class, server.listener(), null));
        } catch (RuntimeException e) {
            deactivate();
            throw e;
        }
        LOG.info("MCP endpoint at {} (protocol versions {})", settings.path(),
                settings.versions().stream().sorted().map(Revision::wire).toList());
    }

    private static Dictionary<String, Object> servletProperties(String name, String... patterns) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_NAME, name);
        p.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_PATTERN, patterns);
        p.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_ASYNC_SUPPORTED, Boolean.TRUE);
        p.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_CONTEXT_SELECT,
                "(" + HttpWhiteboardConstants.HTTP_WHITEBOARD_CONTEXT_NAME + "="
                        + HttpWhiteboardConstants.HTTP_WHITEBOARD_DEFAULT_CONTEXT_NAME + ")");
        return p;
    }

    /** Server tools (the agent tools) come and go with the services they front. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addServerTools(ServerTools source) {
        server.addServerTools(source);
    }

    void removeServerTools(ServerTools source) {
        server.removeServerTools(source);
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework is stopping the bundle
            }
        }
        registrations.clear();
        server.close();
    }

    @Override
    public List<McpSessionInfo> list() {
        return server.list();
    }

    @Override
    public boolean close(String sessionId) {
        return server.close(sessionId);
    }
}
