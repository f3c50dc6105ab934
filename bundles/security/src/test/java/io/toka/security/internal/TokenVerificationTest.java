package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import io.toka.security.AuditEvent;
import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.Permissions;
import io.toka.security.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every refusal of {@link TokenAuthority#authenticate(String)}: the caller always gets the same generic message,
 * the reason goes to the audit log only.
 */
class TokenVerificationTest {

    @TempDir
    java.nio.file.Path dir;

    private TestAuthority t;
    private TokenAuthority authority;
    private MutableClock clock;

    @BeforeEach
    void start() throws Exception {
        t = new TestAuthority(dir);
        authority = t.authority;
        clock = t.clock;
    }

    /** Asserts a refusal: generic message, the reason names the cause, and an authenticate/failure audit event. */
    private AuthenticationException assertRefused(String token, String reasonPart) {
        t.audit.clear();
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> authority.authenticate(token));
        assertThat(e.getMessage()).isEqualTo(AuthenticationException.GENERIC_MESSAGE);
        assertThat(e.reason()).containsIgnoringCase(reasonPart);
        List<AuditEvent> failures = t.audit.events("authenticate", "failure");
        assertThat(failures).hasSize(1);
        assertThat(failures.get(0).detail()).isEqualTo(e.reason());
        return e;
    }

    private static String hmac(String algorithm, byte[] key, String signingInput) throws Exception {
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        return TestAuthority.b64url(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    }

    // ------------------------------------------------------------------ happy path

    @Test
    void issuedTokenAuthenticatesWithWildcardSemantics() throws Exception {
        IssuedToken issued = t.issue("agent-7", Duration.ofMinutes(30), "tool:invoke:*", Permissions.TOOL_READ);

        SecurityContext ctx = authority.authenticate(issued.token());

        assertThat(ctx.subject()).isEqualTo("agent-7");
        assertThat(ctx.token()).hasValueSatisfying(c -> {
            assertThat(c.jti()).isEqualTo(issued.claims().jti());
            assertThat(c.vault()).isEqualTo("toka");
            assertThat(c.permissions()).containsExactly("tool:invoke:*", "tool:read");
            assertThat(c.issuer()).isEqualTo("root");
            assertThat(c.chain()).isEmpty();
        });
        assertThat(ctx.isPermitted("tool:invoke:file-reader")).isTrue();
        assertThat(ctx.isPermitted("tool:invoke:shell")).isTrue();
        assertThat(ctx.isPermitted("tool:read")).isTrue();
        assertThat(ctx.isPermitted("token:issue")).isFalse();
        assertThat(ctx.isPermitted("tool:write")).isFalse();
        assertThat(ctx.isPermitted("key:read")).isFalse();
        // the second sight comes from the cache and gives the same answers
        SecurityContext again = authority.authenticate(issued.token());
        assertThat(again.isPermitted("tool:invoke:file-reader")).isTrue();
        assertThat(again.isPermitted("token:issue")).isFalse();
        assertThat(t.audit.events("authenticate", "failure")).isEmpty();
    }

    @Test
    void tokenHeaderIsTheCapabilityType() throws Exception {
        IssuedToken issued = t.issue("agent", null, "tool:read");
        String header = TestAuthority.unb64url(issued.token().split("\\.")[0]);
        assertThat(header).contains("\"typ\":\"toka.cap+jwt\"").contains("\"alg\":\"HS256\"")
                .contains("\"kid\":\"" + t.activeKey().kid() + "\"");
        // default lifetime is one hour
        assertThat(Duration.between(issued.claims().issuedAt(), issued.claims().expiresAt())).isEqualTo(Duration.ofHours(1));
    }

    // ------------------------------------------------------------------ time

    @Test
    void expiredTokenIsAcceptedWithinTheSkewAndRefusedAfter() throws Exception {
        IssuedToken seen = t.issue("agent", Duration.ofMinutes(1), "tool:read");
        IssuedToken unseen = t.issue("agent", Duration.ofMinutes(1), "tool:read");
        authority.authenticate(seen.token());

        clock.set(seen.claims().expiresAt().plusSeconds(4));
        assertThat(authority.authenticate(seen.token()).subject()).isEqualTo("agent");

        clock.set(seen.claims().expiresAt().plusSeconds(5));
        AuthenticationException cached = assertRefused(seen.token(), "expired at");
        assertThat(cached.reason()).contains(seen.claims().expiresAt().toString());
        // never seen before: refused on first sight too
        assertRefused(unseen.token(), "expired at");
        assertThat(t.audit.events("authenticate", "failure").get(0).jti()).isEqualTo(unseen.claims().jti());
        assertThat(t.audit.events("authenticate", "failure").get(0).subject()).isEqualTo("agent");
    }

    @Test
    void tokenIssuedInTheFutureBeyondTheSkewIsRefused() throws Exception {
        Instant now = clock.instant();
        String withinSkew = t.forge(t.validClaims().issueTime(Date.from(now.plusSeconds(4))).build());
        String beyondSkew = t.forge(t.validClaims().issueTime(Date.from(now.plusSeconds(30))).build());

        assertThat(authority.authenticate(withinSkew).subject()).isEqualTo("forged");
        assertRefused(beyondSkew, "not yet valid");

        clock.advance(Duration.ofSeconds(30));
        assertThat(authority.authenticate(beyondSkew).subject()).isEqualTo("forged");
    }

    @Test
    void notBeforeInTheFutureIsRefused() throws Exception {
        String token = t.forge(t.validClaims().notBeforeTime(Date.from(clock.instant().plusSeconds(60))).build());
        assertRefused(token, "nbf");
    }

    // ------------------------------------------------------------------ keys and signature

    @Test
    void tokenSignedWithAnotherSecretUnderTheRightKidIsRefused() {
        byte[] other = new byte[32];
        new SecureRandom().nextBytes(other);
        String token = TestAuthority.sign(TestAuthority.header(t.activeKey().kid()), t.validClaims().build(), other);
        assertRefused(token, "bad signature");
    }

    @Test
    void unknownKidIsRefused() {
        String token = TestAuthority.sign(TestAuthority.header("k-000000000000"), t.validClaims().build(),
                t.activeKey().secret());
        assertRefused(token, "unknown or expired key id k-000000000000");
    }

    @Test
    void missingKidIsRefused() {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.HS256).type(TokenCodec.TYPE).build();
        assertRefused(TestAuthority.sign(header, t.validClaims().build(), t.activeKey().secret()), "no kid");
    }

    @Test
    void algNoneIsRefused() {
        String payload = TestAuthority.b64url(t.validClaims().claim("permissions", List.of("*")).build().toString());
        String header = TestAuthority.b64url("{\"alg\":\"none\",\"typ\":\"toka.cap+jwt\"}");
        assertThat(header).startsWith("eyJ");
        assertRefused(header + "." + payload + ".", "malformed token");
        // with the right kid as well
        String withKid = TestAuthority.b64url("{\"alg\":\"none\",\"typ\":\"toka.cap+jwt\",\"kid\":\""
                + t.activeKey().kid() + "\"}");
        assertRefused(withKid + "." + payload + ".", "malformed token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"HS384", "HS512"})
    void otherHmacAlgorithmsWithTheRightKeyAreRefused(String alg) throws Exception {
        TestAuthority.StoredKey key = t.activeKey();
        String header = TestAuthority.b64url("{\"alg\":\"" + alg + "\",\"typ\":\"toka.cap+jwt\",\"kid\":\""
                + key.kid() + "\"}");
        String payload = TestAuthority.b64url(t.validClaims().build().toString());
        String input = header + "." + payload;
        String token = input + "." + hmac("Hmac" + alg.replace("HS", "SHA"), key.secret(), input);
        assertRefused(token, "algorithm " + alg + " is not HS256");
    }

    @Test
    void wrongOrMissingTypIsRefused() {
        TestAuthority.StoredKey key = t.activeKey();
        JWSHeader jwt = new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).keyID(key.kid()).build();
        assertRefused(TestAuthority.sign(jwt, t.validClaims().build(), key.secret()), "typ JWT is not toka.cap+jwt");

        JWSHeader none = new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.kid()).build();
        assertRefused(TestAuthority.sign(none, t.validClaims().build(), key.secret()), "typ null is not toka.cap+jwt");
    }

    @Test
    void criticalHeaderParametersAreRefused() {
        TestAuthority.StoredKey key = t.activeKey();
        JWSHeader crit = new JWSHeader.Builder(JWSAlgorithm.HS256).type(TokenCodec.TYPE).keyID(key.kid())
                .criticalParams(Set.of("exp")).customParam("exp", 1).build();
        assertRefused(TestAuthority.sign(crit, t.validClaims().build(), key.secret()), "critical");
    }

    @Test
    void tamperedPayloadIsRefused() throws Exception {
        IssuedToken issued = t.issue("agent", null, "tool:read");
        String[] parts = issued.token().split("\\.");
        String payload = TestAuthority.unb64url(parts[1]);
        assertThat(payload).contains("\"tool:read\"");
        String widened = TestAuthority.b64url(payload.replace("\"tool:read\"", "\"tool:*\""));
        String tampered = parts[0] + "." + widened + "." + parts[2];

        assertRefused(tampered, "bad signature");
        // the genuine token is still fine, and the tampered one was not cached as valid
        assertThat(authority.authenticate(issued.token()).isPermitted("tool:invoke:x")).isFalse();
        assertRefused(tampered, "bad signature");
    }

    @Test
    void signatureOfAnotherTokenIsRefused() throws Exception {
        String a = t.issue("agent", null, "tool:read").token();
        String b = t.issue("agent", null, "tool:*").token();
        String spliced = b.substring(0, b.lastIndexOf('.')) + a.substring(a.lastIndexOf('.'));
        assertRefused(spliced, "bad signature");
    }

    // ------------------------------------------------------------------ revocation

    @Test
    void revokedTokenIsRefused() throws Exception {
        IssuedToken issued = t.issue("agent", null, "tool:read");
        authority.revoke(t.shellAdmin(), issued.claims().jti());
        AuthenticationException e = assertRefused(issued.token(), "token revoked");
        assertThat(t.audit.events("authenticate", "failure").get(0).jti()).isEqualTo(issued.claims().jti());
        assertThat(e.reason()).doesNotContain("delegated");
    }

    @Test
    void tokenDelegatedFromARevokedParentIsRefused() throws Exception {
        IssuedToken parent = t.issue("agent", null, "tool:*");
        SecurityContext holder = t.login(parent);
        authority.revoke(t.shellAdmin(), parent.claims().jti());
        // the holder still has its context from before the revocation: its token's live state is checked on use
        assertThat(assertThrows(io.toka.security.TokenStateException.class, () -> t.delegate(holder, "tool:read"))
                .getMessage()).startsWith("token revoked");
    }

    @Test
    void tokenWhoseParentIsRevokedIsRefusedEvenIfTheLedgerDoesNotKnowIt() throws Exception {
        IssuedToken parent = t.issue("agent", null, "tool:*");
        authority.revoke(t.shellAdmin(), parent.claims().jti());
        String child = t.forge(t.validClaims().claim("chain", List.of(parent.claims().jti())).build());
        assertRefused(child, "token delegated from revoked token " + parent.claims().jti());
    }

    @Test
    void tokenWhoseGrandparentIsRevokedIsRefused() throws Exception {
        IssuedToken root = t.issue("agent", null, "tool:*");
        SecurityContext rootCtx = t.login(root);
        IssuedToken child = t.delegate(rootCtx, "tool:invoke:*");
        IssuedToken grandchild = t.delegate(t.login(child), "tool:invoke:file-reader");
        assertThat(grandchild.claims().chain()).containsExactly(root.claims().jti(), child.claims().jti());
        authority.authenticate(grandchild.token()); // cached as valid

        authority.revoke(t.shellAdmin(), root.claims().jti());

        // revocation cascades through the ledger: the grandchild's own id is revoked ...
        assertRefused(grandchild.token(), "revoked");
        // ... and a grandchild the ledger never saw is refused through its chain alone
        String unknownToLedger = t.forge(t.validClaims()
                .claim("chain", List.of(root.claims().jti(), "some-unrevoked-parent")).build());
        assertRefused(unknownToLedger, "token delegated from revoked token " + root.claims().jti());
    }

    // ------------------------------------------------------------------ size and garbage

    @Test
    void overLongTokenIsRefusedBeforeParsing() throws Exception {
        String real = t.issue("agent", null, "tool:read").token();
        String padded = real + "A".repeat(ClaimRules.MAX_TOKEN_CHARS + 1 - real.length());
        assertThat(padded).hasSize(8193);
        assertRefused(padded, "token is 8193 characters; the limit is 8192");
        // a huge non-token is refused for its size too, not for its syntax
        assertRefused("x".repeat(100_000), "the limit is 8192");
    }

    @Test
    void nullAndEmptyAreRefused() {
        assertRefused(null, "no token");
        assertRefused("", "no token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "a.b.c", "...", "eyJ.eyJ.", " ", "Bearer abc", "a.b", "a.b.c.d.e"})
    void garbageIsRefused(String garbage) {
        assertRefused(garbage, "");
    }

    @Test
    void randomBase64IsRefused() {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 50; i++) {
            byte[] a = new byte[1 + random.nextInt(300)];
            random.nextBytes(a);
            String one = Base64.getUrlEncoder().withoutPadding().encodeToString(a);
            assertRefused(one, "");
            byte[] b = new byte[1 + random.nextInt(64)];
            random.nextBytes(b);
            String three = one + "." + TestAuthority.b64url(b) + "." + TestAuthority.b64url(a);
            assertRefused(three, "");
        }
    }

    // ------------------------------------------------------------------ time windows

    private SecurityContext rootHolder(Duration ttl) throws Exception {
        return t.login(t.issue("agent", ttl, "tool:*"));
    }

    private IssuedToken restricted(SecurityContext holder, List<String> windows, Set<Integer> days) throws Exception {
        return authority.delegate(holder, new DelegationRequest(null, List.of("tool:read"), null, windows, days));
    }

    @Test
    void tokenUsedOutsideItsWindowIsRefusedAndAcceptedInside() throws Exception {
        IssuedToken child = restricted(rootHolder(Duration.ofHours(6)), List.of("12:00-13:00"), Set.of());

        assertRefused(child.token(), "outside its time window");
        clock.set(Instant.parse("2026-03-04T12:30:00Z"));
        assertThat(authority.authenticate(child.token()).isPermitted("tool:read")).isTrue();
        clock.set(Instant.parse("2026-03-04T13:00:59Z"));
        authority.authenticate(child.token()); // the end minute is included
        clock.set(Instant.parse("2026-03-04T13:01:00Z"));
        assertRefused(child.token(), "outside its time window");
    }

    @Test
    void windowWrappingMidnight() throws Exception {
        IssuedToken child = restricted(rootHolder(Duration.ofHours(24)), List.of("22:00-02:00"), Set.of());

        assertRefused(child.token(), "outside its time window"); // 10:00
        clock.set(Instant.parse("2026-03-04T21:59:00Z"));
        assertRefused(child.token(), "outside its time window");
        clock.set(Instant.parse("2026-03-04T23:30:00Z"));
        authority.authenticate(child.token());
        clock.set(Instant.parse("2026-03-05T00:00:00Z"));
        authority.authenticate(child.token());
        clock.set(Instant.parse("2026-03-05T01:30:00Z"));
        authority.authenticate(child.token());
        clock.set(Instant.parse("2026-03-05T03:00:00Z"));
        assertRefused(child.token(), "outside its time window");
    }

    @Test
    void weekdayRestriction() throws Exception {
        DayOfWeek today = clock.instant().atZone(ZoneOffset.UTC).getDayOfWeek();
        assertThat(today).isEqualTo(DayOfWeek.WEDNESDAY);
        IssuedToken thursdayOnly = restricted(rootHolder(Duration.ofHours(24)), List.of(),
                Set.of(DayOfWeek.THURSDAY.getValue()));
        IssuedToken wednesdayMornings = restricted(rootHolder(Duration.ofHours(24)), List.of("08:00-11:00"),
                Set.of(DayOfWeek.WEDNESDAY.getValue()));

        assertRefused(thursdayOnly.token(), "outside its time window");
        authority.authenticate(wednesdayMornings.token());

        clock.set(Instant.parse("2026-03-05T00:30:00Z")); // Thursday
        authority.authenticate(thursdayOnly.token());
        assertRefused(wednesdayMornings.token(), "outside its time window");
        clock.set(Instant.parse("2026-03-05T09:00:00Z")); // Thursday, inside the window but the wrong day
        assertRefused(wednesdayMornings.token(), "outside its time window");
    }

    @Test
    void grandchildMustSatisfyEveryAncestorsWindow() throws Exception {
        IssuedToken child = restricted(rootHolder(Duration.ofHours(24)), List.of("09:00-17:00"), Set.of());
        SecurityContext childCtx = authority.authenticate(child.token());
        IssuedToken grandchild = authority.delegate(childCtx,
                new DelegationRequest(null, List.of("tool:read"), null, List.of("16:00-20:00"), Set.of()));
        assertThat(grandchild.claims().restrictions()).hasSize(2);

        assertRefused(grandchild.token(), "outside its time window"); // 10:00: only the first window
        clock.set(Instant.parse("2026-03-04T16:30:00Z"));
        authority.authenticate(grandchild.token());
        clock.set(Instant.parse("2026-03-04T18:00:00Z")); // only the second window
        assertRefused(grandchild.token(), "outside its time window");
    }

    // ------------------------------------------------------------------ claim rules

    @Test
    void lifetimeOverOneDayIsRefused() {
        Instant now = clock.instant();
        String token = t.forge(t.validClaims().expirationTime(Date.from(now.plus(Duration.ofHours(25)))).build());
        assertRefused(token, "claims break the rules: lifetime 90000 s exceeds 24 h");
    }

    @Test
    void expNotAfterIatIsRefused() {
        Instant now = clock.instant();
        String token = t.forge(t.validClaims().issueTime(Date.from(now)).expirationTime(Date.from(now)).build());
        assertRefused(token, "exp must be after iat");
    }

    @Test
    void blankSubjectIsRefused() {
        assertRefused(t.forge(t.validClaims().subject("  ").build()), "sub must not be blank");
        assertRefused(t.forge(t.validClaims().subject("x".repeat(257)).build()), "sub is 257 characters");
    }

    @Test
    void blankVaultIsRefused() {
        assertRefused(t.forge(t.validClaims().claim("vault", "").build()), "vault must not be blank");
    }

    @Test
    void tooManyPermissionsAreRefused() {
        List<String> permissions = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            permissions.add("tool:invoke:t" + i);
        }
        assertRefused(t.forge(t.validClaims().claim("permissions", permissions).build()),
                "101 permissions; the limit is 100");
        // 100 is fine
        permissions.remove(100);
        String hundred = t.forge(t.validClaims().claim("permissions", permissions).build());
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> authority.authenticate(hundred));
    }

    @Test
    void overLongPermissionIsRefused() {
        String permission = "tool:invoke:" + "x".repeat(53);
        assertThat(permission).hasSize(65);
        assertRefused(t.forge(t.validClaims().claim("permissions", List.of("tool:read", permission)).build()),
                "65 characters; the limit is 64");
    }

    @Test
    void blankPermissionIsRefused() {
        assertRefused(t.forge(t.validClaims().claim("permissions", List.of("tool:read", " ")).build()),
                "a permission must not be blank");
    }

    @Test
    void invalidWildcardPermissionIsRefused() {
        assertRefused(t.forge(t.validClaims().claim("permissions", List.of("tool:read", "::")).build()),
                "invalid permission '::'");
    }

    @Test
    void missingClaimsAreRefused() {
        JWTClaimsSet noJti = new JWTClaimsSet.Builder(t.validClaims().build()).jwtID(null).build();
        assertRefused(t.forge(noJti), "jti are all required");
        JWTClaimsSet noSub = new JWTClaimsSet.Builder(t.validClaims().build()).subject(null).build();
        assertRefused(t.forge(noSub), "malformed claims");
        JWTClaimsSet noExp = new JWTClaimsSet.Builder(t.validClaims().build()).expirationTime(null).build();
        assertRefused(t.forge(noExp), "malformed claims");
        JWTClaimsSet noPermissions = new JWTClaimsSet.Builder(t.validClaims().build()).claim("permissions", null).build();
        assertRefused(t.forge(noPermissions), "no permissions claim");
        JWTClaimsSet permissionsNotAList = t.validClaims().claim("permissions", "tool:read").build();
        assertRefused(t.forge(permissionsNotAList), "malformed claims");
    }

    @Test
    void malformedRestrictionsAreRefused() {
        assertRefused(t.forge(t.validClaims().claim("rst", "nope").build()), "rst");
        assertRefused(t.forge(t.validClaims().claim("rst", List.of(java.util.Map.of("w", List.of("25:00-26:00"))))
                .build()), "malformed claims");
        assertRefused(t.forge(t.validClaims().claim("rst", List.of(java.util.Map.of("d", List.of(9)))).build()),
                "malformed claims");
    }

    @Test
    void chainDeeperThanTheLimitIsRefused() {
        List<String> chain = List.of("a", "b", "c", "d", "e", "f");
        assertRefused(t.forge(t.validClaims().claim("chain", chain).build()), "delegation chain of 6 exceeds 5");
    }

    @Test
    void everyRefusalTellsTheCallerTheSameThing() throws Exception {
        IssuedToken revoked = t.issue("agent", null, "tool:read");
        authority.revoke(t.shellAdmin(), revoked.claims().jti());
        List<String> tokens = List.of("", "abc", revoked.token(),
                t.forge(t.validClaims().subject(" ").build()),
                TestAuthority.sign(TestAuthority.header("k-nope"), t.validClaims().build(), t.activeKey().secret()));
        List<String> reasons = new ArrayList<>();
        for (String token : tokens) {
            AuthenticationException e = assertThrows(AuthenticationException.class, () -> authority.authenticate(token));
            assertThat(e.getMessage()).isEqualTo(AuthenticationException.GENERIC_MESSAGE);
            reasons.add(e.reason());
        }
        assertThat(reasons).doesNotHaveDuplicates();
    }
}
