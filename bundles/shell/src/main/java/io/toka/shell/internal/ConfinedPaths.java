package io.toka.shell.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where shell commands may make Toka's JVM look on a user's behalf: only under Toka's own directories (the
 * workspace, and the script tools directory), never anywhere else on the host. The JVM runs with more rights than the
 * shell user has been given, so a path a user names is resolved against these roots and its real path (symbolic
 * links followed) must stay inside one of them.
 */
final class ConfinedPaths {

    private ConfinedPaths() {
    }

    /** @return the Karaf base directory */
    static Path base() {
        return Path.of(System.getProperty("karaf.base", System.getProperty("user.dir")));
    }

    /** @return the workspace the file tools see */
    static Path workspace() {
        return base().resolve("workspace");
    }

    /** @return the directory of script tools */
    static Path toolsDir() {
        return base().resolve("tools");
    }

    /**
     * Resolves a path a user named inside one of the roots.
     *
     * @param userPath the path as typed: relative to the first root, or absolute
     * @param roots the directories it may lead into, the first being where relative paths start
     * @return the real path, inside a root
     * @throws IllegalArgumentException if it does not exist, or leads outside every root; the message names the
     *     roots but not what lies outside them
     */
    static Path resolve(String userPath, List<Path> roots) {
        if (userPath == null || userPath.isBlank()) {
            throw new IllegalArgumentException("name a path inside " + describe(roots));
        }
        Path given = Path.of(userPath);
        Path candidate = given.isAbsolute() ? given : roots.get(0).resolve(given);
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("'" + userPath + "' does not exist inside " + describe(roots));
        } catch (IOException e) {
            throw new IllegalArgumentException("'" + userPath + "' cannot be read inside " + describe(roots));
        }
        for (Path root : roots) {
            Path realRoot;
            try {
                realRoot = root.toRealPath();
            } catch (IOException e) {
                continue;
            }
            if (real.startsWith(realRoot)) {
                return real;
            }
        }
        throw new IllegalArgumentException("'" + userPath + "' is outside " + describe(roots)
                + "; Toka reads only its own directories for shell commands");
    }

    private static String describe(List<Path> roots) {
        return roots.size() == 1 ? "the directory " + roots.get(0) : "the directories " + roots;
    }

    /**
     * Refuses the old {@code @file} form of a token argument: Toka's JVM would read the file with its own rights.
     *
     * @param arg a token as typed
     * @return the token, trimmed
     */
    static String token(String arg) {
        String t = arg == null ? "" : arg.trim();
        if (t.startsWith("@")) {
            throw new IllegalArgumentException("Toka does not read token files for shell commands; pass the token "
                    + "itself, e.g. --token \"$(cat token-file)\" from your own shell");
        }
        return t;
    }

    /** Reads a file already confined by {@link #resolve}, up to a size. */
    static byte[] read(Path real, long maxBytes, String userPath) throws IOException {
        if (!Files.isRegularFile(real)) {
            throw new IllegalArgumentException("'" + userPath + "' is not a file");
        }
        long size = Files.size(real);
        if (size > maxBytes) {
            throw new IllegalArgumentException("'" + userPath + "' is " + size + " bytes; the limit is " + maxBytes);
        }
        return Files.readAllBytes(real);
    }
}
