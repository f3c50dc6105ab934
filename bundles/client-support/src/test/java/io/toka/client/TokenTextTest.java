package io.toka.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenTextTest {

    @Test
    void acceptsOneLineOfVisibleAsciiOnly() {
        assertThat(TokenText.problem("eyJhbGciOi.x.y", "TOKA_TOKEN")).isNull();
        assertThat(TokenText.problem("", "TOKA_TOKEN")).isEqualTo("TOKA_TOKEN is empty");
        assertThat(TokenText.problem("a\r\nX-Evil: 1", "f")).startsWith("f does not hold one token: it contains more than one line");
        assertThat(TokenText.problem("a b", "f")).contains("white space");
        assertThat(TokenText.problem("a\u00e9", "f")).contains("cannot go into an HTTP header");
    }

    @Test
    void warnsAboutAFileOthersCanRead(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("t"), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(TokenText.sharedWarning(f)).isNull();
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        assertThat(TokenText.sharedWarning(f)).contains("readable by its group (mode rw-r-----)").endsWith("chmod 600 " + f);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(TokenText.sharedWarning(f)).contains("readable by every user");
    }
}
