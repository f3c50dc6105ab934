package io.toka.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Checks of a capability token a client read from a file or the environment, before it goes into a header. */
public final class TokenText {

    private TokenText() {
    }

    /**
     * What is wrong with a token: it goes into an HTTP header, so only one line of visible ASCII will do, or a
     * request could be smuggled.
     *
     * @param token the token, already stripped of surrounding white space
     * @param where where it came from, e.g. "the token file /x" or "TOKA_TOKEN"
     * @return the problem, starting with {@code where}, or null when the token is usable
     */
    public static String problem(String token, String where) {
        if (token.isEmpty()) {
            return where + " is empty";
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return where + " does not hold one token: it contains "
                        + (c == '\n' || c == '\r' ? "more than one line" : c == ' ' || c == '\t' ? "white space"
                        : "a character that cannot go into an HTTP header")
                        + " (expected a single line such as the content of data/toka/admin.token)";
            }
        }
        return null;
    }

    /**
     * A warning for a token file that others can read, or null.
     *
     * @param file the token file, just read
     * @return e.g. "the token file /x is readable by every user (mode rw-r--r--); anyone who can read it can act
     *         with its permissions. Run: chmod 600 /x", or null when only its owner can read it (or the file system
     *         has no POSIX permissions)
     */
    public static String sharedWarning(Path file) {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return null;
        }
        try {
            Set<PosixFilePermission> p = view.readAttributes().permissions();
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                return "the token file " + file + " is readable by "
                        + (p.contains(PosixFilePermission.OTHERS_READ) ? "every user" : "its group") + " (mode "
                        + PosixFilePermissions.toString(p) + "); anyone who can read it can act with its "
                        + "permissions. Run: chmod 600 " + file;
            }
        } catch (IOException e) {
            // the file was just read, so this is unlikely; the warning is advisory
        }
        return null;
    }
}
