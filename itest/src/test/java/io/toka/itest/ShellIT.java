package io.toka.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The toka:* shell commands, run in a real Karaf shell session. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellIT extends TestSupport {

    @Inject
    SessionFactory sessionFactory;

    @Before
    public void workspace() throws Exception {
        Path ws = Path.of(System.getProperty("karaf.base"), "workspace");
        Files.createDirectories(ws.resolve("sub/deeper"));
        Files.writeString(ws.resolve("note.txt"), "a note\n");
        Files.writeString(ws.resolve("sub/deeper/x.txt"), "x\n");
    }

    private String run(String command) throws Exception {
        return new ShellRunner(sessionFactory).run(command);
    }

    private String runAs(String command, String user, String... roles) throws Exception {
        return new ShellRunner(sessionFactory).runAs(command, user, roles);
    }

    private String runWithoutLogin(String command) throws Exception {
        return new ShellRunner(sessionFactory).runWithoutLogin(command);
    }

    @Test
    public void withoutALoginNoTokaCommandRuns() throws Exception {
        try {
            runWithoutLogin("toka:tool-list");
            fail("toka:tool-list ran without a logged-in user");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no logged-in user"));
        }
    }

    @Test
    public void aViewerMayListButNotInvokeOrIssue() throws Exception {
        assertTrue(runAs("toka:tool-list", "vera", "viewer").contains("file-reader"));
        for (String cmd : new String[] {"toka:tool-invoke file-reader path=note.txt", "toka:token-issue x tool:read",
                "toka:key-rotate"}) {
            try {
                runAs(cmd, "vera", "viewer");
                fail(cmd + " ran for a viewer");
            } catch (Exception e) {
                assertTrue(cmd + ": " + e.getMessage(), e.getMessage().contains("is required"));
            }
        }
    }

    @Test
    public void kernelSubmitAndEventsFromTheShell() throws Exception {
        String token = run("toka:token-issue -q --ttl 10m shell-agent agent:*").trim();
        // shell-agent is not defined: the kernel refuses the task at submit time (DurableAgentsIT schedules for a
        // defined agent)
        try {
            run("toka:kernel-submit --token " + token + " schedule shell-agent tidy the workspace");
            fail("a task for an unknown agent was accepted");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("unknown agent 'shell-agent'"));
        }
        String list = run("toka:event-list --kind task.scheduled --agent shell-agent");
        assertFalse(list, list.contains("tidy the"));
        try {
            run("toka:kernel-submit --token " + token + " --origin someone-else spawn shell-agent child");
            fail("a wrong origin was accepted");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("capability denied"));
        }
        String tail = runWithTailFollowing(token);
        assertTrue(tail, tail.contains("observation.emitted"));
    }

    /** Starts toka:event-tail --count 1, then emits an observation, and returns what the tail printed. */
    private String runWithTailFollowing(String token) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<String> tail = pool.submit(() -> run("toka:event-tail --count 1 --kind observation.emitted"));
            // the tail subscribes asynchronously: keep emitting until it has printed one
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> {
                run("toka:kernel-submit --token " + token + " observe shell-agent saw something");
                return tail.isDone();
            });
            return tail.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void tokensAndKeysFromTheShell() throws Exception {
        String token = run("toka:token-issue -q --ttl 10m agent-9 tool:invoke:file-reader filesystem:read").trim();
        assertEquals(token, 3, token.split("\\.").length);
        String child = run("toka:token-delegate -q --token " + token + " --window 00:00-23:59 tool:invoke:file-reader").trim();
        assertEquals(child, 3, child.split("\\.").length);
        try {
            run("toka:token-delegate --token " + token + " tool:invoke:*");
            fail("widening delegation was accepted");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("tool:invoke:*"));
        }
        String info = run("toka:token-issue --ttl 5m agent-10 tool:read");
        String jti = info.lines().filter(l -> l.startsWith("Id (jti):")).findFirst().orElseThrow()
                .substring("Id (jti):".length()).trim();
        assertTrue(run("toka:token-revoke " + jti).contains("Revoked " + jti));

        String before = run("toka:key-list");
        run("toka:key-rotate");
        String after = run("toka:key-list");
        assertTrue(after, after.contains("retired"));
        assertTrue(after, after.lines().count() > before.lines().count());
        assertFalse("key material must never be shown", after.contains("secret"));
    }

    @Test
    public void toolListIsSortedByName() throws Exception {
        String out = run("toka:tool-list");
        int lister = out.indexOf("file-lister");
        int reader = out.indexOf("file-reader");
        assertTrue(out, lister >= 0 && reader > lister);
    }

    @Test
    public void toolInfoShowsDescriptor() throws Exception {
        String out = run("toka:tool-info file-reader");
        assertTrue(out, out.contains("filesystem:read"));
        assertTrue(out, out.contains("io.toka.tools-native"));
    }

    @Test
    public void invokeWithKeyValueAndJson() throws Exception {
        assertEquals("a note", run("toka:tool-invoke file-reader path=note.txt").trim());
        assertEquals("a note", run("toka:tool-invoke file-reader --json '{\"path\":\"note.txt\"}'").trim());
        assertEquals("a note", run("toka:tool-invoke --json '{\"path\":\"note.txt\"}' file-reader").trim());
        String listing = run("toka:tool-invoke file-lister path=sub recursive=true");
        assertTrue(listing, listing.contains("sub/deeper/x.txt"));
    }

    @Test
    public void errorsAreOnePlainLine() throws Exception {
        for (String cmd : new String[] {"toka:tool-invoke no-such-tool", "toka:tool-invoke file-reader nonsense",
                "toka:tool-invoke file-reader path=../x", "toka:tool-info nope"}) {
            try {
                run(cmd);
                fail(cmd + " should fail");
            } catch (Exception e) {
                String msg = e.getMessage();
                assertFalse(cmd + ": " + msg, msg.contains("\n"));
                assertFalse(cmd + ": " + msg, msg.contains("Exception"));
                assertFalse(cmd + ": " + msg, msg.contains("\tat "));
            }
        }
    }
}
