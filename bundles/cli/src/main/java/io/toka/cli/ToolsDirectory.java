package io.toka.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Map;
import java.util.Properties;

/**
 * The directory Toka watches for script tools ({@code toolsDir} in {@code etc/io.toka.tools.external.cfg}, by
 * default {@code $TOKA_HOME/tools}), written by this process, so with the caller's own user and file permissions:
 * Toka's JVM reads no path a caller names. Each file is written to a temporary file in its target directory and
 * renamed over the target, so Toka never reads half a file.
 */
final class ToolsDirectory {

    private static final String CONFIG = "etc/io.toka.tools.external.cfg";

    private final Path dir;

    private ToolsDirectory(Path dir) {
        this.dir = dir;
    }

    /** @return the directory, resolved */
    Path dir() {
        return dir;
    }

    /**
     * @param env the environment, for TOKA_HOME
     * @param url Toka's address, which must be on this machine
     * @return the tools directory
     * @throws CliException if Toka is not local, TOKA_HOME is unset or not Toka's, or the directory is not writable
     */
    static ToolsDirectory locate(Map<String, String> env, URI url) throws CliException {
        String host = url.getHost() == null ? "" : url.getHost();
        if (!(host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1"))) {
            throw CliException.usage("tools register works on the machine Toka runs on: it copies the manifests into "
                    + "Toka's tools directory, and --url " + url + " is not this machine (use 127.0.0.1 or localhost)");
        }
        String homeText = env.get("TOKA_HOME");
        if (homeText == null || homeText.isBlank()) {
            throw CliException.usage("TOKA_HOME is not set: it must name the Toka directory whose tools/ receives the "
                    + "manifests (bin/toka sets it)");
        }
        Path home;
        try {
            home = Path.of(homeText.trim()).toRealPath();
        } catch (InvalidPathException | IOException e) {
            throw CliException.usage("TOKA_HOME=" + homeText + " does not exist");
        }
        Path tools = home.resolve("tools");
        Path cfg = home.resolve(CONFIG);
        if (Files.isRegularFile(cfg)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(cfg)) {
                p.load(in);
            } catch (IOException e) {
                throw CliException.failure("cannot read " + cfg + ": " + e.getMessage());
            }
            String configured = p.getProperty("toolsDir");
            if (configured != null) {
                configured = configured.trim().replace("${karaf.base}", home.toString());
                if (configured.isEmpty()) {
                    throw CliException.failure("Toka watches no tools directory (toolsDir is empty in " + cfg
                            + "); set it, or drop manifests into deploy/");
                }
                tools = home.resolve(configured);
            }
        }
        Path real;
        try {
            real = tools.toRealPath();
        } catch (IOException e) {
            throw CliException.failure("Toka's tools directory " + tools + " does not exist; is TOKA_HOME=" + homeText
                    + " a Toka distribution?");
        }
        if (!Files.isDirectory(real)) {
            throw CliException.failure("Toka's tools directory " + real + " is not a directory");
        }
        if (!Files.isWritable(real)) {
            throw CliException.refused("Toka's tools directory " + real + " is not writable by you (user "
                    + System.getProperty("user.name") + "): run toka as the user that owns Toka, or ask them to "
                    + "register the tools");
        }
        return new ToolsDirectory(real);
    }

    /**
     * Copies a file to its path under the directory, atomically, with the source's permissions.
     *
     * @param source the file
     * @param relative where it goes, relative to the directory
     * @return the target
     * @throws CliException if the target would lie outside the directory, or writing fails
     */
    Path install(Path source, Path relative) throws CliException {
        Path target = dir.resolve(relative).normalize();
        if (!target.startsWith(dir) || target.equals(dir)) {
            throw CliException.failure(relative + " would lie outside " + dir);
        }
        try {
            Path parent = target.getParent();
            Files.createDirectories(parent);
            // a directory on the way that is a symbolic link could carry the file out of tools/
            if (!parent.toRealPath().startsWith(dir)) {
                throw CliException.failure(parent + " is a symbolic link leading out of " + dir
                        + "; nothing more was copied");
            }
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw CliException.failure(target + " is a directory; nothing more was copied");
            }
            Path temp = Files.createTempFile(parent, ".toka-", ".tmp");
            try {
                try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(temp)) {
                    in.transferTo(out);
                }
                PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
                if (view != null) {
                    view.setPermissions(Files.getPosixFilePermissions(source));
                }
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
            return target;
        } catch (IOException e) {
            throw CliException.failure("cannot write " + target + ": " + e.getMessage() + "; nothing more was copied");
        }
    }
}
