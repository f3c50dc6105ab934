package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.toka.security.AccessDeniedException;
import io.toka.security.AuditEvent;
import io.toka.security.AuthenticationException;
import io.toka.security.IssuedToken;
import io.toka.security.KeyInfo;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signing keys: rotation with overlap, persistence, scheduled rotation, purge, file modes, no key material out. */
class KeyRotationTest {

    @TempDir
    Path dir;

    private static final Duration OVERLAP = Duration.ofHours(1);

    /** Rotation only on demand (interval 0), one hour of overlap. */
    private TestAuthority manual() throws Exception {
        return new TestAuthority(dir, s -> s.withRotation(Duration.ZERO, OVERLAP));
    }

    private static AuthenticationException refused(TokenAuthority authority, String token) {
        return assertThrows(AuthenticationException.class, () -> authority.authenticate(token));
    }

    @Test
    void previousKeyValidatesUntilTheOverlapEnds() throws Exception {
        TestAuthority t = manual();
        String oldKid = t.activeKey().kid();
        IssuedToken seen = t.issue("agent", Duration.ofHours(12), "tool:read");
        IssuedToken unseen = t.issue("agent", Duration.ofHours(12), "tool:read");
        t.authority.authenticate(seen.token());

        KeyInfo fresh = t.authority.rotate(t.shellAdmin());

        assertThat(fresh.kid()).isNotEqualTo(oldKid);
        assertThat(fresh.active()).isTrue();
        IssuedToken signedWithNew = t.issue("other", Duration.ofHours(12), "tool:read");
        assertThat(TestAuthority.kidOf(signedWithNew.token())).isEqualTo(fresh.kid());
        assertThat(t.authority.authenticate(seen.token()).subject()).isEqualTo("agent");
        t.clock.advance(OVERLAP.minusSeconds(1));
        assertThat(t.authority.authenticate(seen.token()).subject()).isEqualTo("agent");

        t.clock.advance(Duration.ofSeconds(1));

        // verified (cached) before: refused once its key is gone
        AuthenticationException cached = refused(t.authority, seen.token());
        assertThat(cached.getMessage()).isEqualTo(AuthenticationException.GENERIC_MESSAGE);
        assertThat(cached.reason()).isEqualTo("key " + oldKid + " has expired");
        // never seen: refused on first sight
        AuthenticationException firstSight = refused(t.authority, unseen.token());
        assertThat(firstSight.getMessage()).isEqualTo(AuthenticationException.GENERIC_MESSAGE);
        assertThat(firstSight.reason()).isEqualTo("unknown or expired key id " + oldKid);
        // the token signed with the new key is unaffected
        assertThat(t.authority.authenticate(signedWithNew.token()).subject()).isEqualTo("other");
        assertThat(t.audit.events("authenticate", "failure")).extracting(AuditEvent::detail)
                .containsExactly(cached.reason(), firstSight.reason());
    }

    @Test
    void theKidSelectsTheKey() throws Exception {
        TestAuthority t = manual();
        TestAuthority.StoredKey oldKey = t.activeKey();
        IssuedToken before = t.issue("agent", null, "tool:read");
        t.authority.rotate(t.shellAdmin());
        TestAuthority.StoredKey newKey = t.activeKey();
        IssuedToken after = t.issue("agent", null, "tool:read");

        assertThat(TestAuthority.kidOf(before.token())).isEqualTo(oldKey.kid());
        assertThat(TestAuthority.kidOf(after.token())).isEqualTo(newKey.kid());
        assertThat(t.storedKeys()).extracting(TestAuthority.StoredKey::kid).containsExactly(newKey.kid(), oldKey.kid());

        // each key verifies under its own kid ...
        t.authority.authenticate(TestAuthority.sign(TestAuthority.header(oldKey.kid()), t.validClaims().build(),
                oldKey.secret()));
        t.authority.authenticate(TestAuthority.sign(TestAuthority.header(newKey.kid()), t.validClaims().build(),
                newKey.secret()));
        // ... and not under the other's
        assertThat(refused(t.authority, TestAuthority.sign(TestAuthority.header(newKey.kid()), t.validClaims().build(),
                oldKey.secret())).reason()).isEqualTo("bad signature (key " + newKey.kid() + ")");
        assertThat(refused(t.authority, TestAuthority.sign(TestAuthority.header(oldKey.kid()), t.validClaims().build(),
                newKey.secret())).reason()).isEqualTo("bad signature (key " + oldKey.kid() + ")");
    }

