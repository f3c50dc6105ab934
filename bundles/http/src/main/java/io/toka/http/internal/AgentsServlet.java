package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.event.EventBus;
import io.toka.event.EventStore;
import io.toka.llm.LlmGateway;
import io.toka.orchestration.AgentConfig;
import io.toka.orchestration.AgentConfigException;
import io.toka.orchestration.AgentService;
import io.toka.orchestration.AgentStatus;
import io.toka.orchestration.SessionService;
import io.toka.orchestration.SessionStatus;
import io.toka.security.SecurityContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

/**
 * Agents and sessions: {@code /status}, {@code /agents}, {@code /agents/{name}} with {@code run}, {@code pause},
 * {@code resume}, {@code terminate}, {@code tasks} (the running task and the kernel's queue) and {@code events}
 * (Server-Sent Events of the agent's progress), and
 * {@code /sessions}. Permissions: {@code agent:read}, {@code agent:define}, {@code agent:run}, {@code session:run},
 * {@code session:read}. While the agent or the session service is absent (feature {@code toka-agents}), every
 * request here is 404; the LLM gateway is optional (it re-registers whenever its configuration changes) and only
 * adds the provider and usage to {@code /status}.
 */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern({"/status", "/agents", "/agents/*", "/sessions", "/sessions/*"})
@HttpWhiteboardServletName(AgentsServlet.NAME)
public final class AgentsServlet extends ApiServlet {

    static final String NAME = "toka-agents";
    static final String READ = "agent:read";
    static final String DEFINE = "agent:define";
    static final String RUN = "agent:run";
    static final String SESSION_RUN = "session:run";
    static final String SESSION_READ = "session:read";
    /** An agent YAML may be large (objectives, tasks, directives). */
    static final int MAX_BODY_BYTES = 256 * 1024;

    private static final long serialVersionUID = 1L;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient AgentService agents;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient SessionService sessions;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient LlmGateway llm;

    private final transient EventStream events;

    private final transient Router router = new Router()
            .get("/status", this::status)
            .get("/agents", this::list)
            .post("/agents", this::define)
            .get("/agents/{name}", this::read)
            .delete("/agents/{name}", this::remove)
            .get("/agents/{name}/events", this::agentEvents)
            .get("/agents/{name}/tasks", this::agentTasks)
            .post("/agents/{name}/run", x -> control(x, "run"))
            .post("/agents/{name}/pause", x -> control(x, "pause"))
            .post("/agents/{name}/resume", x -> control(x, "resume"))
            .post("/agents/{name}/terminate", x -> control(x, "terminate"))
            .get("/sessions", this::listSessions)
            .post("/sessions", this::startSession)
            .get("/sessions/{id}", this::readSession);

    @Activate
    public AgentsServlet(@Reference EventStore store, @Reference EventBus bus) {
        this.events = new EventStream(store, bus, mapper);
    }

    @Override
    Router router() {
        return router;
    }

    @Override
    void checkAvailable() throws Exchange.Rejected {
        agents();
        sessions();
    }

    /** The agent service, read once per use. */
    private AgentService agents() throws Exchange.Rejected {
        AgentService a = agents;
        if (a == null) {
            throw notInstalled();
        }
        return a;
    }

    private SessionService sessions() throws Exchange.Rejected {
        SessionService s = sessions;
        if (s == null) {
            throw notInstalled();
        }
        return s;
    }

    private static Exchange.Rejected notInstalled() {
        return new Exchange.Rejected(Problem.notFound("agents are not installed (feature toka-agents)"));
    }

    private void status(Exchange x) throws IOException, Exchange.Rejected {
        x.caller().authorize("agent.status", List.of(READ));
        x.json(200, statusBody(agents(), sessions(), llm));
    }

    private static Map<String, Object> statusBody(AgentService agents, SessionService sessions, LlmGateway llm) {
        Map<String, Object> body = new LinkedHashMap<>();
        List<AgentStatus> statuses = agents.statuses();
        body.put("agents", agents.agents().size());
        body.put("running", statuses.stream().filter(s -> s.state() == AgentStatus.State.RUNNING
                || s.state() == AgentStatus.State.PAUSED).count());
        List<SessionStatus> all = sessions.sessions();
        body.put("sessions", all.size());
        if (!all.isEmpty()) {
            SessionStatus latest = all.get(all.size() - 1);
            // the original orchestration service's /status keys
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("session_id", latest.id());
            s.put("current_phase", latest.phase());
            s.put("progress", latest.progress());
            s.put("completed", latest.finishedAt() != null);
            s.put("error", latest.error());
            s.put("spawned_agents", latest.summary().size());
            body.put("session", s);
        }
        if (llm != null) {
            LlmGateway.ProviderInfo p = llm.provider();
            body.put("llm", Map.of("provider", p.name(), "model", p.model(), "baseUrl", p.baseUrl()));
            body.put("usage", llm.usage());
            body.put("llmMetrics", llm.metrics());
        }
        return body;
    }

