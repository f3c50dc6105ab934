package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * Agents and sessions: {@code /status}, {@code /agents}, {@code /agents/{name}} with {@code run}, {@code pause},
 * {@code resume}, {@code terminate} and {@code events} (Server-Sent Events of the agent's progress), and
 * {@code /sessions}. Permissions: {@code agent:read}, {@code agent:define}, {@code agent:run}, {@code session:run},
 * {@code session:read}.
 */
final class AgentApi {

    static final String READ = "agent:read";
    static final String DEFINE = "agent:define";
    static final String RUN = "agent:run";
    static final String SESSION_RUN = "session:run";
    static final String SESSION_READ = "session:read";
    /** An agent YAML may be large (objectives, tasks, directives). */
    static final int MAX_BODY_BYTES = 256 * 1024;

    private final AgentService agents;
    private final SessionService sessions;
    private final LlmGateway llm;
    private final EventApi events;

    AgentApi(AgentService agents, SessionService sessions, LlmGateway llm, EventApi events) {
        this.agents = agents;
        this.sessions = sessions;
        this.llm = llm;
        this.events = events;
    }

    /** @return false if the path is not an agent, session or status resource */
    boolean route(Exchange x, SecurityContext caller, String[] parts) throws IOException, Exchange.Rejected {
        String head = parts[0];
        if (!head.equals("status") && !head.equals("agents") && !head.equals("sessions")) {
            return false;
        }
        if (agents == null || sessions == null) {
            x.problem(Problem.notFound("agents are not installed (feature toka-agents)"));
            return true;
        }
        if (head.equals("status") && parts.length == 1) {
            if (x.allow("GET")) {
                caller.authorize("agent.status", List.of(READ));
                x.json(200, status());
            }
        } else if (head.equals("agents")) {
            agents(x, caller, parts);
        } else {
            sessions(x, caller, parts);
        }
        return true;
    }

    private Map<String, Object> status() {
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

    private void agents(Exchange x, SecurityContext caller, String[] parts) throws IOException, Exchange.Rejected {
        if (parts.length == 1) {
            if (x.req.getMethod().equals("POST")) {
                caller.authorize("agent.define", List.of(DEFINE));
                define(x, caller);
            } else if (x.allowEither("GET", "POST")) {
                caller.authorize("agent.list", List.of(READ));
                List<Map<String, Object>> out = new ArrayList<>();
                for (AgentConfig c : agents.agents()) {
                    out.add(describe(c, agents.status(c.name())));
                }
                x.json(200, Map.of("agents", out));
            }
            return;
        }
        String name = parts[1];
        if (parts.length == 2) {
            Optional<AgentConfig> config = agents.agent(name);
            if (x.req.getMethod().equals("DELETE")) {
                caller.authorize("agent.remove:" + name, List.of(DEFINE));
                if (config.isEmpty()) {
                    x.problem(Problem.notFound("unknown agent '" + name + "'"));
                } else if (!agents.remove(name, caller)) {
                    x.problem(new Problem(409, "urn:toka:problem:conflict", "Conflict", "agent '" + name
                            + "' is defined by " + config.get().source() + "; delete or edit that file instead"));
                } else {
                    x.resp.setStatus(204);
                }
            } else if (x.allowEither("GET", "DELETE")) {
                caller.authorize("agent.read:" + name, List.of(READ));
                if (config.isEmpty()) {
                    x.problem(Problem.notFound("unknown agent '" + name + "'"));
                } else {
                    Map<String, Object> body = describe(config.get(), agents.status(name));
                    body.put("config", config.get());
                    x.json(200, body);
                }
            }
            return;
        }
        if (parts.length == 3 && parts[2].equals("events")) {
            if (x.allow("GET")) {
                caller.authorize("agent.events:" + name, List.of(READ, "event:read"));
                events.stream(x, name, caller);
            }
            return;
        }
        if (parts.length == 3 && Set.of("run", "pause", "resume", "terminate").contains(parts[2])) {
            if (!x.allow("POST")) {
                return;
            }
            caller.authorize("agent." + parts[2] + ":" + name, List.of(RUN));
            if (agents.agent(name).isEmpty()) {
                x.problem(Problem.notFound("unknown agent '" + name + "'"));
                return;
            }
            try {
                AgentStatus s = switch (parts[2]) {
                    case "run" -> agents.run(name, caller);
                    case "pause" -> agents.pause(name);
                    case "resume" -> agents.resume(name);
                    default -> agents.terminate(name);
                };
                x.json(parts[2].equals("run") ? 202 : 200, s);
            } catch (IllegalStateException e) {
                x.problem(new Problem(409, "urn:toka:problem:conflict", "Conflict", e.getMessage()));
            } catch (IllegalArgumentException e) {
                x.problem(Problem.badRequest(e.getMessage()));
            }
            return;
        }
        x.problem(Problem.notFound("no resource at " + ApiServlet.ROOT + "/" + String.join("/", parts)));
    }

    private void define(Exchange x, SecurityContext caller) throws IOException, Exchange.Rejected {
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

    private void sessions(Exchange x, SecurityContext caller, String[] parts) throws IOException, Exchange.Rejected {
        if (parts.length == 1) {
            if (x.req.getMethod().equals("POST")) {
                caller.authorize("session.run", List.of(SESSION_RUN, RUN));
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
            } else if (x.allowEither("GET", "POST")) {
                caller.authorize("session.list", List.of(SESSION_READ));
                x.json(200, Map.of("sessions", sessions.sessions()));
            }
            return;
        }
        if (parts.length == 2) {
            if (x.allow("GET")) {
                caller.authorize("session.read", List.of(SESSION_READ));
                Optional<SessionStatus> s = sessions.session(parts[1]);
                if (s.isEmpty()) {
                    x.problem(Problem.notFound("unknown session '" + parts[1] + "'"));
                } else {
                    x.json(200, s.get());
                }
            }
            return;
        }
        x.problem(Problem.notFound("no resource at " + ApiServlet.ROOT + "/" + String.join("/", parts)));
    }

    private static Map<String, Object> describe(AgentConfig c, Optional<AgentStatus> status) {
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
