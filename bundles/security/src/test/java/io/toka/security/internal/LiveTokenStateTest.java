package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.toka.security.AuditEvent;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller that signed in with a valid token loses its rights the moment the token's state changes: revocation of
 * the token or an ancestor, expiry, leaving its time window, or the expiry of its signing key. Each check here is made
 * on a context obtained <em>before</em> the change, as an agent holds its context for a whole run.
 */
class LiveTokenStateTest {

    @TempDir
    Path dir;

    private TestAuthority t;

    @BeforeEach
    void setUp() throws Exception {
        t = new TestAuthority(dir);
    }

    @Test
    void revokingTheTokenStopsAContextObtainedBefore() throws Exception {
        IssuedToken token = t.issue("agent", Duration.ofHours(1), "tool:invoke:*");
        SecurityContext ctx = t.login(token);
        ctx.authorize("tool.invoke:file-reader", List.of("tool:invoke:file-reader"));

        t.authority.revoke(t.shellAdmin(), token.claims().jti());

        TokenStateException e = assertThrows(TokenStateException.class,
                () -> ctx.authorize("tool.invoke:file-reader", List.of("tool:invoke:file-reader")));
        assertThat(e.reason()).isEqualTo(TokenStateException.Reason.REVOKED);
        assertThat(e.getMessage()).startsWith("token revoked");
        assertThat(ctx.isPermitted("tool:invoke:file-reader")).isFalse();
        assertThrows(TokenStateException.class, ctx::checkLive);
        assertThat(t.audit.events("authorize", "denied")).extracting(AuditEvent::detail)
                .anySatisfy(d -> assertThat(d).contains("token revoked"));
    }

    @Test
    void revokingTheParentStopsADelegatedChildAlreadySignedIn() throws Exception {
        IssuedToken parent = t.issue("caller", Duration.ofHours(1), "tool:invoke:*", "token:issue");
        IssuedToken child = t.delegate(t.login(parent), "tool:invoke:file-reader");
        SecurityContext agent = t.login(child);
        agent.checkLive();

        t.authority.revoke(t.shellAdmin(), parent.claims().jti());

        assertThat(assertThrows(TokenStateException.class, agent::checkLive).getMessage()).contains("token revoked");
    }

    @Test
    void anAncestorRevokedOutsideTheLedgerStillStopsTheChild() throws Exception {
        IssuedToken parent = t.issue("caller", Duration.ofHours(1), "tool:invoke:*");
        // a child the ledger never saw, so the revocation cannot cascade to its own id: only its chain tells
        String child = t.forge(t.validClaims().claim("chain", List.of(parent.claims().jti())).build());
        SecurityContext agent = t.authority.authenticate(child);
        agent.checkLive();

        t.authority.revoke(t.shellAdmin(), parent.claims().jti());

        TokenStateException e = assertThrows(TokenStateException.class, agent::checkLive);
        assertThat(e.getMessage()).contains("delegated from revoked token " + parent.claims().jti());
    }

    @Test
    void expiryStopsAContextAtTheMomentOfUse() throws Exception {
        SecurityContext ctx = t.login(t.issue("agent", Duration.ofMinutes(10), "tool:read"));
        assertThat(ctx.isPermitted("tool:read")).isTrue();

        t.clock.advance(Duration.ofMinutes(10).plus(t.settings.clockSkew()));

        TokenStateException e = assertThrows(TokenStateException.class,
                () -> ctx.authorize("tool.list", List.of("tool:read")));
        assertThat(e.reason()).isEqualTo(TokenStateException.Reason.EXPIRED);
        assertThat(ctx.isPermitted("tool:read")).isFalse();
    }

    @Test
    void leavingTheTimeWindowStopsAContextSignedInInsideIt() throws Exception {
        // MutableClock starts on a Wednesday at 10:00 UTC
        SecurityContext holder = t.login(t.issue("caller", Duration.ofHours(12), "tool:read"));
        IssuedToken windowed = t.authority.delegate(holder,
                new DelegationRequest(null, List.of("tool:read"), null, List.of("09:00-11:00"), Set.of()));
        SecurityContext ctx = t.login(windowed);
        ctx.authorize("tool.list", List.of("tool:read"));

        t.clock.advance(Duration.ofHours(2));

        TokenStateException e = assertThrows(TokenStateException.class,
                () -> ctx.authorize("tool.list", List.of("tool:read")));
        assertThat(e.reason()).isEqualTo(TokenStateException.Reason.OUTSIDE_WINDOW);
    }

    @Test
    void aKeyPastItsOverlapStopsTokensItSigned() throws Exception {
        SecurityContext ctx = t.login(t.issue("agent", Duration.ofHours(12), "tool:read"));
        t.authority.rotate(t.shellAdmin());
        ctx.checkLive(); // within the overlap

        t.clock.advance(t.settings.overlap().plusSeconds(1));

        assertThat(assertThrows(TokenStateException.class, ctx::checkLive).reason())
                .isEqualTo(TokenStateException.Reason.KEY_EXPIRED);
    }

    @Test
    void aRevokedHolderCanNeitherDelegateNorRevoke() throws Exception {
        IssuedToken parent = t.issue("caller", Duration.ofHours(1), "tool:invoke:*");
        SecurityContext holder = t.login(parent);
        IssuedToken child = t.delegate(holder, "tool:invoke:file-reader");
        t.authority.revoke(t.shellAdmin(), parent.claims().jti());

        assertThrows(TokenStateException.class, () -> t.delegate(holder, "tool:invoke:file-reader"));
        assertThrows(TokenStateException.class, () -> t.authority.revoke(holder, child.claims().jti()));
    }

    @Test
    void shellUsersHaveNoTokenStateToLose() {
        SecurityContext shell = t.shellAdmin();
        shell.checkLive();
        assertThat(shell.isPermitted("tool:read")).isTrue();
    }
}