    private void list(Exchange x) throws IOException, Exchange.Rejected {
        x.caller().authorize("agent.list", List.of(READ));
        AgentService agents = agents();
        List<Map<String, Object>> out = new ArrayList<>();
        for (AgentConfig c : agents.agents()) {
            out.add(describe(c, agents.status(c.name())));
        }
        x.json(200, Map.of("agents", out));
    }

    private void read(Exchange x) throws IOException, Exchange.Rejected {
        String name = x.param("name");
        x.caller().authorize("agent.read:" + name, List.of(READ));
        AgentService agents = agents();
        Optional<AgentConfig> config = agents.agent(name);
        Optional<AgentStatus> status = agents.status(name);
        if (config.isEmpty() && status.isPresent()) {
            // a run of an agent that is not defined (any more): a child spawned from a full configuration, or a run
            // resumed after a restart for an agent defined through the API before it
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("defined", false);
            body.put("status", status.get());
            x.json(200, body);
        } else if (config.isEmpty()) {
            x.problem(Problem.notFound("unknown agent '" + name + "'"));
        } else {
            Map<String, Object> body = describe(config.get(), status);
            body.put("config", config.get());
            x.json(200, body);
        }
    }

    private void remove(Exchange x) throws IOException, Exchange.Rejected {
        String name = x.param("name");
        SecurityContext caller = x.caller();
        caller.authorize("agent.remove:" + name, List.of(DEFINE));
        AgentService agents = agents();
        Optional<AgentConfig> config = agents.agent(name);
        if (config.isEmpty()) {
            x.problem(Problem.notFound("unknown agent '" + name + "'"));
        } else if (!agents.remove(name, caller)) {
            x.problem(new Problem(409, "urn:toka:problem:conflict", "Conflict", "agent '" + name
                    + "' is defined by " + config.get().source() + "; delete or edit that file instead"));
        } else {
            x.resp.setStatus(204);
        }
    }