    @Test
    void keysSurviveARestart() throws Exception {
        TestAuthority t = manual();
        IssuedToken first = t.issue("agent", Duration.ofHours(12), "tool:read");
        KeyInfo rotated = t.authority.rotate(t.shellAdmin());
        IssuedToken second = t.issue("agent", Duration.ofHours(12), "tool:read");
        List<KeyInfo> before = t.authority.keys(t.shellAdmin());

        TokenAuthority restarted = t.restart();

        assertThat(restarted.keys(t.shellAdmin())).isEqualTo(before);
        assertThat(before).extracting(KeyInfo::active).containsExactly(true, false);
        assertThat(before.get(0).kid()).isEqualTo(rotated.kid());
        assertThat(before.get(1).validUntil()).isEqualTo(t.clock.instant().plus(OVERLAP));
        assertThat(restarted.authenticate(first.token()).subject()).isEqualTo("agent");
        assertThat(restarted.authenticate(second.token()).subject()).isEqualTo("agent");
        assertThat(TestAuthority.kidOf(t.issue("agent", null, "tool:read").token())).isEqualTo(rotated.kid());
        assertThat(t.audit.events("key.generate", "success")).hasSize(1); // no new key at restart

        // the overlap is persisted too: after it, a restarted authority drops the old key
        t.clock.advance(OVERLAP);
        TokenAuthority later = t.restart();
        assertThat(later.keys(t.shellAdmin())).extracting(KeyInfo::kid).containsExactly(rotated.kid());
        assertThat(refused(later, first.token()).reason()).contains("unknown or expired key id");
        assertThat(later.authenticate(second.token()).subject()).isEqualTo("agent");
    }

    @Test
    void scheduledRotationWhenTheIntervalElapses() throws Exception {
        TestAuthority t = new TestAuthority(dir, s -> s.withRotation(Duration.ofHours(2), Duration.ofMinutes(30)));
        String first = t.activeKey().kid();
        IssuedToken token = t.issue("agent", Duration.ofHours(6), "tool:read");

        t.clock.advance(Duration.ofMinutes(119));
        t.authority.runMaintenance();
        assertThat(t.activeKey().kid()).isEqualTo(first);
        assertThat(t.audit.events("key.rotate", "success")).isEmpty();

        t.clock.advance(Duration.ofMinutes(1));
        t.authority.runMaintenance();
        String second = t.activeKey().kid();
        assertThat(second).isNotEqualTo(first);
        assertThat(t.audit.events("key.rotate", "success")).singleElement().satisfies(e -> {
            assertThat(e.subject()).isEqualTo("schedule");
            assertThat(e.detail()).contains("new=" + second).contains("previous=" + first);
        });
        assertThat(t.authority.authenticate(token.token()).subject()).isEqualTo("agent");

        // running again right away does nothing more
        t.authority.runMaintenance();
        assertThat(t.activeKey().kid()).isEqualTo(second);

        // the next rotation comes two hours after the second key was made
        t.clock.advance(Duration.ofHours(2));
        t.authority.runMaintenance();
        assertThat(t.activeKey().kid()).isNotIn(first, second);
        assertThat(t.audit.events("key.rotate", "success")).hasSize(2);
    }

    @Test
    void expiredKeysArePurged() throws Exception {
        TestAuthority t = manual();
        String first = t.activeKey().kid();
        t.authority.rotate(t.shellAdmin());
        String second = t.activeKey().kid();
        t.clock.advance(Duration.ofMinutes(10));
        t.authority.rotate(t.shellAdmin());
        String third = t.activeKey().kid();
        assertThat(t.authority.keys(t.shellAdmin())).extracting(KeyInfo::kid).containsExactly(third, second, first);

        t.clock.advance(Duration.ofMinutes(50)); // first's overlap ends; second's has 10 minutes left
        t.authority.runMaintenance();
        assertThat(t.authority.keys(t.shellAdmin())).extracting(KeyInfo::kid).containsExactly(third, second);
        assertThat(t.storedKeys()).extracting(TestAuthority.StoredKey::kid).containsExactly(third, second);
        String keysJson = Files.readString(dir.resolve("keys.json"));
        assertThat(keysJson).doesNotContain(first);

        t.clock.advance(Duration.ofMinutes(10));
        t.authority.runMaintenance();
        assertThat(t.storedKeys()).extracting(TestAuthority.StoredKey::kid).containsExactly(third);
    }

