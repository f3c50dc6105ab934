package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell admin user is created with a random password when users.properties has no user, and only then. */
class ShellCredentialsTest {

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

        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom())).isTrue();

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
        assertThat(ShellCredentials.ensureAdmin(users, dir.resolve("pw"), new SecureRandom())).isTrue();
        assertThat(Files.readAllLines(users, StandardCharsets.ISO_8859_1))
                .contains("_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh");
    }

    @Test
    void createsTheUsersFileWhenAbsent() throws Exception {
        Path users = dir.resolve("users.properties");
        assertThat(ShellCredentials.ensureAdmin(users, dir.resolve("pw"), new SecureRandom())).isTrue();
        assertThat(Files.readString(users, StandardCharsets.ISO_8859_1))
                .contains("admin = " + password(dir.resolve("pw")) + ",_g_:admingroup");
    }

    @Test
    void passwordFileIsOwnerOnly() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path users = dir.resolve("users.properties");
        Files.writeString(users, KARAF_DEFAULT, StandardCharsets.ISO_8859_1);
        Path passwordFile = dir.resolve("data/toka/shell.password");

        ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom());

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

        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom())).isFalse();

        assertThat(Files.readString(users, StandardCharsets.ISO_8859_1)).isEqualTo(content);
        assertThat(passwordFile).doesNotExist();
    }

    @Test
    void secondRunOnTheSameFileDoesNothing() throws Exception {
        Path users = dir.resolve("users.properties");
        Files.writeString(users, KARAF_DEFAULT, StandardCharsets.ISO_8859_1);
        Path passwordFile = dir.resolve("shell.password");
        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom())).isTrue();
        String first = password(passwordFile);
        String content = Files.readString(users, StandardCharsets.ISO_8859_1);

        assertThat(ShellCredentials.ensureAdmin(users, passwordFile, new SecureRandom())).isFalse();

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

        ShellCredentials.ensureAdmin(a.resolve("users.properties"), a.resolve("pw"), random);
        ShellCredentials.ensureAdmin(b.resolve("users.properties"), b.resolve("pw"), new SecureRandom());

        assertThat(password(a.resolve("pw"))).isNotEqualTo(password(b.resolve("pw")));
    }
}
