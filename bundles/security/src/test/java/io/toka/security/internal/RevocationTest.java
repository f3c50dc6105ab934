package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.toka.security.AccessDeniedException;
import io.toka.security.AuditEvent;
import io.toka.security.AuthenticationException;
import io.toka.security.IssuedToken;
import io.toka.security.Permissions;
import io.toka.security.Revocation;
import io.toka.security.SecurityContext;
import io.toka.security.TokenRequest;
import io.toka.security.TokenRequestException;
import io.toka.security.UnknownTokenException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revocation: immediate, persisted, cascading to delegated tokens, and only by those allowed to. */
class RevocationTest {

    @TempDir
    Path dir;

    private TestAuthority t;

    @BeforeEach
    void start() throws Exception {
        t = new TestAuthority(dir);
    }

    private String refusal(String token) {
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> t.authority.authenticate(token));
        assertThat(e.getMessage()).isEqualTo(AuthenticationException.GENERIC_MESSAGE);
        return e.reason();
    }

    @Test
    void revocationTakesEffectAtOnceEvenForAVerifiedToken() throws Exception {
        IssuedToken token = t.issue("agent", null, "tool:read");
        for (int i = 0; i < 3; i++) {
            t.authority.authenticate(token.token()); // verified and cached
        }

        Revocation r = t.authority.revoke(t.shellAdmin(), token.claims().jti());

        assertThat(r.jti()).isEqualTo(token.claims().jti());
        assertThat(r.cascade()).isEmpty();
        assertThat(r.revokedAt()).isEqualTo(t.clock.instant());
        assertThat(refusal(token.token())).isEqualTo("token revoked");
        assertThat(t.audit.events("token.revoke", "success")).singleElement().satisfies(e -> {
            assertThat(e.subject()).isEqualTo("root");
            assertThat(e.jti()).isEqualTo(token.claims().jti());
            assertThat(e.detail()).contains("sub=agent");
        });
        // other tokens are unaffected
        assertThat(t.authority.authenticate(t.issue("agent", null, "tool:read").token()).subject()).isEqualTo("agent");
    }

    @Test
    void revocationSurvivesARestart() throws Exception {
        IssuedToken root = t.issue("agent", Duration.ofHours(2), "tool:*");
        IssuedToken child = t.delegate(t.login(root), "tool:read");
        IssuedToken kept = t.issue("agent", Duration.ofHours(2), "tool:read");
        t.authority.revoke(t.shellAdmin(), root.claims().jti());
        assertThat(Files.readString(dir.resolve("revoked.jsonl"))).contains(root.claims().jti(), child.claims().jti());

        t.restart();

        assertThat(refusal(root.token())).isEqualTo("token revoked");
        assertThat(refusal(child.token())).isEqualTo("token revoked");
        assertThat(t.authority.authenticate(kept.token()).subject()).isEqualTo("agent");
        // the ledger survives as well: the restarted authority still knows the issued tokens
        assertThat(t.authority.revoke(t.shellAdmin(), kept.claims().jti()).jti()).isEqualTo(kept.claims().jti());
    }

    @Test
    void revocationCascadesToDelegatedTokens() throws Exception {
        IssuedToken root = t.issue("agent", null, "tool:*");
        SecurityContext rootCtx = t.login(root);
        IssuedToken childA = t.delegate(rootCtx, "tool:invoke:*");
        IssuedToken childB = t.delegate(rootCtx, "tool:read");
        IssuedToken grandchild = t.delegate(t.login(childA), "tool:invoke:file-reader");
        IssuedToken unrelated = t.issue("agent", null, "tool:*");
        t.authority.authenticate(grandchild.token()); // cached

        Revocation r = t.authority.revoke(t.shellAdmin(), root.claims().jti());

        assertThat(r.cascade()).containsExactlyInAnyOrder(childA.claims().jti(), childB.claims().jti(),
                grandchild.claims().jti());
        for (IssuedToken gone : List.of(root, childA, childB, grandchild)) {
            assertThat(refusal(gone.token())).isEqualTo("token revoked");
        }
        assertThat(t.authority.authenticate(unrelated.token()).subject()).isEqualTo("agent");
        assertThat(t.audit.events("token.revoke", "success").get(0).detail()).contains(grandchild.claims().jti());
    }

    @Test
    void revokingAMiddleTokenLeavesItsAncestorsAlone() throws Exception {
        IssuedToken root = t.issue("agent", null, "tool:*");
        IssuedToken child = t.delegate(t.login(root), "tool:invoke:*");
        IssuedToken grandchild = t.delegate(t.login(child), "tool:invoke:file-reader");

        Revocation r = t.authority.revoke(t.shellAdmin(), child.claims().jti());

        assertThat(r.cascade()).containsExactly(grandchild.claims().jti());
        assertThat(t.authority.authenticate(root.token()).subject()).isEqualTo("agent");
        assertThat(refusal(child.token())).isEqualTo("token revoked");
        assertThat(refusal(grandchild.token())).isEqualTo("token revoked");
    }

    @Test
    void issuerMayRevokeWithoutTokenRevoke() throws Exception {
        IssuedToken bobsToken = t.issue("bob", null, Permissions.TOKEN_ISSUE, "tool:read");
        SecurityContext bob = t.login(bobsToken);
        assertThat(bob.isPermitted(Permissions.TOKEN_REVOKE)).isFalse();
        IssuedToken carols = t.authority.issue(bob, new TokenRequest("carol", null, List.of("tool:read"), null));
        assertThat(carols.claims().issuer()).isEqualTo("bob");

        Revocation r = t.authority.revoke(bob, carols.claims().jti());

        assertThat(r.jti()).isEqualTo(carols.claims().jti());
        assertThat(refusal(carols.token())).isEqualTo("token revoked");
        assertThat(t.audit.events("token.revoke", "success")).singleElement()
                .extracting(AuditEvent::subject).isEqualTo("bob");
    }

    @Test
    void holderMayRevokeItsOwnTokenAndWhatItDelegated() throws Exception {
        IssuedToken parent = t.issue("dora", null, "tool:read", "tool:invoke:*");
        SecurityContext dora = t.login(parent);
        IssuedToken child = t.authority.delegate(dora,
                new io.toka.security.DelegationRequest("helper", List.of("tool:read"), null, null, null));
        assertThat(child.claims().issuer()).isEqualTo("dora");

        t.authority.revoke(dora, child.claims().jti());
        assertThat(refusal(child.token())).isEqualTo("token revoked");
        t.authority.revoke(dora, parent.claims().jti());
        assertThat(refusal(parent.token())).isEqualTo("token revoked");
    }

    @Test
    void strangerWithoutTokenRevokeIsDenied() throws Exception {
        IssuedToken victim = t.issue("alice", null, "tool:read");
        SecurityContext mallory = t.login(t.issue("mallory", null, "tool:*", "token:issue"));

        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> t.authority.revoke(mallory, victim.claims().jti()));

        assertThat(e.permission()).isEqualTo(Permissions.TOKEN_REVOKE);
        assertThat(e.getMessage()).contains(Permissions.TOKEN_REVOKE).contains(victim.claims().jti());
        assertThat(t.authority.authenticate(victim.token()).subject()).isEqualTo("alice");
        assertThat(t.audit.events("token.revoke", "denied")).singleElement().extracting(AuditEvent::subject)
                .isEqualTo("mallory");
        // a shell viewer is a stranger too; a manager holds token:revoke
        SecurityContext viewer = t.authority.forRoles("vera", List.of("viewer"));
        assertThrows(AccessDeniedException.class, () -> t.authority.revoke(viewer, victim.claims().jti()));
        SecurityContext manager = t.authority.forRoles("max", List.of("manager"));
        t.authority.revoke(manager, victim.claims().jti());
        assertThat(refusal(victim.token())).isEqualTo("token revoked");
    }

    @Test
    void aDelegatedSubjectNameDoesNotMakeItsHolderTheIssuer() throws Exception {
        // tokens issued with the admin token carry issuer "admin", tokens issued by the shell user "root" issuer "root"
        IssuedToken viaAdminToken = t.authority.issue(t.adminContext(),
                new TokenRequest("alice", null, List.of("tool:read"), null));
        IssuedToken viaShell = t.issue("bob", null, "tool:read");
        assertThat(viaAdminToken.claims().issuer()).isEqualTo("admin");
        assertThat(viaShell.claims().issuer()).isEqualTo("root");
        // mallory holds an ordinary token and may delegate it to any subject name she likes
        SecurityContext mallory = t.login(t.issue("mallory", null, "tool:read"));

        for (IssuedToken victim : List.of(viaAdminToken, viaShell)) {
            String issuer = victim.claims().issuer();
            SecurityContext disguised = t.login(t.authority.delegate(mallory,
                    new io.toka.security.DelegationRequest(issuer, List.of("tool:read"), null, null, null)));
            assertThat(disguised.subject()).isEqualTo(issuer);

            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> t.authority.revoke(disguised, victim.claims().jti()));
            assertThat(e.permission()).isEqualTo(Permissions.TOKEN_REVOKE);
            assertThat(t.authority.authenticate(victim.token()).subject()).isEqualTo(victim.claims().subject());
        }
    }

    @Test
    void theIssuingTokenMayRevokeWhatItIssuedButANarrowedChildOfItMayNot() throws Exception {
        IssuedToken bobs = t.issue("bob", null, Permissions.TOKEN_ISSUE, "tool:read");
        SecurityContext bob = t.login(bobs);
        IssuedToken carols = t.authority.issue(bob, new TokenRequest("carol", null, List.of("tool:read"), null));
        assertThat(carols.claims().chain()).containsExactly(bobs.claims().jti());
        SecurityContext bobNarrowed = t.login(t.delegate(t.login(t.delegate(bob, "tool:read", Permissions.TOKEN_ISSUE)),
                "tool:read"));
        assertThat(bobNarrowed.subject()).isEqualTo("bob");

        // narrowing gives up powers: the child is not the issuing token, whatever its subject
        assertThrows(AccessDeniedException.class, () -> t.authority.revoke(bobNarrowed, carols.claims().jti()));
        t.authority.revoke(bob, carols.claims().jti());
        assertThat(refusal(carols.token())).isEqualTo("token revoked");
    }

    @Test
    void aTokenIssuedWithATokenDiesWithItAndCannotOutliveIt() throws Exception {
        IssuedToken bobs = t.issue("bob", null, Permissions.TOKEN_ISSUE, "tool:read");
        SecurityContext bob = t.login(bobs);
        IssuedToken carols = t.authority.issue(bob, new TokenRequest("carol", null, List.of("tool:read"), null));
        assertThat(carols.claims().expiresAt()).isBeforeOrEqualTo(bobs.claims().expiresAt());
        assertThrows(io.toka.security.TokenRequestException.class, () -> t.authority.issue(bob,
                new TokenRequest("dave", null, List.of("tool:read"), java.time.Duration.ofHours(23))));

        io.toka.security.Revocation r = t.authority.revoke(t.adminContext(), bobs.claims().jti());
        assertThat(r.cascade()).containsExactly(carols.claims().jti());
        assertThat(refusal(carols.token())).isEqualTo("token revoked");
    }

    @Test
    void childHolderMayNotRevokeItsParent() throws Exception {
        IssuedToken parent = t.issue("alice", null, "tool:*");
        IssuedToken child = t.authority.delegate(t.login(parent),
                new io.toka.security.DelegationRequest("helper", List.of("tool:read"), null, null, null));
        SecurityContext helper = t.login(child);

        assertThrows(AccessDeniedException.class, () -> t.authority.revoke(helper, parent.claims().jti()));
        assertThat(t.authority.authenticate(parent.token()).subject()).isEqualTo("alice");
    }

    @Test
    void unknownOrBlankJti() {
        UnknownTokenException e = assertThrows(UnknownTokenException.class,
                () -> t.authority.revoke(t.shellAdmin(), "no-such-token"));
        assertThat(e.getMessage()).contains("no-such-token");
        assertThat(t.audit.events("token.revoke", "failure")).singleElement().extracting(AuditEvent::detail)
                .isEqualTo("unknown token no-such-token");
        TokenRequestException blank = assertThrows(TokenRequestException.class,
                () -> t.authority.revoke(t.shellAdmin(), " "));
        assertThat(blank).isNotInstanceOf(UnknownTokenException.class);
    }

    @Test
    void expiredTokenIsUnknown() throws Exception {
        IssuedToken token = t.issue("agent", Duration.ofMinutes(1), "tool:read");
        t.clock.advance(Duration.ofMinutes(1));
        assertThrows(UnknownTokenException.class, () -> t.authority.revoke(t.shellAdmin(), token.claims().jti()));
    }
}
