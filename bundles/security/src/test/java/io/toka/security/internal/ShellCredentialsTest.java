package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell admin user is created with a random password when users.properties has no user, and only then; the file
 * holds the password in the form Karaf's JAAS realm checks under its configuration.
 */
class ShellCredentialsTest {

    private static final UnaryOperator<String> PLAIN = UnaryOperator.identity();

    private static final String KARAF_DEFAULT = """
            #
            # Licensed to the Apache Software Foundation (ASF) ...
            #
            # karaf = karaf,_g_:admingroup
            ! a bang comment
            _g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh

            """;

    @TempDir
    Path dir;

    private static String password(Path file) throws Exception {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
    }

    @Test
    void createsAdminWhenTheFileHasOnlyCommentsAndGroups() throws Exception {
        Path users = dir.resolve("users.properties");
        Files.writeString(users, KARAF_DEFAULT, StandardCharsets.ISO_8859_1);
        Path passwordFile = dir.resolve("data/toka/shell.password");

        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom(), PLAIN)).isTrue();

        String password = password(passwordFile);
        assertThat(password).matches("[A-Za-z0-9_-]{20}");
        List<String> lines = Files.readAllLines(users, StandardCharsets.ISO_8859_1);
        assertThat(lines).contains("admin = " + password + ",_g_:admingroup");
        assertThat(lines).filteredOn(l -> l.startsWith("_g_\\:admingroup")).hasSize(1); // not added twice
        assertThat(String.join("\n", lines)).startsWith(KARAF_DEFAULT.strip().substring(0, 10));
        assertThat(lines).contains("# karaf = karaf,_g_:admingroup");
    }

    @Test
    void addsTheAdminGroupWhenMissing() throws Exception {
        Path users = dir.resolve("users.properties");
        Files.writeString(users, "# nothing here\n", StandardCharsets.ISO_8859_1);
        assertThat(ShellCredentials.ensureAdmin(users, dir.resolve("pw"), new SecureRandom(), PLAIN)).isTrue();
        assertThat(Files.readAllLines(users, StandardCharsets.ISO_8859_1))
                .contains("_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh");
    }

    @Test
    void createsTheUsersFileWhenAbsent() throws Exception {
        Path users = dir.resolve("users.properties");
        assertThat(ShellCredentials.ensureAdmin(users, dir.resolve("pw"), new SecureRandom(), PLAIN)).isTrue();
        assertThat(Files.readString(users, StandardCharsets.ISO_8859_1))
                .contains("admin = " + password(dir.resolve("pw")) + ",_g_:admingroup");
    }

    @Test
    void passwordFileIsOwnerOnly() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path users = dir.resolve("users.properties");
        Files.writeString(users, KARAF_DEFAULT, StandardCharsets.ISO_8859_1);
        Path passwordFile = dir.resolve("data/toka/shell.password");

        ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom(), PLAIN);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile.getParent())))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(users))).isEqualTo("rw-------");
    }

    @Test
    void doesNothingWhenAUserExists() throws Exception {
        Path users = dir.resolve("users.properties");
        String content = KARAF_DEFAULT + "karaf = secret,_g_:admingroup\n";
        Files.writeString(users, content, StandardCharsets.ISO_8859_1);
        Path passwordFile = dir.resolve("shell.password");

        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom(), PLAIN)).isFalse();

        assertThat(Files.readString(users, StandardCharsets.ISO_8859_1)).isEqualTo(content);
        assertThat(passwordFile).doesNotExist();
    }

    @Test
    void secondRunOnTheSameFileDoesNothing() throws Exception {
        Path users = dir.resolve("users.properties");
        Files.writeString(users, KARAF_DEFAULT, StandardCharsets.ISO_8859_1);
        Path passwordFile = dir.resolve("shell.password");
        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom(), PLAIN)).isTrue();
        String first = password(passwordFile);
        String content = Files.readString(users, StandardCharsets.ISO_8859_1);

        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom(), PLAIN)).isFalse();

        assertThat(password(passwordFile)).isEqualTo(first);
        assertThat(Files.readString(users, StandardCharsets.ISO_8859_1)).isEqualTo(content);
    }

    @Test
    void twoRunsGiveDifferentPasswords() throws Exception {
        SecureRandom random = new SecureRandom();
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        Files.writeString(a.resolve("users.properties"), KARAF_DEFAULT, StandardCharsets.ISO_8859_1);
        Files.writeString(b.resolve("users.properties"), KARAF_DEFAULT, StandardCharsets.ISO_8859_1);

        ShellCredentials.ensureAdmin(a.resolve("users.properties"), a.resolve("pw"), random, PLAIN);
        ShellCredentials.ensureAdmin(b.resolve("users.properties"), b.resolve("pw"), new SecureRandom(), PLAIN);

        assertThat(password(a.resolve("pw"))).isNotEqualTo(password(b.resolve("pw")));
    }

    /** As shipped in etc/org.apache.karaf.jaas.cfg. */
    private static final ShellCredentials.JaasEncryption SHIPPED = jaas(true, "basic", "SHA-512", "hexadecimal");

    @Test
    void storesTheDigestKarafChecksAndNeverThePlainPassword() throws Exception {
        Path users = dir.resolve("users.properties");
        Files.writeString(users, KARAF_DEFAULT, StandardCharsets.ISO_8859_1);
        Path passwordFile = dir.resolve("data/toka/shell.password");

        ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom(), ShellCredentials.storedForm(SHIPPED));

        String password = password(passwordFile);
        String digest = HexFormat.of().withUpperCase().formatHex(
                MessageDigest.getInstance("SHA-512").digest(password.getBytes(StandardCharsets.US_ASCII)));
        String content = Files.readString(users, StandardCharsets.ISO_8859_1);
        assertThat(content).contains("admin = {CRYPT}" + digest + "{CRYPT},_g_:admingroup\n");
        assertThat(content).doesNotContain(password);
    }

    @Test
    void digestMatchesKnownVectorsInBothEncodings() {
        // FIPS 180-2 test vector: SHA-256("abc")
        assertThat(ShellCredentials.storedForm(jaas(true, "basic", "SHA-256", "hexadecimal")).apply("abc"))
                .isEqualTo("{CRYPT}BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD{CRYPT}");
        assertThat(ShellCredentials.storedForm(jaas(true, "basic", "SHA-256", "base64")).apply("abc"))
                .isEqualTo("{CRYPT}ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0={CRYPT}");
        assertThat(ShellCredentials.storedForm(jaas(true, "basic", "SHA-512", "")).apply("abc"))
                .startsWith("{CRYPT}DDAF35A193617ABACC417349AE204131").hasSize(7 + 128 + 7);
    }

    @Test
    void encryptionOffOrAnotherServiceKeepsThePlainPasswordForKaraf() {
        assertThat(ShellCredentials.storedForm(jaas(false, "basic", "SHA-512", "hexadecimal")).apply("pw"))
                .isEqualTo("pw");
        assertThat(ShellCredentials.storedForm(jaas(true, "jasypt", "SHA-512", "hexadecimal")).apply("pw"))
                .isEqualTo("pw");
    }

    @Test
    void unknownAlgorithmOrEncodingIsRefusedWithTheBadValue() {
        assertThatThrownBy(() -> ShellCredentials.storedForm(jaas(true, "basic", "SHA-999", "hexadecimal")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'SHA-999'");
        assertThatThrownBy(() -> ShellCredentials.storedForm(jaas(true, "basic", "SHA-512", "base32")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'base32'")
                .hasMessageContaining("hexadecimal or base64");
    }

    private static ShellCredentials.JaasEncryption jaas(boolean enabled, String name, String algorithm,
            String encoding) {
        return new ShellCredentials.JaasEncryption() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ShellCredentials.JaasEncryption.class;
            }

            @Override
            public boolean encryption_enabled() {
                return enabled;
            }

            @Override
            public String encryption_name() {
                return name;
            }

            @Override
            public String encryption_prefix() {
                return "{CRYPT}";
            }

            @Override
            public String encryption_suffix() {
                return "{CRYPT}";
            }

            @Override
            public String encryption_algorithm() {
                return algorithm;
            }

            @Override
            public String encryption_encoding() {
                return encoding;
            }
        };
    }
}