    @Test
    void filesAreOwnerOnly() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        TestAuthority t = manual();
        IssuedToken token = t.issue("agent", null, "tool:read");
        t.authority.revoke(t.shellAdmin(), token.claims().jti());
        t.authority.rotate(t.shellAdmin());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        for (String file : List.of("keys.json", "admin.token", "revoked.jsonl", "tokens.jsonl")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(file))))
                    .as(file).isEqualTo("rw-------");
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void anExistingDataDirectoryIsMadeOwnerOnly() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        manual();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    }

    @Test
    void keyListingCarriesNoKeyMaterial() throws Exception {
        TestAuthority t = manual();
        t.authority.rotate(t.shellAdmin());
        SecurityContext viewer = t.authority.forRoles("vera", List.of("viewer"));

        List<KeyInfo> keys = t.authority.keys(viewer);

        assertThat(keys).hasSize(2);
        assertThat(Arrays.stream(KeyInfo.class.getRecordComponents()).map(c -> c.getName()))
                .containsExactly("kid", "createdAt", "active", "retiredAt", "validUntil");
        String shown = keys.toString();
        for (TestAuthority.StoredKey k : t.storedKeys()) {
            assertThat(shown).contains(k.kid())
                    .doesNotContain(Base64.getEncoder().encodeToString(k.secret()))
                    .doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(k.secret()))
                    .doesNotContain(java.util.HexFormat.of().formatHex(k.secret()));
        }
        // a viewer may list but not rotate; a caller without key:read may not list
        assertThatThrownBy(() -> t.authority.rotate(viewer)).isInstanceOf(AccessDeniedException.class)
                .extracting(e -> ((AccessDeniedException) e).permission()).isEqualTo(Permissions.KEY_ROTATE);
        SecurityContext agent = t.login(t.issue("agent", null, "tool:read"));
        assertThatThrownBy(() -> t.authority.keys(agent)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining(Permissions.KEY_READ);
        assertThat(t.audit.events("authorize", "denied")).extracting(AuditEvent::detail)
                .contains("key.rotate needs key:rotate", "key.list needs key:read");
    }

    @Test
    void adminTokenIsReMintedAfterRotationAndValid() throws Exception {
        TestAuthority t = manual();
        String before = t.adminToken();
        SecurityContext admin = t.authority.authenticate(before);
        assertThat(admin.subject()).isEqualTo("admin");
        assertThat(admin.token().orElseThrow().permissions()).containsExactly(Permissions.ALL);
        assertThat(admin.token().orElseThrow().issuer()).isNull();

        KeyInfo fresh = t.authority.rotate(admin);

        String after = t.adminToken();
        assertThat(after).isNotEqualTo(before);
        assertThat(TestAuthority.kidOf(after)).isEqualTo(fresh.kid());
        SecurityContext again = t.authority.authenticate(after);
        assertThat(again.subject()).isEqualTo("admin");
        assertThat(again.isPermitted(Permissions.KEY_ROTATE)).isTrue();
        assertThat(again.isPermitted("tool:invoke:anything")).isTrue();
        assertThat(Files.readString(t.authority.adminTokenFile(), StandardCharsets.UTF_8)).endsWith("\n");
        // the old admin token stays usable during the overlap
        assertThat(t.authority.authenticate(before).subject()).isEqualTo("admin");
    }

    @Test
    void adminTokenIsKeptWhileFreshAndReMintedNearItsExpiry() throws Exception {
        TestAuthority t = manual();
        String first = t.adminToken();
        t.authority.runMaintenance();
        assertThat(t.adminToken()).isEqualTo(first);

        t.clock.advance(Duration.ofHours(21));
        t.authority.runMaintenance();
        assertThat(t.adminToken()).isEqualTo(first);

        t.clock.advance(Duration.ofHours(1).plusSeconds(1)); // less than two hours left
        t.authority.runMaintenance();
        String second = t.adminToken();
        assertThat(second).isNotEqualTo(first);
        assertThat(t.authority.authenticate(second).subject()).isEqualTo("admin");
    }
}
