package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.toka.security.AccessDeniedException;
import io.toka.security.AuditEvent;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.SecurityContext;
import io.toka.security.TimeRestriction;
import io.toka.security.TimeWindow;
import io.toka.security.TokenClaims;
import io.toka.security.TokenRequestException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Delegation narrows a token and never widens it; the chain, lifetime, depth and time limits are enforced. */
class DelegationTest {

    @TempDir
    Path dir;

    private TestAuthority t;

    @BeforeEach
    void start() throws Exception {
        t = new TestAuthority(dir);
    }

    private static DelegationRequest request(String... permissions) {
        return new DelegationRequest(null, List.of(permissions), null, null, null);
    }

    @Test
    void narrowing() throws Exception {
        SecurityContext parent = t.login(t.issue("alice", null, "tool:invoke:*", "tool:read", "key:read"));

        IssuedToken child = t.authority.delegate(parent,
                new DelegationRequest("helper", List.of("tool:invoke:file-reader", "tool:read"), null, null, null));

        assertThat(child.claims().subject()).isEqualTo("helper");
        assertThat(child.claims().issuer()).isEqualTo("alice");
        assertThat(child.claims().vault()).isEqualTo(parent.token().orElseThrow().vault());
        SecurityContext c = t.login(child);
        assertThat(c.subject()).isEqualTo("helper");
        assertThat(c.isPermitted("tool:invoke:file-reader")).isTrue();
        assertThat(c.isPermitted("tool:read")).isTrue();
        assertThat(c.isPermitted("tool:invoke:shell")).isFalse();
        assertThat(c.isPermitted("key:read")).isFalse();
        assertThat(t.audit.events("token.delegate", "success")).singleElement().satisfies(e -> {
            assertThat(e.subject()).isEqualTo("alice");
            assertThat(e.jti()).isEqualTo(child.claims().jti());
            assertThat(e.detail()).contains("parent=" + parent.token().orElseThrow().jti()).contains("depth=1");
        });
    }

    @Test
    void subjectDefaultsToTheHolder() throws Exception {
        IssuedToken child = t.delegate(t.login(t.issue("alice", null, "tool:*")), "tool:read");
        assertThat(child.claims().subject()).isEqualTo("alice");
    }