    /** The agent's running task and the tasks queued for it in the kernel, oldest first. */
    private void agentTasks(Exchange x) throws IOException, Exchange.Rejected {
        String name = x.param("name");
        x.caller().authorize("agent.tasks:" + name, List.of(READ));
        AgentService agents = agents();
        List<io.toka.orchestration.AgentTask> tasks;
        try {
            tasks = agents.tasks(name);
        } catch (IllegalArgumentException e) {
            x.problem(Problem.notFound(e.getMessage()));
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("agent", name);
        body.put("running", tasks.stream().filter(t -> t.state().equals("RUNNING")).count());
        body.put("queued", tasks.stream().filter(t -> t.state().equals("QUEUED")).count());
        body.put("tasks", tasks);
        x.json(200, body);
    }

    private void agentEvents(Exchange x) throws IOException, Exchange.Rejected {
        String name = x.param("name");
        SecurityContext caller = x.caller();
        caller.authorize("agent.events:" + name, List.of(READ, "event:read"));
        events.stream(x, name, caller);
    }

    private void control(Exchange x, String action) throws IOException, Exchange.Rejected {
        String name = x.param("name");
        SecurityContext caller = x.caller();
        caller.authorize("agent." + action + ":" + name, List.of(RUN));
        AgentService agents = agents();
        if (agents.agent(name).isEmpty()) {
            x.problem(Problem.notFound("unknown agent '" + name + "'"));
            return;
        }
        try {
            AgentStatus s = switch (action) {
                case "run" -> agents.run(name, caller);
                case "pause" -> agents.pause(name);
                case "resume" -> agents.resume(name);
                default -> agents.terminate(name);
            };
            x.json(action.equals("run") ? 202 : 200, s);
        } catch (IllegalStateException e) {
            x.problem(new Problem(409, "urn:toka:problem:conflict", "Conflict", e.getMessage()));
        } catch (IllegalArgumentException e) {
            x.problem(Problem.badRequest(e.getMessage()));
        }
    }

    private void define(Exchange x) throws IOException, Exchange.Rejected {
        SecurityContext caller = x.caller();
        caller.authorize("agent.define", List.of(DEFINE));
        AgentService agents = agents();
        String type = x.req.getContentType() == null ? "" : x.req.getContentType().split(";", 2)[0].trim().toLowerCase();
        String yaml;
        if (type.endsWith("yaml") || type.equals("text/plain")) {
            long declared = x.req.getContentLengthLong();
            if (declared > MAX_BODY_BYTES) {
                throw new Exchange.Rejected(Problem.tooLarge("the agent YAML is " + declared + " bytes; the limit is "
                        + MAX_BODY_BYTES));
            }
            byte[] body = Exchange.readLimited(x.req.getInputStream(), MAX_BODY_BYTES);
            if (body == null) {
                throw new Exchange.Rejected(Problem.tooLarge("the agent YAML is over " + MAX_BODY_BYTES + " bytes"));
            }
            yaml = new String(body, StandardCharsets.UTF_8);
        } else {
            ObjectNode body = x.readObject(Set.of("yaml"), "{\"yaml\":\"metadata: ...\"} or a YAML body "
                    + "(Content-Type: application/yaml)", MAX_BODY_BYTES);
            JsonNode y = body.get("yaml");
            if (y == null || !y.isTextual()) {
                throw Exchange.Rejected.badRequest("'yaml' must be a string holding the agent YAML");
            }
            yaml = y.asText();
        }
        try {
            AgentConfig c = agents.define(yaml, "api", caller);
            x.json(201, describe(c, agents.status(c.name())));
        } catch (AgentConfigException e) {
            Map<String, Object> problem = new LinkedHashMap<>(Problem.badRequest(e.getMessage()).body(x.req.getRequestURI()));
            problem.put("problems", e.problems());
            x.resp.setStatus(400);
            x.resp.setContentType(Problem.MEDIA_TYPE);
            x.resp.getOutputStream().write(x.mapper().writeValueAsBytes(problem));
        }
    }

    private void listSessions(Exchange x) throws IOException, Exchange.Rejected {
        x.caller().authorize("session.list", List.of(SESSION_READ));
        x.json(200, Map.of("sessions", sessions().sessions()));
    }

    private void startSession(Exchange x) throws IOException, Exchange.Rejected {
        SecurityContext caller = x.caller();
        caller.authorize("session.run", List.of(SESSION_RUN, RUN));
        SessionService sessions = sessions();
        ObjectNode body = x.readObject(Set.of("agents"), "{\"agents\":[\"a\",\"b\"]}");
        JsonNode list = body.get("agents");
        List<String> names = new ArrayList<>();
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw Exchange.Rejected.badRequest("'agents' must be a non-empty list of agent names");
        }
        for (JsonNode n : list) {
            if (!n.isTextual()) {
                throw Exchange.Rejected.badRequest("'agents' must hold agent names (strings)");
            }
            names.add(n.asText());
        }
        try {
            x.json(201, sessions.start(names, caller));
        } catch (IllegalArgumentException e) {
            x.problem(Problem.badRequest(e.getMessage()));
        }
    }

    private void readSession(Exchange x) throws IOException, Exchange.Rejected {
        x.caller().authorize("session.read", List.of(SESSION_READ));
        String id = x.param("id");
        Optional<SessionStatus> s = sessions().session(id);
        if (s.isEmpty()) {
            x.problem(Problem.notFound("unknown session '" + id + "'"));
        } else {
            x.json(200, s.get());
        }
    }

    /** An agent and its latest run, as {@code /agents} and the {@code /watch} stream show it. */
    static Map<String, Object> describe(AgentConfig c, Optional<AgentStatus> status) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("version", c.metadata().version());
        m.put("workstream", c.metadata().workstream());
        m.put("domain", c.spec().domain());
        m.put("priority", c.spec().priority() == null ? null : c.spec().priority().name().toLowerCase());
        m.put("capabilitiesRequired", c.security().capabilitiesRequired());
        m.put("dependencies", c.dependencies().required().keySet());
        m.put("tasks", c.tasks().size());
        m.put("source", c.source());
        m.put("status", status.orElse(null));
        return m;
    }
}
