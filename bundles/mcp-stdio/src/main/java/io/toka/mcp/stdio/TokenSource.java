package io.toka.mcp.stdio;

import io.toka.client.TokenText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * Where the bridge gets its capability token: a file ({@code --token-file}, else {@code $TOKA_TOKEN_FILE}), the
 * environment variable {@code TOKA_TOKEN}, else {@code $TOKA_HOME/data/toka/admin.token}. Never the command line.
 *
 * <p>A file is read again when it changes ({@link #reload()}), because Toka re-mints its admin token before it
 * expires: a bridge started hours ago picks the new one up at its next 401 instead of failing until restarted.
 */
final class TokenSource {

    /** A token file larger than this is not a token. */
    private static final long MAX_FILE_SIZE = 64 * 1024;

    /** No usable token; the message names where it looked and what to do. */
    static final class TokenException extends Exception {
        private static final long serialVersionUID = 1L;

        TokenException(String message) {
            super(message);
        }
    }

    /** How the admin token file was chosen. */
    private static final String ADMIN = "Toka's admin token, from TOKA_HOME";

    private final Path file;
    /** How the file was chosen, or where the token came from when there is no file. */
    private final String origin;
    private volatile String token;
    private long stamp;

    private TokenSource(Path file, String origin, String token, long stamp) {
        this.file = file;
        this.origin = origin;
        this.token = token;
        this.stamp = stamp;
    }

    /**
     * Finds and reads the token.
     *
     * @param tokenFile the {@code --token-file} option, or null
     * @param env the environment
     * @param log where the permission warning goes
     * @return the token source
     * @throws TokenException if there is no token, or it cannot be read, or it is not a plausible token
     */
    static TokenSource resolve(Path tokenFile, Map<String, String> env, Log log) throws TokenException {
        if (tokenFile != null) {
            return fromFile(tokenFile, "--token-file", log);
        }
        String envFile = env.get("TOKA_TOKEN_FILE");
        if (envFile != null && !envFile.isBlank()) {
            return fromFile(Path.of(envFile.trim()), "TOKA_TOKEN_FILE", log);
        }
        String envToken = env.get("TOKA_TOKEN");
        if (envToken != null && !envToken.isBlank()) {
            return new TokenSource(null, "the environment variable TOKA_TOKEN", check(envToken.trim(),
                    "the environment variable TOKA_TOKEN"), 0);
        }
        String home = env.get("TOKA_HOME");
        if (home != null && !home.isBlank()) {
            Path admin = Path.of(home.trim(), "data", "toka", "admin.token");
            return fromFile(admin, ADMIN, log);
        }
        throw new TokenException("no token: pass --token-file PATH, or set TOKA_TOKEN_FILE=PATH or TOKA_TOKEN, or "
                + "TOKA_HOME=<Toka's directory> to use its admin token (data/toka/admin.token); bin/toka-mcp sets "
                + "TOKA_HOME for you");
    }

    private static TokenSource fromFile(Path file, String origin, Log log) throws TokenException {
        TokenSource source = new TokenSource(file, origin, null, 0);
        source.token = source.read();
        warnIfShared(file, log);
        return source;
    }

    /** @return the current token */
    String token() {
        return token;
    }

    /** @return where the token comes from, for messages (never the token itself) */
    String origin() {
        return file == null ? origin : file + " (" + origin + ")";
    }

    /**
     * Reads the token file again if it changed since it was last read.
     *
     * @return whether the token is now different
     */
    synchronized boolean reload() {
        if (file == null) {
            return false;
        }
        try {
            if (stampOf(file) == stamp) {
                return false;
            }
            String before = token;
            token = read();
            return !token.equals(before);
        } catch (IOException | TokenException e) {
            return false;
        }
    }

    private synchronized String read() throws TokenException {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attrs.isRegularFile()) {
                throw new TokenException("the token file " + origin() + " is not a regular file");
            }
            if (attrs.size() > MAX_FILE_SIZE) {
                throw new TokenException("the token file " + file + " is " + attrs.size()
                        + " bytes long: that is not a token");
            }
            long s = stampOf(file);
            String text = Files.readString(file, StandardCharsets.UTF_8);
            stamp = s;
            return check(text.strip(), "the token file " + file);
        } catch (NoSuchFileException e) {
            throw new TokenException("the token file " + origin() + " does not exist"
                    + (origin.equals(ADMIN) ? "; has Toka been started once? It writes its admin token there" : ""));
        } catch (AccessDeniedException e) {
            throw new TokenException("the token file " + origin() + " cannot be read: permission denied");
        } catch (IOException e) {
            throw new TokenException("the token file " + origin() + " cannot be read: " + e);
        }
    }

    private static long stampOf(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return a.lastModifiedTime().toMillis() * 31 + a.size();
    }

    /** The token goes into an HTTP header: only visible ASCII, one line, or a request could be smuggled. */
    private static String check(String token, String where) throws TokenException {
        String problem = TokenText.problem(token, where);
        if (problem != null) {
            throw new TokenException(problem);
        }
        return token;
    }

    private static void warnIfShared(Path file, Log log) {
        String warning = TokenText.sharedWarning(file);
        if (warning != null) {
            log.info("warning: " + warning);
        }
    }
}
