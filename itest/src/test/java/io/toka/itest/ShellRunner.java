package io.toka.itest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import javax.security.auth.Subject;
import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;

/** Runs shell commands in a real Karaf shell session, as a logged-in user or without a login. */
final class ShellRunner {

    private final SessionFactory sessionFactory;

    ShellRunner(SessionFactory sessionFactory) {
        this.sessionFactory = sessionFactory;
    }

    /** Runs a command as the logged-in Karaf user "admin" (roles admin, manager, viewer). */
    String run(String command) throws Exception {
        return runAs(command, "admin", "admin", "manager", "viewer");
    }

    /** Runs a command under a JAAS subject, as Karaf's SSH and console do after login. */
    String runAs(String command, String user, String... roles) throws Exception {
        Subject subject = new Subject();
        subject.getPrincipals().add(new UserPrincipal(user));
        for (String role : roles) {
            subject.getPrincipals().add(new RolePrincipal(role));
        }
        try {
            return Subject.doAs(subject, (PrivilegedExceptionAction<String>) () -> runWithoutLogin(command));
        } catch (PrivilegedActionException e) {
            throw e.getException();
        }
    }

    String runWithoutLogin(String command) throws Exception {
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
}
