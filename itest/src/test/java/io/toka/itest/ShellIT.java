package io.toka.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out);
        try {
            session.execute(command);
        } finally {
            session.close();
        }
        return bytes.toString(StandardCharsets.UTF_8);
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
