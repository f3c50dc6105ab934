package io.toka.cli;

import io.toka.client.TokenText;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * The capability token: from {@code --token-file}, else {@code $TOKA_TOKEN_FILE}, else {@code $TOKA_TOKEN}, else
 * Toka's admin token {@code $TOKA_HOME/data/toka/admin.token}. Never from the command line, where {@code ps} and
 * the shell history would show it.
 *
 * @param token the token
 * @param origin where it came from, for messages (never the token itself)
 */
record TokenSource(String token, String origin) {

    /** A token file larger than this is not a token. */
    private static final long MAX_FILE_SIZE = 64 * 1024;

    /**
     * @param tokenFile the {@code --token-file} option, or null
     * @param env the environment
     * @param err where the warning about a file others can read goes
     * @return the token
     * @throws CliException (usage) if there is none, or it cannot be read, or it is not one token
     */
    static TokenSource resolve(String tokenFile, Map<String, String> env, PrintStream err) throws CliException {
        if (tokenFile != null) {
            return fromFile(path(tokenFile, "--token-file"), "--token-file", err);
        }
        String envFile = env.get("TOKA_TOKEN_FILE");
        if (envFile != null && !envFile.isBlank()) {
            return fromFile(path(envFile.trim(), "TOKA_TOKEN_FILE"), "TOKA_TOKEN_FILE", err);
        }
        String envToken = env.get("TOKA_TOKEN");
        if (envToken != null && !envToken.isBlank()) {
            String where = "the environment variable TOKA_TOKEN";
            return new TokenSource(check(envToken.strip(), where), where);
        }
        String home = env.get("TOKA_HOME");
        if (home != null && !home.isBlank()) {
            return fromFile(path(home.trim(), "TOKA_HOME").resolve("data/toka/admin.token"),
                    "Toka's admin token, from TOKA_HOME", err);
        }
        throw CliException.usage("no token: set TOKA_TOKEN, or pass --token-file PATH (or set TOKA_TOKEN_FILE), or "
                + "set TOKA_HOME=<Toka's directory> to use its admin token (data/toka/admin.token); bin/toka sets "
                + "TOKA_HOME for you");
    }

    private static Path path(String text, String what) throws CliException {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw CliException.usage(what + ": not a valid path: " + Args.shorten(text));
        }
    }

    private static TokenSource fromFile(Path file, String how, PrintStream err) throws CliException {
        String origin = file + " (" + how + ")";
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attrs.isRegularFile()) {
                throw CliException.usage("the token file " + origin + " is not a regular file");
            }
            if (attrs.size() > MAX_FILE_SIZE) {
                throw CliException.usage("the token file " + origin + " is " + attrs.size()
                        + " bytes long: that is not a token");
            }
            String token = check(Files.readString(file, StandardCharsets.UTF_8).strip(), "the token file " + origin);
            warnIfShared(file, err);
            return new TokenSource(token, origin);
        } catch (NoSuchFileException e) {
            throw CliException.usage("the token file " + origin + " does not exist"
                    + (how.startsWith("Toka's admin") ? "; has Toka been started once? It writes its admin token there"
                    : ""));
        } catch (AccessDeniedException e) {
            throw CliException.usage("the token file " + origin + " cannot be read: permission denied");
        } catch (IOException e) {
            throw CliException.usage("the token file " + origin + " cannot be read: " + e.getMessage());
        }
    }

    /** The token goes into an HTTP header: only visible ASCII, one line, or a request could be smuggled. */
    private static String check(String token, String where) throws CliException {
        String problem = TokenText.problem(token, where);
        if (problem != null) {
            throw CliException.usage(problem);
        }
        return token;
    }

    private static void warnIfShared(Path file, PrintStream err) {
        String warning = TokenText.sharedWarning(file);
        if (warning != null) {
            err.println("toka: warning: " + warning);
        }
    }
}
