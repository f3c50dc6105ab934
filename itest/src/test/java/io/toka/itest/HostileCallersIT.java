package io.toka.itest;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.toka.security.AuditEvent;
import io.toka.security.AuditListener;
import io.toka.tool.Tool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import javax.inject.Inject;
import javax.security.auth.Subject;
import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hostile callers against the real distribution: each kind of caller (no shell login, a viewer, a manager, a narrowed
 * token, a delegated child, an agent's token, a revoked, an expired and an out-of-window token, no token at all) tries
 * the escalation paths open to it, over HTTP and through the {@code toka:*} shell commands.
 *
 * <p>Every attempt is its own named block: it asserts the refusal (status or message) and that nothing happened —
 * no file written, no token in the output, no token minted, revoked or key rotated (the audit, seen by a listener),
 * no kernel event, no tool run ({@code tool.invoked} events, read after a barrier), no agent defined, run or changed.
 * A test runs all its attempts and then fails naming every attempt that got through.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HostileCallersIT extends TestSupport {

    private static final Logger LOG = LoggerFactory.getLogger(HostileCallersIT.class);
    /** A JWT anywhere in a text: what must never reach a caller who was refused. */
    static final Pattern JWT = Pattern.compile("eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+");
    /** Kinds of events that mean something was minted, revoked, rotated, scheduled or spawned. */
    private static final Set<String> FORBIDDEN_KINDS = Set.of("token.issued", "token.revoked", "key.rotated",
            "task.scheduled", "agent.spawned", "observation.emitted");
    /** Audit actions whose success means a token was minted or revoked, or a key rotated. */
    private static final Set<String> MINTING = Set.of("token.issue", "token.delegate", "token.revoke", "key.rotate");
    private static final String VICTIM = "hc-victim";

    @Inject
    SessionFactory sessionFactory;

    @Inject
    ConfigurationAdmin configAdmin;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final List<String> attempted = new ArrayList<>();
    /** What the last refusal said, logged with the attempt's name (at INFO: -Dtoka.itest.keep=true shows it). */
    private String evidence;
    private ServiceRegistration<AuditListener> auditRegistration;
    private Path workspace;
    private Path adminTokenFile;

    /** One escalation attempt: its assertions. */
    @FunctionalInterface
    private interface Attempt {
        void run() throws Exception;
    }

    /** Where the audit and the event log stood before an attempt. */
    private record Mark(int audit, long seq) {
    }

    /** What a shell command printed, and the message it failed with ({@code null} if it did not fail). */
    private record Shell(String output, String error) {
        String all() {
            return output + "\n" + error;
        }
    }

    /** A token and its id. */
    private record Token(String token, String jti) {
    }

    @Before
    public void setUp() throws Exception {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get("/api/v1/health").status() == 200);
        workspace = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(workspace);
        adminTokenFile = Path.of(System.getProperty("karaf.data"), "toka", "admin.token");
        adminToken();
        auditRegistration = bundleContext.registerService(AuditListener.class, audit::add, new Hashtable<>());
        // the audit log binds its listeners dynamically: wait until this one hears a refusal
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            request("GET", "/api/v1/tools", "hc-not-a-token", null, null);
            return !audit.isEmpty();
        });
        if (get("/api/v1/agents/" + VICTIM).status() == 404) {
            Response r = request("POST", "/api/v1/agents", adminToken(), "application/yaml",
                    agentYaml(VICTIM, "Summarise the workspace").getBytes(StandardCharsets.UTF_8));
            assertEquals(String.valueOf(r.body()), 201, r.status());
        }
    }

    @After
    public void reportAttempts() {
        if (auditRegistration != null) {
            auditRegistration.unregister();
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " of " + attempted.size() + " escalation attempt(s) were not "
                    + "refused as they should be:\n" + String.join("\n", failures));
        }
    }

    // ================================================================ the shell, without a login

    @Test
    public void withoutALoginNoShellCommandActs() throws Exception {
        attempt("no login: toka:tool-invoke file-writer writes nothing", () -> {
            Mark m = mark();
            Shell s = shellWithoutLogin("toka:tool-invoke file-writer path=hc-nologin.txt content=pwned");
            refused(s, "no logged-in user");
            assertAbsent("hc-nologin.txt");
            untouched(m, "file-writer");
        });
        attempt("no login: toka:token-issue of '*' mints nothing", () -> {
            Mark m = mark();
            Shell s = shellWithoutLogin("toka:token-issue -q hc-intruder '*'");
            refused(s, "no logged-in user");
            noJwt(s.all());
            untouched(m);
        });
        attempt("no login: toka:token-delegate with the real admin token mints nothing", () -> {
            Mark m = mark();
            Shell s = shellWithoutLogin("toka:token-delegate -q --token " + adminToken() + " tool:read");
            refused(s, "no logged-in user");
            noJwt(s.all());
            untouched(m);
        });
        attempt("no login: toka:kernel-submit with the real admin token schedules nothing", () -> {
            Mark m = mark();
            Shell s = shellWithoutLogin("toka:kernel-submit --token " + adminToken() + " schedule " + VICTIM
                    + " hc-evil-task");
            refused(s, "no logged-in user");
            noJwt(s.all());
            untouched(m);
        });
        attempt("no login: toka:exec runs no code", () -> {
            Mark m = mark();
            Path marker = Path.of(System.getProperty("karaf.base"), "hc-nologin-exec.txt");
            Shell s = shellWithoutLogin("toka:exec --lang shell -c 'echo pwned > hc-nologin-exec.txt'");
            refused(s, "no logged-in user");
            assertTrue(Files.notExists(marker));
            assertAbsent("hc-nologin-exec.txt");
            untouched(m);
        });
    }

    // ================================================================ the shell, as a viewer

    @Test
    public void aViewerCannotEscalateFromTheShell() throws Exception {
        String viewer = "vera-hc";
        attempt("viewer: toka:token-issue mints nothing", () -> {
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:token-issue -q hc-minted tool:read");
            refused(s, "'token:issue' is required");
            noJwt(s.all());
            untouched(m);
        });
        attempt("viewer: toka:key-rotate rotates nothing", () -> {
            int keys = get("/api/v1/keys").body().get("keys").size();
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:key-rotate");
            refused(s, "'key:rotate' is required");
            assertEquals(keys, get("/api/v1/keys").body().get("keys").size());
            untouched(m);
        });
        attempt("viewer: toka:token-revoke of someone else's token revokes nothing", () -> {
            Token victim = issue("hc-revoke-victim", 600, "tool:read");
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:token-revoke " + victim.jti());
            refused(s, "'token:revoke'");
            assertEquals(200, request("GET", "/api/v1/tools", victim.token(), null, null).status());
            untouched(m);
        });
        attempt("viewer: toka:tool-invoke file-writer writes nothing", () -> {
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:tool-invoke file-writer path=hc-viewer.txt content=pwned");
            refused(s, "'tool:invoke:file-writer' is required");
            assertAbsent("hc-viewer.txt");
            untouched(m, "file-writer");
        });
        attempt("viewer: toka:exec --lang shell runs no code", () -> {
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:exec --lang shell -c 'echo pwned > hc-viewer-exec.txt'");
            refused(s, "'code:execute:shell' is required");
            assertAbsent("hc-viewer-exec.txt");
            untouched(m);
        });
        attempt("viewer: toka:agent-run starts no agent", () -> {
            JsonNode before = agent(VICTIM);
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:agent-run " + VICTIM);
            refused(s, "'agent:run' is required");
            assertEquals(before, agent(VICTIM));
            untouched(m);
        });
        attempt("viewer: toka:kernel-submit with a garbage token schedules nothing", () -> {
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:kernel-submit --token garbage.garbage.garbage schedule "
                    + VICTIM + " hc-evil-task");
            refused(s, "capability denied");
            untouched(m);
        });
        attempt("viewer: toka:kernel-submit with a forged token (permissions rewritten to '*') schedules nothing", () -> {
            String forged = forge(issue("hc-forge-base", 600, "tool:read").token(), "tool:read", "*");
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:kernel-submit --token " + forged + " --origin hc-forge-base "
                    + "schedule " + VICTIM + " hc-evil-task");
            refused(s, "capability denied");
            untouched(m);
        });
        attempt("viewer: toka:token-delegate --token @admin.token reads no token file and prints no token", () -> {
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:token-delegate -q --token '@" + adminTokenFile + "' '*'");
            refused(s, "does not read token files");
            noJwt(s.all());
            untouched(m);
        });
        attempt("viewer: toka:kernel-submit --token @admin.token reads no token file and schedules nothing", () -> {
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:kernel-submit --token '@" + adminTokenFile + "' schedule "
                    + VICTIM + " hc-evil-task");
            refused(s, "does not read token files");
            noJwt(s.all());
            untouched(m);
        });
        attempt("viewer: toka:tool-discover needs tool:discover", () -> {
            Files.createDirectories(workspace.resolve("hc-scripts"));
            Files.writeString(workspace.resolve("hc-scripts/hello.sh"), "#!/bin/sh\necho hello\n");
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:tool-discover hc-scripts");
            refused(s, "'tool:discover' is required");
            assertFalse(s.output(), s.output().contains("# ----"));
            untouched(m);
        });
        attempt("viewer: toka:session-run of a workspace directory defines and runs nothing", () -> {
            plantEvilAgentDirectory();
            Mark m = mark();
            Shell s = shellAs(viewer, "viewer", "toka:session-run hc-agents/");
            refused(s, "'session:run' is required");
            assertEquals(404, get("/api/v1/agents/hc-evil").status());
            untouched(m);
        });
    }

    // ================================================================ the shell, as a manager

    @Test
    public void aManagerCannotEscalateFromTheShell() throws Exception {
        String manager = "max-hc";
        attempt("manager: toka:token-issue of '*' (which a manager lacks) mints nothing", () -> {
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:token-issue -q hc-star '*'");
            refused(s, "cannot grant permission '*'");
            noJwt(s.all());
            untouched(m);
        });
        attempt("manager: toka:token-issue of tool:discover mints nothing", () -> {
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:token-issue -q hc-discoverer tool:discover");
            refused(s, "cannot grant permission 'tool:discover'");
            noJwt(s.all());
            untouched(m);
        });
        attempt("manager: toka:tool-discover / scans nothing", () -> {
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:tool-discover /");
            refused(s, "'tool:discover' is required");
            assertFalse(s.output(), s.output().contains("# ----"));
            untouched(m);
        });
        attempt("manager: toka:exec --file <karaf.data>/toka/admin.token does not leak the admin token", () -> {
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:exec --lang shell --file " + adminTokenFile);
            refused(s, "'filesystem:read' is required");
            noJwt(s.all());
            untouched(m);
        });
        attempt("manager: toka:exec --file ../data/toka/admin.token does not leak the admin token", () -> {
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:exec --lang shell --file ../data/toka/admin.token");
            refused(s, "'filesystem:read' is required");
            noJwt(s.all());
            untouched(m);
        });
        attempt("manager: toka:key-rotate rotates nothing", () -> {
            int keys = get("/api/v1/keys").body().get("keys").size();
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:key-rotate");
            refused(s, "'key:rotate' is required");
            assertEquals(keys, get("/api/v1/keys").body().get("keys").size());
            untouched(m);
        });
        attempt("manager: toka:agent-run starts no agent", () -> {
            JsonNode before = agent(VICTIM);
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:agent-run " + VICTIM);
            refused(s, "'agent:run' is required");
            assertEquals(before, agent(VICTIM));
            untouched(m);
        });
        attempt("manager: toka:session-run of a workspace directory defines nothing", () -> {
            plantEvilAgentDirectory();
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:session-run hc-agents/");
            refused(s, "'session:run' is required");
            assertEquals(404, get("/api/v1/agents/hc-evil").status());
            untouched(m);
        });
        attempt("manager: toka:token-delegate cannot widen a narrow token to '*'", () -> {
            Token narrow = issue("hc-narrow-shell", 600, "tool:read");
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:token-delegate -q --token " + narrow.token() + " '*'");
            refused(s, "cannot delegate permission '*'");
            assertFalse(s.output(), JWT.matcher(s.output()).find());
            untouched(m);
        });
        attempt("manager: toka:kernel-submit with a revoked token schedules nothing", () -> {
            Token revoked = issue("hc-sched-revoked", 600, "agent:*");
            revoke(revoked);
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:kernel-submit --token " + revoked.token() + " schedule "
                    + VICTIM + " hc-evil-task");
            refused(s, "capability denied");
            untouched(m);
        });
        attempt("manager: shell code in the sandbox cannot read the admin token", () -> {
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:exec --lang shell -c 'cat " + adminTokenFile + "'");
            evidence = s.all().strip();
            noJwt(s.all());
            assertNotNull("cat of the admin token succeeded: " + s.output(), s.error());
            untouched(m);
        });
        attempt("manager: shell code in the sandbox cannot write into Toka's home", () -> {
            Path target = Path.of(System.getProperty("karaf.base"), "hc-sandbox-escape.txt");
            Mark m = mark();
            Shell s = shellAs(manager, "manager", "toka:exec --lang shell -c 'echo pwned > " + target + "'");
            evidence = s.all().strip();
            assertNotNull("the write outside the sandbox succeeded: " + s.output(), s.error());
            assertTrue(Files.notExists(target));
            untouched(m);
        });
    }

    // ================================================================ the shell, as admin: Toka's directories only

    @Test
    public void evenAnAdminShellReadsOnlyTokasDirectories() throws Exception {
        String admin = "root-hc";
        attempt("admin: toka:tool-discover /etc stays in Toka's directories", () -> {
            Shell s = shellAs(admin, "admin", "toka:tool-discover /etc");
            refused(s, "is outside");
            assertFalse(s.output(), s.output().contains("# ----"));
        });
        attempt("admin: toka:tool-discover through a workspace link to / stays in Toka's directories", () -> {
            Path link = workspace.resolve("hc-root-link");
            if (!Files.isSymbolicLink(link)) {
                Files.createSymbolicLink(link, Path.of("/"));
            }
            Shell s = shellAs(admin, "admin", "toka:tool-discover hc-root-link");
            refused(s, "is outside");
            assertFalse(s.output(), s.output().contains("# ----"));
        });
        attempt("admin: toka:session-run ../etc/ reads no agent file outside the workspace", () -> {
            Path etc = Path.of(System.getProperty("karaf.base"), "etc");
            Files.writeString(etc.resolve("hc-outside.yaml"), agentYaml("hc-outside", "Escape"));
            Mark m = mark();
            Shell s = shellAs(admin, "admin", "toka:session-run ../etc/");
            refused(s, "is outside");
            assertEquals(404, get("/api/v1/agents/hc-outside").status());
            untouched(m);
        });
        attempt("admin: toka:exec --file through a workspace link to admin.token does not leak it", () -> {
            Path link = workspace.resolve("hc-token-link");
            if (!Files.isSymbolicLink(link)) {
                Files.createSymbolicLink(link, adminTokenFile);
            }
            Shell s = shellAs(admin, "admin", "toka:exec --lang shell --file hc-token-link");
            refused(s, "symbolic link");
            noJwt(s.all());
        });
    }

    // ================================================================ a narrowed token over HTTP

    @Test
    public void aNarrowedTokenStaysInsideItsGrant() throws Exception {
        Token narrow = issue("hc-narrow", 600, "tool:invoke:file-reader", "filesystem:read", "tool:read");
        attempt("narrowed: calling file-writer is 403 and writes nothing", () -> {
            Mark m = mark();
            Response r = invoke(narrow.token(), "file-writer", Map.of("path", "hc-narrow.txt", "content", "pwned"));
            forbidden(r, "tool:invoke:file-writer");
            assertAbsent("hc-narrow.txt");
            untouched(m, "file-writer");
        });
        attempt("narrowed: calling run-command is 403 and runs nothing", () -> {
            Mark m = mark();
            Response r = invoke(narrow.token(), "run-command", Map.of("command", "echo", "args", List.of("PWNED")));
            forbidden(r, "tool:invoke:run-command");
            untouched(m, "run-command");
        });
        attempt("narrowed: POST /tokens minting '*' is 403 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens", "{\"subject\":\"hc-star\",\"permissions\":[\"*\"],\"ttlSeconds\":60}",
                    narrow.token());
            forbidden(r, "token:issue");
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("narrowed: POST /keys/rotate is 403 and rotates nothing", () -> {
            int keys = get("/api/v1/keys").body().get("keys").size();
            Mark m = mark();
            forbidden(request("POST", "/api/v1/keys/rotate", narrow.token(), null, null), "key:rotate");
            assertEquals(keys, get("/api/v1/keys").body().get("keys").size());
            untouched(m);
        });
        attempt("narrowed: POST /executions with shell code is 403 and runs nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/executions", "{\"language\":\"shell\",\"code\":\"echo pwned > hc-code.txt\"}",
                    narrow.token());
            forbidden(r, "code:execute:shell");
            assertAbsent("hc-code.txt");
            noExecutionBy("hc-narrow");
            untouched(m);
        });
        attempt("narrowed: POST /executions {tool: file-writer} does not bypass the tool's permission", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/executions", "{\"tool\":\"file-writer\",\"arguments\":{\"path\":"
                    + "\"hc-exec-tool.txt\",\"content\":\"pwned\"}}", narrow.token());
            forbidden(r, "tool:invoke:file-writer");
            assertAbsent("hc-exec-tool.txt");
            untouched(m, "file-writer");
        });
        attempt("narrowed: GET /health without system:read shows only the status", () -> {
            Response r = request("GET", "/api/v1/health", narrow.token(), null, null);
            evidence = r.status() + " " + r.body();
            assertEquals(200, r.status());
            assertEquals(JSON.readTree("{\"status\":\"UP\"}"), r.body());
        });
        attempt("narrowed: /kernel/submit with someone else's revoked capability schedules nothing", () -> {
            Token revoked = issue("hc-sched-http", 600, "agent:*");
            revoke(revoked);
            Mark m = mark();
            Response r = postJson("/api/v1/kernel/submit", submitBody("hc-sched-http", revoked.token()), narrow.token());
            forbidden(r, "capability denied");
            untouched(m);
        });
        attempt("narrowed: /kernel/submit with a valid capability but a spoofed origin schedules nothing", () -> {
            Token other = issue("hc-sched-valid", 600, "agent:*");
            Mark m = mark();
            Response r = postJson("/api/v1/kernel/submit", submitBody("hc-someone-else", other.token()),
                    narrow.token());
            forbidden(r, "not the origin");
            untouched(m);
        });
        attempt("narrowed: /kernel/submit with its own capability (no agent:*) schedules nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/kernel/submit", submitBody("hc-narrow", null), narrow.token());
            forbidden(r, "agent:task:schedule");
            untouched(m);
        });
        attempt("narrowed: DELETE /tokens/{other jti} is 403 and revokes nothing", () -> {
            Token victim = issue("hc-victim-token", 600, "tool:read");
            Mark m = mark();
            forbidden(request("DELETE", "/api/v1/tokens/" + victim.jti(), narrow.token(), null, null), "token:revoke");
            assertEquals(200, request("GET", "/api/v1/tools", victim.token(), null, null).status());
            untouched(m);
        });
        attempt("narrowed: POST /agents is 403 and defines nothing", () -> {
            Mark m = mark();
            Response r = request("POST", "/api/v1/agents", narrow.token(), "application/yaml",
                    agentYaml("hc-narrow-agent", "Escape").getBytes(StandardCharsets.UTF_8));
            forbidden(r, "agent:define");
            assertEquals(404, get("/api/v1/agents/hc-narrow-agent").status());
            untouched(m);
        });
    }

    // ================================================================ a delegated child

    @Test
    public void aDelegatedChildOnlyNarrows() throws Exception {
        Token parent = issue("hc-parent", 600, "token:issue", "tool:read", "tool:invoke:file-reader", "filesystem:read");
        Response c = postJson("/api/v1/tokens/delegate",
                "{\"subject\":\"hc-child\",\"permissions\":[\"token:issue\",\"tool:read\"],\"ttlSeconds\":300}",
                parent.token());
        assertEquals(String.valueOf(c.body()), 201, c.status());
        Token child = new Token(c.body().get("token").asText(), c.body().get("jti").asText());

        attempt("child: delegating '*' is 403 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens/delegate", "{\"permissions\":[\"*\"]}", child.token());
            forbidden(r, "cannot delegate permission '*'");
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("child: token:issue of '*' is 403 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens", "{\"subject\":\"hc-star\",\"permissions\":[\"*\"]}", child.token());
            forbidden(r, "cannot grant permission '*'");
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("child: token:issue of a permission only its parent holds is 403", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens", "{\"subject\":\"hc-reader\",\"permissions\":"
                    + "[\"tool:invoke:file-reader\",\"filesystem:read\"]}", child.token());
            forbidden(r, "cannot grant permission 'tool:invoke:file-reader'");
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("child: revoking its parent is 403 and the parent still works", () -> {
            Mark m = mark();
            forbidden(request("DELETE", "/api/v1/tokens/" + parent.jti(), child.token(), null, null), "token:revoke");
            assertEquals(200, request("GET", "/api/v1/tools", parent.token(), null, null).status());
            untouched(m);
        });
        attempt("child: a grandchild that would outlive it is 400 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens/delegate", "{\"permissions\":[\"tool:read\"],\"ttlSeconds\":3600}",
                    child.token());
            assertEquals(String.valueOf(r.body()), 400, r.status());
            evidence = r.status() + " " + r.body();
            assertTrue(r.body().toString(), r.body().get("detail").asText().contains("cannot outlive its parent"));
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("child: a delegation chain deeper than 5 is refused", () -> {
            String current = child.token();
            int depth = 2;
            while (true) {
                Response r = postJson("/api/v1/tokens/delegate", "{\"permissions\":[\"tool:read\"]}", current);
                if (r.status() != 201) {
                    evidence = r.status() + " " + r.body();
                    assertEquals(String.valueOf(r.body()), 400, r.status());
                    assertTrue(r.body().toString(), r.body().get("detail").asText().contains("the limit is 5"));
                    noJwt(String.valueOf(r.body()));
                    break;
                }
                depth = r.body().get("chain").size();
                assertTrue("a token " + depth + " delegation steps deep was minted", depth <= 5);
                current = r.body().get("token").asText();
            }
            assertEquals("the chain stopped before the limit", 5, depth);
        });
        attempt("child: calling a tool only its parent may call is 403", () -> {
            Mark m = mark();
            Files.writeString(workspace.resolve("hc-secret.txt"), "hc secret\n");
            Response r = invoke(child.token(), "file-reader", Map.of("path", "hc-secret.txt"));
            forbidden(r, "tool:invoke:file-reader");
            assertFalse(String.valueOf(r.body()).contains("hc secret"));
            untouched(m, "file-reader");
        });
    }

    // ================================================================ an agent's token

    @Test
    public void anAgentTokenCannotLeaveItsSandbox() throws Exception {
        Token orchestrator = issue("hc-orchestrator", 600, "tool:invoke:*", "filesystem:read", "filesystem:write",
                "tool:read");
        Response d = postJson("/api/v1/tokens/delegate", "{\"subject\":\"agent:hc-bot\",\"permissions\":"
                + "[\"tool:invoke:file-reader\",\"filesystem:read\"],\"ttlSeconds\":300}", orchestrator.token());
        assertEquals(String.valueOf(d.body()), 201, d.status());
        String agentToken = d.body().get("token").asText();
        Path link = workspace.resolve("hc-admin-link");
        if (!Files.isSymbolicLink(link)) {
            Files.createSymbolicLink(link, adminTokenFile);
        }

        attempt("agent: calling file-writer is 403 and writes nothing", () -> {
            Mark m = mark();
            Response r = invoke(agentToken, "file-writer", Map.of("path", "hc-agent.txt", "content", "pwned"));
            forbidden(r, "tool:invoke:file-writer");
            assertAbsent("hc-agent.txt");
            untouched(m, "file-writer");
        });
        attempt("agent: file-reader through a workspace link to admin.token leaks nothing", () -> {
            Response r = invoke(agentToken, "file-reader", Map.of("path", "hc-admin-link"));
            toolRefused(r, "symbolic link");
        });
        attempt("agent: file-reader of the absolute path of admin.token leaks nothing", () -> {
            Response r = invoke(agentToken, "file-reader", Map.of("path", adminTokenFile.toString()));
            toolRefused(r, "outside the workspace");
        });
        attempt("agent: file-reader of ../data/toka/admin.token leaks nothing", () -> {
            Response r = invoke(agentToken, "file-reader", Map.of("path", "../data/toka/admin.token"));
            toolRefused(r, "must not contain '..'");
        });
        attempt("agent: POST /agents is 403 and defines nothing", () -> {
            Mark m = mark();
            Response r = request("POST", "/api/v1/agents", agentToken, "application/yaml",
                    agentYaml("hc-bot-child", "Escape").getBytes(StandardCharsets.UTF_8));
            forbidden(r, "agent:define");
            assertEquals(404, get("/api/v1/agents/hc-bot-child").status());
            untouched(m);
        });
        attempt("agent: POST /agents/{name}/run is 403 and starts nothing", () -> {
            JsonNode before = agent(VICTIM);
            Mark m = mark();
            forbidden(postJson("/api/v1/agents/" + VICTIM + "/run", "{}", agentToken), "agent:run");
            assertEquals(before, agent(VICTIM));
            untouched(m);
        });
        attempt("agent: delegating itself filesystem:write is 403 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens/delegate", "{\"permissions\":[\"filesystem:write\","
                    + "\"tool:invoke:file-writer\"]}", agentToken);
            forbidden(r, "cannot delegate permission");
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("agent: an agent workflow through /executions is 403 and defines nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/executions", "{\"agent\":" + agentJson("hc-bot-workflow", "Escape") + "}",
                    agentToken);
            forbidden(r, "agent:");
            assertEquals(404, get("/api/v1/agents/hc-bot-workflow").status());
            noExecutionBy("agent:hc-bot");
            untouched(m);
        });
    }

    // ================================================================ agent:run without agent:define

    @Test
    public void runningAgentsDoesNotAllowDefiningThem() throws Exception {
        Token runner = issue("hc-runner", 600, "agent:run", "agent:read", "execution:read");
        attempt("run-only: an agent workflow for a new agent is 403 and defines and runs nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/executions", "{\"agent\":" + agentJson("hc-wf-new", "Escape")
                    + ",\"timeoutMs\":10000}", runner.token());
            forbidden(r, "agent:define");
            assertEquals(404, get("/api/v1/agents/hc-wf-new").status());
            noExecutionBy("hc-runner");
            untouched(m);
        });
        attempt("run-only: an agent workflow named like an existing agent does not overwrite it", () -> {
            JsonNode before = agent(VICTIM);
            Mark m = mark();
            Response r = postJson("/api/v1/executions", "{\"agent\":" + agentJson(VICTIM, "Delete everything")
                    + ",\"timeoutMs\":10000}", runner.token());
            forbidden(r, "agent:define");
            JsonNode after = agent(VICTIM);
            assertEquals(before, after);
            assertEquals("api", after.get("source").asText());
            noExecutionBy("hc-runner");
            untouched(m);
        });
        attempt("run-only: POST /agents is 403 and defines nothing", () -> {
            Mark m = mark();
            Response r = request("POST", "/api/v1/agents", runner.token(), "application/yaml",
                    agentYaml("hc-run-only", "Escape").getBytes(StandardCharsets.UTF_8));
            forbidden(r, "agent:define");
            assertEquals(404, get("/api/v1/agents/hc-run-only").status());
            untouched(m);
        });
        attempt("run-only: DELETE /agents/{name} is 403 and the agent stays", () -> {
            JsonNode before = agent(VICTIM);
            Mark m = mark();
            forbidden(request("DELETE", "/api/v1/agents/" + VICTIM, runner.token(), null, null), "agent:define");
            assertEquals(before, agent(VICTIM));
            untouched(m);
        });
        attempt("run-only: POST /sessions without session:run is 403 and runs nothing", () -> {
            JsonNode before = agent(VICTIM);
            int sessions = get("/api/v1/sessions").body().get("sessions").size();
            Mark m = mark();
            forbidden(postJson("/api/v1/sessions", "{\"agents\":[\"" + VICTIM + "\"]}", runner.token()),
                    "session:run");
            assertEquals(sessions, get("/api/v1/sessions").body().get("sessions").size());
            assertEquals(before, agent(VICTIM));
            untouched(m);
        });
    }

    // ================================================================ revoked, expired and out-of-window tokens

    @Test
    public void deadTokensAreRefusedAtSignIn() throws Exception {
        String[] strong = {"tool:invoke:*", "filesystem:write", "filesystem:read", "tool:read", "system:read",
            "token:issue", "agent:*"};
        Token revoked = issue("hc-revoked", 600, strong);
        Response c = postJson("/api/v1/tokens/delegate", "{\"subject\":\"hc-revoked-child\",\"permissions\":"
                + "[\"tool:invoke:file-writer\",\"filesystem:write\"]}", revoked.token());
        assertEquals(String.valueOf(c.body()), 201, c.status());
        String orphan = c.body().get("token").asText();
        assertEquals(200, invoke(revoked.token(), "file-reader", Map.of("path", "hc-nothing")).status());
        revoke(revoked);

        attempt("revoked: calling file-writer is 401 and writes nothing", () -> {
            Mark m = mark();
            unauthorized(invoke(revoked.token(), "file-writer", Map.of("path", "hc-revoked.txt", "content", "x")));
            assertAbsent("hc-revoked.txt");
            untouched(m, "file-writer");
        });
        attempt("revoked: 'Authorization: bearer' in lower case is still 401 and writes nothing", () -> {
            Mark m = mark();
            HttpResponse<String> r = raw("POST", "/api/v1/tools/file-writer/invoke", "application/json",
                    "{\"arguments\":{\"path\":\"hc-lower.txt\",\"content\":\"x\"}}",
                    "Authorization", "bearer " + revoked.token());
            evidence = r.statusCode() + " " + r.body();
            assertEquals(r.body(), 401, r.statusCode());
            assertTrue(r.body(), r.body().contains("a valid capability token is required"));
            assertAbsent("hc-lower.txt");
            untouched(m, "file-writer");
        });
        attempt("revoked: POST /tokens is 401 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens", "{\"subject\":\"hc-heir\",\"permissions\":[\"tool:read\"]}",
                    revoked.token());
            unauthorized(r);
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("revoked: GET /health with a revoked system:read token shows only the status", () -> {
            Response r = request("GET", "/api/v1/health", revoked.token(), null, null);
            evidence = r.status() + " " + r.body();
            assertEquals(200, r.status());
            assertEquals(JSON.readTree("{\"status\":\"UP\"}"), r.body());
        });
        attempt("revoked parent: its child calling file-writer is 401 and writes nothing", () -> {
            Mark m = mark();
            unauthorized(invoke(orphan, "file-writer", Map.of("path", "hc-orphan.txt", "content", "x")));
            assertAbsent("hc-orphan.txt");
            untouched(m, "file-writer");
        });
        attempt("revoked: /kernel/submit with it as bearer and capability is 401 and schedules nothing", () -> {
            Mark m = mark();
            unauthorized(postJson("/api/v1/kernel/submit", submitBody("hc-revoked", revoked.token()),
                    revoked.token()));
            untouched(m);
        });

        Token expiring = issue("hc-expiring", 1, strong);
        LocalTime now = LocalTime.now(ZoneOffset.UTC);
        String window = hhmm(now.plusHours(2)) + "-" + hhmm(now.plusHours(3));
        Response w = postJson("/api/v1/tokens/delegate", "{\"subject\":\"hc-night-shift\",\"permissions\":"
                + "[\"tool:invoke:file-writer\",\"filesystem:write\",\"token:issue\"],\"windows\":[\"" + window + "\"]}",
                issue("hc-day-shift", 600, strong).token());
        assertEquals(String.valueOf(w.body()), 201, w.status());
        String outOfWindow = w.body().get("token").asText();

        attempt("expired: calling file-writer after expiry and the clock skew is 401 and writes nothing", () -> {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> request("GET", "/api/v1/tools", expiring.token(), null, null).status() == 401);
            Mark m = mark();
            unauthorized(invoke(expiring.token(), "file-writer", Map.of("path", "hc-expired.txt", "content", "x")));
            assertAbsent("hc-expired.txt");
            untouched(m, "file-writer");
        });
        attempt("expired: delegating a fresh child from it is 401 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens/delegate", "{\"permissions\":[\"tool:read\"],\"ttlSeconds\":60}",
                    expiring.token());
            unauthorized(r);
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("outside its window (" + window + " UTC): calling file-writer is 401 and writes nothing", () -> {
            Mark m = mark();
            unauthorized(invoke(outOfWindow, "file-writer", Map.of("path", "hc-window.txt", "content", "x")));
            assertAbsent("hc-window.txt");
            untouched(m, "file-writer");
        });
        attempt("outside its window: issuing a token without the window is 401 and mints nothing", () -> {
            Mark m = mark();
            Response r = postJson("/api/v1/tokens", "{\"subject\":\"hc-anytime\",\"permissions\":[\"tool:read\"]}",
                    outOfWindow);
            unauthorized(r);
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
    }

    // ================================================================ no token, and protocol tricks

    @Test
    public void anonymousCallersAndProtocolTricksLearnAndDoNothing() throws Exception {
        Token narrow = issue("hc-tricks", 600, "tool:read");
        attempt("anonymous: GET /health answers only the status", () -> {
            Response r = request("GET", "/api/v1/health", null, null, null);
            evidence = r.status() + " " + r.body();
            assertEquals(200, r.status());
            assertEquals(JSON.readTree("{\"status\":\"UP\"}"), r.body());
        });
        attempt("anonymous: GET /tools/{name} does not reveal whether a tool exists", () -> {
            Response missing = request("GET", "/api/v1/tools/hc-nonexistent", null, null, null);
            Response present = request("GET", "/api/v1/tools/file-reader", null, null, null);
            evidence = missing.status() + " " + missing.body() + " / " + present.status() + " " + present.body();
            assertEquals(401, missing.status());
            assertEquals(401, present.status());
            assertEquals(withoutInstance(missing.body()), withoutInstance(present.body()));
        });
        attempt("anonymous: POST /tools/{name}/invoke does not reveal whether a tool exists, writes nothing", () -> {
            byte[] body = "{\"arguments\":{\"path\":\"hc-anon.txt\",\"content\":\"x\"}}".getBytes(StandardCharsets.UTF_8);
            Response missing = request("POST", "/api/v1/tools/hc-nonexistent/invoke", null, "application/json", body);
            Response present = request("POST", "/api/v1/tools/file-writer/invoke", null, "application/json", body);
            evidence = missing.status() + " / " + present.status();
            assertEquals(401, missing.status());
            assertEquals(401, present.status());
            assertEquals(withoutInstance(missing.body()), withoutInstance(present.body()));
            assertAbsent("hc-anon.txt");
        });
        attempt("anonymous: a token in the query string is not a token", () -> {
            Mark m = mark();
            Response r = request("POST", "/api/v1/tokens?access_token=" + adminToken(), null, "application/json",
                    "{\"subject\":\"hc-query\",\"permissions\":[\"*\"]}".getBytes(StandardCharsets.UTF_8));
            unauthorized(r);
            noJwt(String.valueOf(r.body()));
            untouched(m);
        });
        attempt("two Authorization headers (narrow, then admin) never act as admin", () -> {
            Mark m = mark();
            HttpResponse<String> r = raw("POST", "/api/v1/tokens", "application/json",
                    "{\"subject\":\"hc-double\",\"permissions\":[\"*\"],\"ttlSeconds\":60}",
                    "Authorization", "Bearer " + narrow.token(), "Authorization", "Bearer " + adminToken());
            evidence = r.statusCode() + " " + r.body();
            assertTrue(r.statusCode() + " " + r.body(), r.statusCode() == 400 || r.statusCode() == 401
                    || r.statusCode() == 403);
            noJwt(r.body());
            untouched(m);
        });
        attempt("path traversal in the tool name (..%2f..%2fetc%2fpasswd), even as admin, runs nothing", () -> {
            Mark m = mark();
            for (String path : List.of("/api/v1/tools/..%2f..%2fetc%2fpasswd/invoke",
                    "/api/v1/tools/%2e%2e%2f%2e%2e%2fetc%2fpasswd/invoke", "/api/v1/tools/..%5c..%5cetc/invoke")) {
                HttpResponse<String> r = raw("POST", path, "application/json", "{\"arguments\":{\"path\":\"passwd\"}}",
                        "Authorization", "Bearer " + adminToken());
                assertTrue(path + ": " + r.statusCode() + " " + r.body(), r.statusCode() >= 400 && r.statusCode() < 500);
                assertFalse(path + ": " + r.body(), r.body().contains("root:"));
                evidence = (evidence == null ? "" : evidence + " | ") + r.statusCode();
            }
            untouched(m, "file-reader");
        });
        attempt("a 2 MiB JSON body, even as admin, is 413 and writes nothing", () -> {
            Mark m = mark();
            String body = "{\"arguments\":{\"path\":\"hc-huge.txt\",\"content\":\"" + "A".repeat(2 * 1024 * 1024)
                    + "\"}}";
            try {
                HttpResponse<String> r = raw("POST", "/api/v1/tools/file-writer/invoke", "application/json", body,
                        "Authorization", "Bearer " + adminToken());
                assertEquals(r.body(), 413, r.statusCode());
                evidence = r.statusCode() + " " + r.body();
            } catch (IOException closed) {
                evidence = "connection closed: " + closed;
                // the server may close the connection instead of reading 2 MiB it will not use: also a refusal
            }
            assertAbsent("hc-huge.txt");
            assertEquals(200, get("/api/v1/health").status());
            untouched(m, "file-writer");
        });
        attempt("JSON nested 100,000 deep, even as admin, is 400 (not 500) and writes nothing", () -> {
            Mark m = mark();
            String body = "{\"arguments\":{\"path\":\"hc-deep.txt\",\"content\":\"x\",\"deep\":" + "[".repeat(100_000)
                    + "]".repeat(100_000) + "}}";
            HttpResponse<String> r = raw("POST", "/api/v1/tools/file-writer/invoke", "application/json", body,
                    "Authorization", "Bearer " + adminToken());
            assertEquals(r.body(), 400, r.statusCode());
            evidence = r.statusCode() + " " + r.body();
            assertAbsent("hc-deep.txt");
            untouched(m, "file-writer");
        });
    }

    // ================================================================ run-command's argument policies

    @Test
    public void runCommandRefusesArgumentsThatRunOrWrite() throws Exception {
        Token runner = issue("hc-cmd", 600, "tool:invoke:run-command", "process:spawn");
        Files.writeString(workspace.resolve("hc-keep-me.txt"), "keep\n");
        attempt("run-command: find -exec runs nothing", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "find",
                    "args", List.of(".", "-maxdepth", "0", "-exec", "echo", "PWNED-{}", ";")));
            commandRefused(r, "-exec", "PWNED");
        });
        attempt("run-command: find -execdir runs nothing", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "find",
                    "args", List.of(".", "-maxdepth", "1", "-name", "hc-keep-me.txt", "-execdir", "echo", "PWNED-{}", ";")));
            commandRefused(r, "-execdir", "PWNED");
        });
        attempt("run-command: find -ok runs nothing", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "find",
                    "args", List.of(".", "-maxdepth", "0", "-ok", "echo", "PWNED-{}", ";"), "stdin", "y\n"));
            commandRefused(r, "-ok", "PWNED");
        });
        attempt("run-command: find -okdir runs nothing", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "find",
                    "args", List.of(".", "-maxdepth", "0", "-okdir", "echo", "PWNED-{}", ";"), "stdin", "y\n"));
            commandRefused(r, "-okdir", "PWNED");
        });
        attempt("run-command: find -delete deletes nothing", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "find",
                    "args", List.of(".", "-name", "hc-keep-me.txt", "-delete")));
            commandRefused(r, "-delete", "PWNED");
            assertTrue(Files.exists(workspace.resolve("hc-keep-me.txt")));
        });
        attempt("run-command: find -fprint writes nothing", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "find",
                    "args", List.of(".", "-maxdepth", "0", "-fprint", "hc-fprint.txt")));
            commandRefused(r, "-fprint", "PWNED");
            assertAbsent("hc-fprint.txt");
        });
        attempt("run-command: sh -c is not an allowed program", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "sh",
                    "args", List.of("-c", "echo PWNED")));
            commandRefused(r, "not allowed", "PWNED");
        });
        attempt("run-command: /usr/bin/env is not an allowed program", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "/usr/bin/env",
                    "args", List.of("echo", "PWNED")));
            commandRefused(r, "not allowed", "PWNED");
        });
        attempt("run-command: cat of admin.token inside the sandbox leaks nothing", () -> {
            Response r = invoke(runner.token(), "run-command", Map.of("command", "cat",
                    "args", List.of(adminTokenFile.toString())));
            evidence = r.status() + " " + r.body();
            assertEquals(String.valueOf(r.body()), 200, r.status());
            assertFalse(r.body().toString(), r.body().get("success").asBoolean());
            noJwt(r.body().toString());
        });
    }

    @Test
    public void runCommandRefusesLaunchersEvenWhenConfigured() throws Exception {
        Token runner = issue("hc-cmd-config", 600, "tool:invoke:run-command", "process:spawn", "tool:read");
        Configuration c = configAdmin.getConfiguration("io.toka.tools.command", null);
        Dictionary<String, Object> original = c.getProperties();
        Hashtable<String, Object> launchers = new Hashtable<>();
        if (original != null) {
            for (Enumeration<String> keys = original.keys(); keys.hasMoreElements(); ) {
                String k = keys.nextElement();
                launchers.put(k, original.get(k));
            }
        }
        launchers.put("allowedCommands", "/usr/bin/echo, /usr/bin/env, /usr/bin/xargs");
        c.update(launchers);
        try {
            attempt("run-command configured with env and xargs: no launcher runs", () -> {
                // applied asynchronously: wait for the tool service that carries the new configuration
                await().atMost(Duration.ofSeconds(30)).until(() -> runCommandConfigured("/usr/bin/env"));
                for (String program : List.of("env", "xargs")) {
                    Response r = invoke(runner.token(), "run-command", Map.of("command", program,
                            "args", List.of("echo", "PWNED-" + program)));
                    assertFalse(program + ": " + r.body(), String.valueOf(r.body()).contains("PWNED"));
                    evidence = (evidence == null ? "" : evidence + " | ") + program + ": " + r.status() + " " + r.body();
                    if (r.status() != 404) {
                        assertEquals(program + ": " + r.body(), 200, r.status());
                        assertFalse(program + ": " + r.body(), r.body().get("success").asBoolean());
                        assertFalse(program + ": " + r.body(), r.body().path("structured").has("exit_code"));
                    }
                }
                // the tool refused its configuration: it is not listed
                assertEquals(404, get("/api/v1/tools/run-command").status());
            });
        } finally {
            c.update(original);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> !runCommandConfigured("/usr/bin/env")
                    && get("/api/v1/tools/run-command").status() == 200);
        }
    }

    /** Whether a run-command tool service is registered with this program among its allowed commands. */
    private boolean runCommandConfigured(String program) throws Exception {
        for (ServiceReference<Tool> ref : bundleContext.getServiceReferences(Tool.class,
                "(" + Tool.NAME + "=run-command)")) {
            Object allowed = ref.getProperty("allowedCommands");
            String text = allowed instanceof String[] a ? String.join(",", a) : String.valueOf(allowed);
            if (text.contains(program)) {
                return true;
            }
        }
        return false;
    }

    // ================================================================ attempts and their checks

    /** Runs one attempt; a failure is recorded with the attempt's name and reported after the test. */
    private void attempt(String name, Attempt body) {
        attempted.add(name);
        evidence = null;
        try {
            body.run();
            LOG.info("Refused as it should be: {} -> {}", name, evidence);
        } catch (Throwable t) { // NOPMD: every attempt runs, and each one that got through is named
            LOG.warn("NOT refused as it should be: {} -> {}", name, t.toString());
            failures.add("  - " + name + ": " + t);
        }
    }

    /** Where things stand, once every event posted so far is stored (tokens issued while setting up included). */
    private Mark mark() throws Exception {
        barrier();
        return new Mark(audit.size(), lastSeq());
    }

    private long lastSeq() throws Exception {
        return get("/api/v1/events/store").body().get("lastSeq").asLong();
    }

    /**
     * Nothing happened since the mark: no token minted or revoked and no key rotated (audit), no kernel operation and
     * none of the given tools run (events, read after a barrier, since tool calls and token events are written in
     * the background).
     */
    private void untouched(Mark m, String... tools) throws Exception {
        List<AuditEvent> since = List.copyOf(audit.subList(Math.min(m.audit(), audit.size()), audit.size()));
        for (AuditEvent e : since) {
            assertFalse("minted, revoked or rotated: " + e, "success".equals(e.outcome()) && MINTING.contains(e.action()));
            for (String tool : tools) {
                assertFalse("allowed to call " + tool + ": " + e, "authorize".equals(e.action())
                        && "allowed".equals(e.outcome()) && ("tool.invoke:" + tool).equals(e.detail()));
            }
        }
        String barrier = barrier();
        JsonNode events = get("/api/v1/events?after=" + m.seq() + "&limit=1000").body().get("events");
        for (JsonNode e : events) {
            String kind = e.get("kind").asText();
            if (kind.equals("token.issued") && barrier.equals(e.get("payload").path("jti").asText())) {
                continue;
            }
            assertFalse("event after the attempt: " + e, FORBIDDEN_KINDS.contains(kind));
            if (kind.equals("tool.invoked")) {
                String tool = e.get("payload").path("tool").asText();
                assertFalse("tool ran: " + e, List.of(tools).contains(tool));
            }
        }
    }

    /**
     * Issues a token as admin and waits for its {@code token.issued} event: the kernel writes posted events in order,
     * so everything posted before it is stored once it is.
     *
     * @return the barrier token's id
     */
    private String barrier() throws Exception {
        long seq = lastSeq();
        String jti = issue("hc-barrier", 60, "tool:read").jti();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            JsonNode events = get("/api/v1/events?kind=token.issued&after=" + seq + "&limit=1000").body().get("events");
            for (JsonNode e : events) {
                if (jti.equals(e.get("payload").path("jti").asText())) {
                    return true;
                }
            }
            return false;
        });
        return jti;
    }

    private void refused(Shell s, String fragment) {
        evidence = s.error();
        assertNotNull("the command was not refused; it printed: " + s.output(), s.error());
        assertTrue("refused, but not with '" + fragment + "': " + s.error(), s.error().contains(fragment));
    }

    private void forbidden(Response r, String fragment) {
        evidence = r.status() + " " + r.body();
        assertEquals(String.valueOf(r.body()), 403, r.status());
        assertTrue(String.valueOf(r.body()), r.body().get("detail").asText().contains(fragment));
        noJwt(String.valueOf(r.body()));
    }

    private void unauthorized(Response r) {
        evidence = r.status() + " " + r.body();
        assertEquals(String.valueOf(r.body()), 401, r.status());
        assertTrue(String.valueOf(r.body()), r.body().get("detail").asText().startsWith("a valid capability token is required"));
        noJwt(String.valueOf(r.body()));
    }

    /** The tool was called and refused the request itself; its answer holds no token. */
    private void toolRefused(Response r, String fragment) {
        evidence = r.status() + " " + r.body();
        assertEquals(String.valueOf(r.body()), 200, r.status());
        assertFalse(r.body().toString(), r.body().get("success").asBoolean());
        assertTrue(r.body().toString(), r.body().get("output").asText().contains(fragment));
        noJwt(r.body().toString());
    }

    /** run-command refused the call before running anything: no output of the program. */
    private void commandRefused(Response r, String fragment, String marker) {
        evidence = r.status() + " " + r.body();
        assertEquals(String.valueOf(r.body()), 200, r.status());
        assertFalse(r.body().toString(), r.body().get("success").asBoolean());
        String output = r.body().get("output").asText();
        assertTrue(output, output.contains(fragment));
        assertTrue(output, output.contains("refused") || output.contains("not allowed"));
        assertFalse(r.body().toString(), r.body().path("structured").path("stdout").asText().contains(marker));
        assertFalse(r.body().toString(), r.body().path("structured").has("exit_code"));
    }

    private static void noJwt(String text) {
        assertFalse("a token was shown: " + text, JWT.matcher(String.valueOf(text)).find());
    }

    private void assertAbsent(String workspaceFile) {
        assertTrue(workspaceFile + " was written", Files.notExists(workspace.resolve(workspaceFile)));
    }

    /** No execution was recorded for the subject: nothing ran through the runtime manager for it. */
    private void noExecutionBy(String subject) throws Exception {
        for (JsonNode e : get("/api/v1/executions?limit=1000").body().get("executions")) {
            assertNotEquals("an execution ran for " + subject + ": " + e, subject, e.get("subject").asText());
        }
    }

    // ================================================================ callers

    private Token issue(String subject, int ttlSeconds, String... permissions) throws Exception {
        Response r = postJson("/api/v1/tokens", "{\"subject\":\"" + subject + "\",\"permissions\":"
                + JSON.writeValueAsString(List.of(permissions)) + ",\"ttlSeconds\":" + ttlSeconds + "}");
        assertEquals(String.valueOf(r.body()), 201, r.status());
        return new Token(r.body().get("token").asText(), r.body().get("jti").asText());
    }

    private void revoke(Token t) throws Exception {
        Response r = request("DELETE", "/api/v1/tokens/" + t.jti(), adminToken(), null, null);
        assertEquals(String.valueOf(r.body()), 200, r.status());
    }

    private Response invoke(String token, String tool, Map<String, Object> arguments) throws Exception {
        return postJson("/api/v1/tools/" + tool + "/invoke", JSON.writeValueAsString(Map.of("arguments", arguments)),
                token);
    }

    /** The agent as admin sees it: configuration, source and last run. */
    private JsonNode agent(String name) throws Exception {
        Response r = get("/api/v1/agents/" + name);
        assertEquals(200, r.status());
        return r.body();
    }

    /** A token whose payload was rewritten (one permission replaced) and whose signature was kept. */
    private static String forge(String token, String from, String to) {
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace(from, to);
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    }

    private static String submitBody(String origin, String capability) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("origin", origin);
        if (capability != null) {
            body.put("capability", capability);
        }
        body.putObject("operation").putObject("ScheduleAgentTask").put("agent", VICTIM).put("task", "hc-evil-task");
        return JSON.writeValueAsString(body);
    }

    private static JsonNode withoutInstance(JsonNode problem) {
        ObjectNode copy = problem.deepCopy();
        copy.remove("instance");
        return copy;
    }

    private static String hhmm(LocalTime t) {
        return String.format("%02d:%02d", t.getHour(), t.getMinute());
    }

    /** Sends a request with exactly these headers (name, value, name, value...), which may repeat. */
    private HttpResponse<String> raw(String method, String path, String contentType, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private Shell shellWithoutLogin(String command) {
        return shell(command, null);
    }

    private Shell shellAs(String user, String role, String command) {
        Subject subject = new Subject();
        subject.getPrincipals().add(new UserPrincipal(user));
        subject.getPrincipals().add(new RolePrincipal(role));
        return shell(command, subject);
    }

    /** Runs a command in a real Karaf shell session, keeping what it printed even when it fails. */
    private Shell shell(String command, Subject subject) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        PrivilegedExceptionAction<Void> run = () -> {
            Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out);
            try {
                session.execute(command);
            } finally {
                session.close();
            }
            return null;
        };
        String error = null;
        try {
            if (subject == null) {
                run.run();
            } else {
                Subject.doAs(subject, run);
            }
        } catch (PrivilegedActionException e) {
            error = String.valueOf(e.getException().getMessage());
        } catch (Exception e) {
            error = String.valueOf(e.getMessage());
        }
        return new Shell(bytes.toString(StandardCharsets.UTF_8), error);
    }

    private void plantEvilAgentDirectory() throws IOException {
        Path dir = workspace.resolve("hc-agents");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("evil.yaml"), agentYaml("hc-evil", "Escape"));
    }

    private static String agentJson(String name, String task) throws IOException {
        return JSON.writeValueAsString(new ObjectMapper(new YAMLFactory()).readTree(agentYaml(name, task)));
    }

    private static String agentYaml(String name, String task) {
        return """
                metadata:
                  name: %s
                  version: v1.0.0
                  workstream: Itest
                spec:
                  name: %s agent
                  domain: documentation
                  priority: medium
                capabilities:
                  primary: [file-summarization]
                objectives:
                  - description: Do the task
                    deliverable: the task done
                tasks:
                  default:
                    - description: %s
                      priority: high
                dependencies:
                  required: {}
                security:
                  sandbox: true
                  capabilities_required: [filesystem:read]
                  resource_limits:
                    max_memory: 256MB
                    max_cpu: 50%%
                    timeout: 2m
                """.formatted(name, name, task);
    }
}
