package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.servlet.http.HttpServlet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP server, assembled from its parts for one configuration: the servlets, the sessions, the tool catalog, the
 * method areas and one scheduler thread (stream watch, session expiry, list-change fanout). The protocol areas are
 * listed here, in one place.
 */
final class McpServer implements McpSessions, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(McpServer.class);

    private final ScheduledExecutorService scheduler;
    private final SessionRegistry sessions;
    private final SubscriptionsArea subscriptions;
    private final ListChangeFanout fanout;
    private final StreamMonitor monitor = new StreamMonitor();
    private final InFlight inFlight = new InFlight();
    private final McpServlet servlet;
    private final ResourceMetadata resourceMetadata;
    private final ResourceWatch resourceWatch;
    private final ServerToolSet serverTools = new ServerToolSet();
    private final SseWriters writers = new SseWriters(SseWriters.DEFAULT_CAPACITY);

    McpServer(McpSettings settings, TokenService tokens, RateLimiter limiter, AuditLog audit, ToolRegistry registry,
            EventStore events, EventBus bus, String version, Clock clock, boolean schedule) {
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "toka-mcp");
            t.setDaemon(true);
            return t;
        });
        ObjectNode serverInfo = Meta.serverInfo(version);
        ProtocolVersions versions = new ProtocolVersions(settings.versions());
        Answers answers = new Answers(settings.maxBodyBytes());
        OriginGuard guard = new OriginGuard(settings.allowedOrigins());
        this.sessions = new SessionRegistry(settings.sessionIdle(), settings.maxSessionsPerSubject(), clock);
        ToolCatalog catalog = new ToolCatalog(registry, serverTools);
        this.subscriptions = new SubscriptionsArea(catalog, monitor, serverInfo, writers);
        List<McpArea> areas = List.of(
                new LifecycleArea(versions, sessions, serverInfo, s -> {
                    s.toolsSeen(catalog.view(s.caller()).fingerprint());
                    monitor.watch(s.stream, s.caller(), () -> sessions.close(s.id));
                }),
                new ToolsArea(registry, serverTools, catalog, inFlight, settings.pageSize(),
                        settings.listTtl().toMillis()),
                new LoggingArea(),
                new CancellationArea(inFlight),
                new ResourcesArea(new EventResource(events), settings.listTtl().toMillis()),
                subscriptions);
        MethodTable table = new MethodTable(areas);
        Dispatcher dispatcher = new Dispatcher(table, serverInfo);
        this.fanout = new ListChangeFanout(catalog, sessions, subscriptions, scheduler);
        this.resourceWatch = new ResourceWatch(sessions, subscriptions, scheduler);
        resourceWatch.start(bus);
        this.servlet = new McpServlet(guard, new Authenticator(tokens, limiter, audit, answers), answers,
                new PostHandler(answers, versions, sessions, dispatcher, monitor, settings.maxBodyBytes()),
                new StreamRequests(answers, versions, sessions, writers));
        this.resourceMetadata = new ResourceMetadata(settings.path(), guard, answers);
        if (schedule) {
            scheduler.scheduleWithFixedDelay(this::watch, 1, 1, TimeUnit.SECONDS);
            long sweep = Math.max(1, Math.min(30, settings.sessionIdle().toSeconds() / 4));
            scheduler.scheduleWithFixedDelay(sessions::sweep, sweep, sweep, TimeUnit.SECONDS);
        }
    }

    private void watch() {
        try {
            monitor.tick();
        } catch (RuntimeException e) {
            LOG.warn("Watching the MCP streams failed", e);
        }
    }

    HttpServlet servlet() {
        return servlet;
    }

    HttpServlet resourceMetadata() {
        return resourceMetadata;
    }

    ToolRegistryListener listener() {
        return fanout;
    }

    /** A source of server tools came (the service it fronts is there): clients are told their tools changed. */
    void addServerTools(ServerTools source) {
        serverTools.add(source);
        fanout.toolsChanged(names(source));
    }

    void removeServerTools(ServerTools source) {
        serverTools.remove(source);
        fanout.toolsChanged(names(source));
    }

    private static java.util.Set<String> names(ServerTools source) {
        java.util.Set<String> names = new java.util.HashSet<>();
        source.tools().forEach(t -> names.add(t.descriptor().name()));
        return names;
    }

    SessionRegistry sessions() {
        return sessions;
    }

    StreamMonitor monitor() {
        return monitor;
    }

    InFlight inFlight() {
        return inFlight;
    }

    @Override
    public List<McpSessionInfo> list() {
        return sessions.list();
    }

    @Override
    public boolean close(String sessionId) {
        return sessions.close(sessionId);
    }

    /** Ends every session and subscription (subscriptions with their final result) and stops the scheduler. */
    @Override
    public void close() {
        resourceWatch.close();
        scheduler.shutdownNow();
        subscriptions.closeAll();
        sessions.closeAll();
        writers.close();
    }
}
