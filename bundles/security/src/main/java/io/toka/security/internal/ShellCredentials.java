package io.toka.security.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Karaf ships with no shell user, and Toka ships no fixed password. On first start, when {@code etc/users.properties}
 * defines no user, this creates {@code admin} with a random password and writes the password to
 * {@code ${karaf.data}/toka/shell.password}, both readable by their owner only, and logs where it is.
 */
@Component(immediate = true, service = {})
public final class ShellCredentials {

    private static final Logger LOG = LoggerFactory.getLogger(ShellCredentials.class);

    @Activate
    public ShellCredentials() {
        String etc = System.getProperty("karaf.etc");
        String data = System.getProperty("karaf.data");
        if (etc == null || data == null) {
            return;
        }
        try {
            ensureAdmin(Path.of(etc, "users.properties"), Path.of(data, "toka", "shell.password"), new SecureRandom());
        } catch (IOException e) {
            LOG.error("Cannot create the shell admin user in {}/users.properties", etc, e);
        }
    }

    /**
     * Adds an admin user if the file has no user.
     *
     * @return whether a user was created
     */
    static boolean ensureAdmin(Path users, Path passwordFile, SecureRandom random) throws IOException {
        List<String> lines = Files.exists(users) ? Files.readAllLines(users, StandardCharsets.ISO_8859_1) : List.of();
        for (String line : lines) {
            String t = line.trim();
            if (!t.isEmpty() && !t.startsWith("#") && !t.startsWith("!") && !t.startsWith("_g_") && t.contains("=")) {
                return false;
            }
        }
        byte[] bytes = new byte[15];
        random.nextBytes(bytes);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        SecureFiles.directory(passwordFile.getParent());
        SecureFiles.writeAtomically(passwordFile, (password + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder content = new StringBuilder();
        lines.forEach(l -> content.append(l).append('\n'));
        content.append("admin = ").append(password).append(",_g_:admingroup\n");
        if (lines.stream().noneMatch(l -> l.trim().startsWith("_g_\\:admingroup"))) {
            content.append("_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n");
        }
        SecureFiles.writeAtomically(users, content.toString().getBytes(StandardCharsets.ISO_8859_1));
        LOG.info("Created the shell user 'admin'; its password is in {} (readable by its owner only)", passwordFile);
        return true;
    }
}