    @Test
    void widenedPermissionIsRefusedAndNamed() throws Exception {
        SecurityContext parent = t.login(t.issue("alice", null, "tool:invoke:file-reader", "tool:read"));

        AccessDeniedException outside = assertThrows(AccessDeniedException.class,
                () -> t.authority.delegate(parent, request("tool:read", "token:issue")));
        assertThat(outside.permission()).isEqualTo("token:issue");
        assertThat(outside.getMessage()).contains("'token:issue'").contains("parent token does not hold it");

        AccessDeniedException wildcard = assertThrows(AccessDeniedException.class,
                () -> t.authority.delegate(parent, request("tool:invoke:*")));
        assertThat(wildcard.permission()).isEqualTo("tool:invoke:*");
        assertThat(wildcard.getMessage()).contains("'tool:invoke:*'");

        for (String wider : List.of("tool:*", "*", "tool", "tool:invoke", "tool:invoke:file-reader,shell",
                "tool:read,invoke")) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> t.authority.delegate(parent, request(wider)));
            assertThat(e.permission()).as(wider).isEqualTo(wider);
        }
        assertThat(t.audit.events("token.delegate", "denied")).extracting(AuditEvent::detail)
                .anyMatch(d -> d.startsWith("tool:invoke:* "));
        assertThat(t.audit.events("token.delegate", "success")).isEmpty();
        // a more specific permission is fine
        t.authority.delegate(parent, request("tool:invoke:file-reader:read-only"));
    }

    @Test
    void childCannotOutliveItsParent() throws Exception {
        IssuedToken root = t.issue("alice", Duration.ofHours(1), "tool:*");
        SecurityContext parent = t.login(root);

        TokenRequestException e = assertThrows(TokenRequestException.class, () -> t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), Duration.ofHours(2), null, null)));
        assertThat(e.getMessage()).contains("cannot outlive its parent")
                .contains(root.claims().expiresAt().toString());
        assertThat(t.audit.events("token.delegate", "failure")).hasSize(1);

        IssuedToken exact = t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), Duration.ofHours(1), null, null));
        assertThat(exact.claims().expiresAt()).isEqualTo(root.claims().expiresAt());
        IssuedToken shorter = t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), Duration.ofMinutes(5), null, null));
        assertThat(shorter.claims().expiresAt()).isEqualTo(t.clock.instant().plus(Duration.ofMinutes(5)));
        assertThrows(TokenRequestException.class, () -> t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), Duration.ZERO, null, null)));
        assertThrows(TokenRequestException.class, () -> t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), Duration.ofMinutes(-1), null, null)));
    }

    @Test
    void childExpiresWithItsParentByDefault() throws Exception {
        IssuedToken root = t.issue("alice", Duration.ofMinutes(45), "tool:*");
        t.clock.advance(Duration.ofMinutes(10));
        IssuedToken child = t.delegate(t.login(root), "tool:read");

        assertThat(child.claims().expiresAt()).isEqualTo(root.claims().expiresAt());
        assertThat(child.claims().issuedAt()).isEqualTo(t.clock.instant());
    }

    private List<IssuedToken> chain(SecurityContext root, int length) throws Exception {
        List<IssuedToken> out = new ArrayList<>();
        SecurityContext holder = root;
        for (int i = 0; i < length; i++) {
            IssuedToken next = t.delegate(holder, "tool:read");
            out.add(next);
            holder = t.login(next);
        }
        return out;
    }

    @Test
    void depthLimitDefaultsToFive() throws Exception {
        List<IssuedToken> five = chain(t.login(t.issue("alice", null, "tool:*")), 5);
        assertThat(five.get(4).claims().depth()).isEqualTo(5);
        SecurityContext deepest = t.login(five.get(4));

        TokenRequestException e = assertThrows(TokenRequestException.class, () -> t.delegate(deepest, "tool:read"));

        assertThat(e.getMessage()).contains("would be 6 deep; the limit is 5");
        assertThat(t.audit.events("token.delegate", "failure")).singleElement().extracting(AuditEvent::detail)
                .isEqualTo("chain of 6 exceeds 5");
    }

    @Test
    void depthLimitIsConfigurable() throws Exception {
        TestAuthority shallow = new TestAuthority(dir.resolve("shallow"), s -> s.withMaxDelegationDepth(2));
        SecurityContext root = shallow.login(shallow.issue("alice", null, "tool:*"));
        IssuedToken one = shallow.delegate(root, "tool:read");
        IssuedToken two = shallow.delegate(shallow.login(one), "tool:read");
        SecurityContext twoCtx = shallow.login(two);

        TokenRequestException e = assertThrows(TokenRequestException.class, () -> shallow.delegate(twoCtx, "tool:read"));
        assertThat(e.getMessage()).contains("the limit is 2");

        TestAuthority none = new TestAuthority(dir.resolve("none"), s -> s.withMaxDelegationDepth(0));
        SecurityContext rootOnly = none.login(none.issue("alice", null, "tool:*"));
        assertThrows(TokenRequestException.class, () -> none.delegate(rootOnly, "tool:read"));
    }

    @Test
    void chainIsRecordedRootFirst() throws Exception {
        IssuedToken root = t.issue("alice", null, "tool:*");
        List<IssuedToken> descendants = chain(t.login(root), 3);
        IssuedToken child = descendants.get(0);
        IssuedToken grandchild = descendants.get(1);
        IssuedToken greatGrandchild = descendants.get(2);

        assertThat(root.claims().chain()).isEmpty();
        assertThat(root.claims().parent()).isNull();
        assertThat(child.claims().chain()).containsExactly(root.claims().jti());
        assertThat(child.claims().parent()).isEqualTo(root.claims().jti());
        assertThat(greatGrandchild.claims().chain()).containsExactly(root.claims().jti(), child.claims().jti(),
                grandchild.claims().jti());
        assertThat(greatGrandchild.claims().parent()).isEqualTo(grandchild.claims().jti());
        // the chain is in the signed token, not only in the returned claims
        TokenClaims verified = t.login(greatGrandchild).token().orElseThrow();
        assertThat(verified.chain()).isEqualTo(greatGrandchild.claims().chain());
        assertThat(verified.depth()).isEqualTo(3);
        assertThat(TestAuthority.unb64url(greatGrandchild.token().split("\\.")[1]))
                .contains("\"chain\":[\"" + root.claims().jti() + "\",\"" + child.claims().jti() + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"25:00-26:00", "12:60-13:00"})
    void invalidTimesInAWindowAreRefused(String window) throws Exception {
        SecurityContext parent = t.login(t.issue("alice", null, "tool:*"));
        TokenRequestException e = assertThrows(TokenRequestException.class, () -> t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), null, List.of(window), null)));
        assertThat(e.getMessage()).isEqualTo("time window '" + window
                + "' has an invalid time; hours are 00-23 and minutes 00-59");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9-17", "09:00", "", "9:00-17:00", "09:00-17:00-18:00", "nine to five"})
    void malformedWindowsAreRefused(String window) throws Exception {
        SecurityContext parent = t.login(t.issue("alice", null, "tool:*"));
        TokenRequestException e = assertThrows(TokenRequestException.class, () -> t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), null, List.of(window), null)));
        assertThat(e.getMessage()).isEqualTo("time window '" + window
                + "' is not HH:MM-HH:MM (UTC), e.g. 09:00-17:30");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 8, -1})
    void invalidDaysAreRefused(int day) throws Exception {
        SecurityContext parent = t.login(t.issue("alice", null, "tool:*"));
        TokenRequestException e = assertThrows(TokenRequestException.class, () -> t.authority.delegate(parent,
                new DelegationRequest(null, List.of("tool:read"), null, null, Set.of(1, day))));
        assertThat(e.getMessage()).isEqualTo("day " + day + " is not a weekday number: 1 = Monday ... 7 = Sunday");
    }

    @Test
    void restrictionsAreRecordedAndInherited() throws Exception {
        SecurityContext parent = t.login(t.issue("alice", null, "tool:*"));
        IssuedToken child = t.authority.delegate(parent, new DelegationRequest(null, List.of("tool:read", "tool:x"),
                null, List.of("08:00-18:00", " 20:00 - 21:00 "), Set.of(3, 4)));
        TimeRestriction expected = new TimeRestriction(List.of(new TimeWindow(LocalTime.of(8, 0), LocalTime.of(18, 0)),
                new TimeWindow(LocalTime.of(20, 0), LocalTime.of(21, 0))), Set.of(3, 4));
        assertThat(child.claims().restrictions()).containsExactly(expected);

        // a grandchild without its own restriction still carries its parent's
        IssuedToken grandchild = t.delegate(t.login(child), "tool:read");
        assertThat(grandchild.claims().restrictions()).containsExactly(expected);
        assertThat(t.login(grandchild).token().orElseThrow().restrictions()).containsExactly(expected);
    }

    @Test
    void delegatingFromAShellUserIsRefused() {
        SecurityContext shell = t.authority.forRoles("root", List.of("admin"));
        TokenRequestException e = assertThrows(TokenRequestException.class, () -> t.delegate(shell, "tool:read"));
        assertThat(e.getMessage()).contains("authenticate with the token to delegate from");
    }

    @Test
    void malformedPermissionRequestsAreRefused() throws Exception {
        SecurityContext parent = t.login(t.issue("alice", null, "tool:*"));
        assertThat(assertThrows(TokenRequestException.class, () -> t.delegate(parent)).getMessage())
                .contains("at least one permission");
        assertThat(assertThrows(TokenRequestException.class, () -> t.delegate(parent, "tool:" + "x".repeat(70)))
                .getMessage()).contains("the limit is 64");
        assertThat(assertThrows(TokenRequestException.class, () -> t.delegate(parent, "::")).getMessage())
                .contains("not a valid wildcard permission");
        assertThat(assertThrows(TokenRequestException.class, () -> t.authority.delegate(parent,
                new DelegationRequest(" ", List.of("tool:read"), null, null, null))).getMessage())
                .contains("subject must not be blank");
        // duplicates and surrounding blanks are normalized
        IssuedToken child = t.delegate(parent, "tool:read", " tool:read ", "tool:x");
        assertThat(child.claims().permissions()).containsExactly("tool:read", "tool:x");
    }
}
