package io.toka.http.internal;

import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.SessionService;
import io.toka.runtime.execution.ExecutionRecord;
import io.toka.runtime.execution.ExecutionResult;
import io.toka.runtime.execution.RuntimeManager;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import io.toka.tools.external.ExternalTools;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.servlet.Servlet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /watch}: one Server-Sent Events stream of the state an operator watches (the web console's source), so
 * that a client needs neither polling nor a request per change. For each topic the caller may read, an event named
 * after the topic carries the topic's whole current state: once when the stream opens, then whenever it changes
 * (looked at every {@link #TICK_MILLIS}). Topics and their permissions: {@code tools} (tool:read: the tools as
 * {@code GET /tools} describes them, and the manifest errors), {@code agents} (agent:read), {@code sessions}
 * (session:read) and {@code executions} (execution:read: the engines with their queues, the latest executions).
 * {@code ?topics=tools,agents} narrows the stream; a topic the caller may not read is left out and named in the
 * first event ({@code watch}), and a caller who may read none gets 403. The token is checked every tick: the stream
 * ends with an {@code error} event once it is revoked or expires.
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern("/watch")
@HttpWhiteboardServletName(WatchServlet.NAME)
public final class WatchServlet extends ApiServlet {

    static final String NAME = "toka-watch";
    static final long TICK_MILLIS = 1_000;
    /** The executions a state holds, newest first. */
    static final int EXECUTIONS = 50;
    /** An execution's error is cut to this many characters in the stream. */
    static final int ERROR_CHARS = 300;

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WatchServlet.class);

    /** What can be watched, with the permission each needs. */
    enum Topic {
        TOOLS(Permissions.TOOL_READ), AGENTS(AgentsServlet.READ), SESSIONS(AgentsServlet.SESSION_READ),
        EXECUTIONS(ExecutionsServlet.READ);

        final String permission;

        Topic(String permission) {
            this.permission = permission;
        }

        String id() {
            return name().toLowerCase();
        }
    }

    private final transient ToolRegistry registry;
    private final long tickMillis;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient ExternalTools externalTools;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient AgentService agents;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient SessionService sessions;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient RuntimeManager runtime;

    private final transient Router router = new Router().get("/watch", this::watch);

    @Activate
    public WatchServlet(@Reference ToolRegistry registry) {
        this(registry, TICK_MILLIS);
    }

    /** For tests: a shorter tick. */
    WatchServlet(ToolRegistry registry, long tickMillis) {
        this.registry = registry;
        this.tickMillis = tickMillis;
    }

    @Override
    Router router() {
        return router;
    }

    private void watch(Exchange x) throws IOException, Exchange.Rejected {
        SecurityContext caller = x.caller();
        Set<Topic> requested = topics(x.req.getParameter("topics"));
        List<Topic> allowed = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Topic t : requested) {
            if (caller.isPermitted(t.permission)) {
                allowed.add(t);
            } else {
                refused.add(t.id());
            }
        }
        if (allowed.isEmpty()) {
            // audited, and answers 403 naming the permission of the first topic asked for
            caller.authorize("watch", List.of(requested.iterator().next().permission));
            return;
        }
        caller.authorize("watch:" + String.join(",", allowed.stream().map(Topic::id).toList()),
                allowed.stream().map(t -> t.permission).toList());

        x.resp.setStatus(200);
        x.resp.setContentType("text/event-stream");
        x.resp.setHeader("Cache-Control", "no-store");
        x.resp.setHeader("X-Accel-Buffering", "no");
        OutputStream out = x.resp.getOutputStream();
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("topics", allowed.stream().map(Topic::id).toList());
        hello.put("refused", refused);
        hello.put("tickMillis", tickMillis);
        try {
            out.write((": toka watch\nretry: 2000\n\n").getBytes(StandardCharsets.UTF_8));
            send(out, "watch", mapper.writeValueAsString(hello));
            Map<Topic, String> sent = new EnumMap<>(Topic.class);
            long idleSince = System.currentTimeMillis();
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    caller.checkLive();
                } catch (TokenStateException revoked) {
                    send(out, "error", mapper.writeValueAsString(Map.of("error", revoked.getMessage())));
                    break;
                }
                for (Topic t : allowed) {
                    String json = mapper.writeValueAsString(state(t));
                    if (!json.equals(sent.get(t))) {
                        send(out, t.id(), json);
                        sent.put(t, json);
                        idleSince = System.currentTimeMillis();
                    }
                }
                if (System.currentTimeMillis() - idleSince >= EventStream.HEARTBEAT_MILLIS) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    idleSince = System.currentTimeMillis();
                }
                try {
                    Thread.sleep(tickMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } catch (IOException clientGone) {
            // the client disconnected: nothing to answer
        }
    }

    /** The topics of {@code ?topics=a,b}, every topic when absent. */
    static Set<Topic> topics(String param) throws Exchange.Rejected {
        Set<Topic> out = new LinkedHashSet<>();
        if (param == null || param.isBlank()) {
            out.addAll(List.of(Topic.values()));
            return out;
        }
        for (String name : param.split(",")) {
            String n = name.trim();
            Topic match = null;
            for (Topic t : Topic.values()) {
                if (t.id().equals(n)) {
                    match = t;
                }
            }
            if (match == null) {
                throw Exchange.Rejected.badRequest("unknown topic '" + n + "'; topics are "
                        + String.join(", ", List.of(Topic.values()).stream().map(Topic::id).toList()));
            }
            out.add(match);
        }
        return out;
    }

    /** A topic's current state; a service that fails or is absent makes the topic unavailable, not the stream. */
    Map<String, Object> state(Topic t) {
        try {
            return switch (t) {
                case TOOLS -> tools();
                case AGENTS -> agents();
                case SESSIONS -> sessions();
                case EXECUTIONS -> executions();
            };
        } catch (RuntimeException e) {
            LOG.debug("The {} state could not be read", t.id(), e);
            return unavailable("the " + t.id() + " could not be read just now");
        }
    }

    private Map<String, Object> tools() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", true);
        m.put("tools", registry.list().stream().map(tool -> ToolJson.describe(tool, mapper)).toList());
        ExternalTools external = externalTools;
        m.put("errors", external == null ? List.of() : external.errors().stream().map(ToolJson::error).toList());
        return m;
    }

    private Map<String, Object> agents() {
        AgentService a = agents;
        if (a == null) {
            return unavailable("agents are not installed (feature toka-agents)");
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (AgentConfig c : a.agents()) {
            list.add(AgentsServlet.describe(c, a.status(c.name())));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", true);
        m.put("agents", list);
        return m;
    }

    private Map<String, Object> sessions() {
        SessionService s = sessions;
        if (s == null) {
            return unavailable("sessions are not installed (feature toka-agents)");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", true);
        m.put("sessions", s.sessions());
        return m;
    }

    private Map<String, Object> executions() {
        RuntimeManager r = runtime;
        if (r == null) {
            return unavailable("the runtime manager is not installed");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", true);
        m.put("engines", r.engines());
        m.put("executions", r.history(EXECUTIONS).stream().map(WatchServlet::execution).toList());
        return m;
    }

    /** An execution without its output (which may be a megabyte): what a list shows. */
    private static Map<String, Object> execution(ExecutionRecord r) {
        ExecutionResult res = r.result();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", res.id());
        m.put("startedAt", r.startedAt().toString());
        m.put("subject", r.subject());
        m.put("model", r.model());
        m.put("target", r.target());
        m.put("success", res.success());
        m.put("exitCode", res.exitCode());
        m.put("durationMs", res.durationMs());
        m.put("engine", res.engine());
        String error = res.error();
        m.put("error", error == null || error.length() <= ERROR_CHARS ? error : error.substring(0, ERROR_CHARS) + "…");
        return m;
    }

    private static Map<String, Object> unavailable(String detail) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("available", false);
        m.put("detail", detail);
        return m;
    }

    private static void send(OutputStream out, String event, String json) throws IOException {
        out.write(("event: " + event + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
