package io.toka.security.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Karaf ships with no shell user, and Toka ships no fixed password. On first start, when {@code etc/users.properties}
 * defines no user, this creates {@code admin} with a random password and writes the password to
 * {@code ${karaf.data}/toka/shell.password}, both readable by their owner only, and logs where it is.
 *
 * <p>users.properties gets the password in the form Karaf's JAAS realm checks it, read from the realm's own
 * configuration ({@value #JAAS_PID}): with encryption on and Karaf's {@code basic} service (as shipped), the digest
 * between prefix and suffix, so the plain password never reaches that file.
 */
@Component(immediate = true, service = {}, configurationPid = ShellCredentials.JAAS_PID)
public final class ShellCredentials {

    /** The PID of Karaf's JAAS realm {@code karaf}, which checks the passwords in users.properties. */
    static final String JAAS_PID = "org.apache.karaf.jaas";

    private static final Logger LOG = LoggerFactory.getLogger(ShellCredentials.class);

    /**
     * The settings of {@value #JAAS_PID} that decide how users.properties holds a password. The defaults are Karaf's
     * own (org.apache.karaf.jaas.modules.impl.Activator). Not designated: the PID and its metatype belong to Karaf.
     */
    @interface JaasEncryption {
        boolean encryption_enabled() default false;

        String encryption_name() default "basic";

        String encryption_prefix() default "{CRYPT}";

        String encryption_suffix() default "{CRYPT}";

        String encryption_algorithm() default "SHA-256";

        String encryption_encoding() default "hexadecimal";
    }

    @Activate
    public ShellCredentials(JaasEncryption jaas) {
        String etc = System.getProperty("karaf.etc");
        String data = System.getProperty("karaf.data");
        if (etc == null || data == null) {
            return;
        }
        Path users = Path.of(etc, "users.properties");
        try {
            UnaryOperator<String> storedForm = storedForm(jaas);
            if (ensureAdmin(users, Path.of(data, "toka", "shell.password"), new SecureRandom(), storedForm)) {
                logStorage(jaas, users);
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.error("Cannot create the shell admin user in {}", users, e);
        }
    }

    /**
     * The form of a password in users.properties that Karaf's PropertiesLoginModule accepts under this configuration.
     * With the {@code basic} service this mirrors Karaf's BasicEncryption and EncryptionSupport: prefix, the digest of
     * the password's bytes in upper-case hex or padded base64, suffix. Karaf digests {@code String.getBytes()} in the
     * platform charset; the generated passwords are ASCII, the same bytes in every charset Karaf can run with.
     * Encryption off or another service: the plain password (another service's format is its own; Karaf hashes a
     * plain entry itself as soon as users.properties changes).
     *
     * @throws IllegalArgumentException if the basic service's algorithm or encoding is unknown (Karaf refuses them too)
     */
    static UnaryOperator<String> storedForm(JaasEncryption jaas) {
        if (!jaas.encryption_enabled() || !"basic".equals(jaas.encryption_name().trim())) {
            return UnaryOperator.identity();
        }
        String algorithm = jaas.encryption_algorithm().trim();
        try {
            MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("encryption.algorithm '" + algorithm + "' in " + JAAS_PID
                    + " is not a digest this JVM has; use SHA-512, SHA-384 or SHA-256", e);
        }
        String encoding = jaas.encryption_encoding().trim();
        boolean hex = encoding.isEmpty() || encoding.equalsIgnoreCase("hexadecimal");
        if (!hex && !encoding.equalsIgnoreCase("base64")) {
            throw new IllegalArgumentException("encryption.encoding '" + encoding + "' in " + JAAS_PID
                    + " is not supported; use hexadecimal or base64");
        }
        String prefix = jaas.encryption_prefix();
        String suffix = jaas.encryption_suffix();
        return password -> {
            byte[] digest = digest(algorithm).digest(password.getBytes(StandardCharsets.UTF_8));
            String encoded = hex ? HexFormat.of().withUpperCase().formatHex(digest)
                    : Base64.getEncoder().encodeToString(digest);
            return prefix + encoded + suffix;
        };
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // checked in storedForm
        }
    }

    private static void logStorage(JaasEncryption jaas, Path users) {
        if (!jaas.encryption_enabled()) {
            LOG.warn("JAAS password encryption is off (encryption.enabled in {}): the shell password is stored in "
                    + "plain text in {}", JAAS_PID, users);
        } else if (!"basic".equals(jaas.encryption_name().trim())) {
            LOG.info("The shell password is stored for Karaf's '{}' encryption service to hash in {}",
                    jaas.encryption_name(), users);
        }
    }

    /**
     * Adds an admin user if the file has no user.
     *
     * @param storedForm turns the generated password into what users.properties holds
     * @return whether a user was created
     */
    static boolean ensureAdmin(Path users, Path passwordFile, SecureRandom random, UnaryOperator<String> storedForm)
            throws IOException {
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
        String stored = storedForm.apply(password);
        SecureFiles.directory(passwordFile.getParent());
        SecureFiles.writeAtomically(passwordFile, (password + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder content = new StringBuilder();
        lines.forEach(l -> content.append(l).append('\n'));
        content.append("admin = ").append(stored).append(",_g_:admingroup\n");
        if (lines.stream().noneMatch(l -> l.trim().startsWith("_g_\\:admingroup"))) {
            content.append("_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n");
        }
        SecureFiles.writeAtomically(users, content.toString().getBytes(StandardCharsets.ISO_8859_1));
        LOG.info("Created the shell user 'admin'; its password is in {} (readable by its owner only)", passwordFile);
        return true;
    }
}
