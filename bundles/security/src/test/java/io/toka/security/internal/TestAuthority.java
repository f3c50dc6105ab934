package io.toka.security.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.SecurityContext;
import io.toka.security.TokenRequest;
import io.toka.security.TokenRequestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * A {@link TokenAuthority} on a temp directory with a {@link MutableClock}, a {@link CollectingAuditLog} and no
 * scheduled maintenance, plus helpers to issue, delegate and forge tokens.
 */
final class TestAuthority {

    /** The signing key as stored in keys.json. */
    record StoredKey(String kid, byte[] secret) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final MutableClock clock;
    final CollectingAuditLog audit;
    final Settings settings;
    TokenAuthority authority;

    TestAuthority(Path dir) throws IOException {
        this(dir, UnaryOperator.identity());
    }

    TestAuthority(Path dir, UnaryOperator<Settings> tweak) throws IOException {
        this(dir, tweak, new MutableClock());
    }

    TestAuthority(Path dir, UnaryOperator<Settings> tweak, MutableClock clock) throws IOException {
        this.dir = dir;
        this.clock = clock;
        this.audit = new CollectingAuditLog();
        this.settings = tweak.apply(Settings.defaults(dir));
        this.authority = new TokenAuthority(settings, clock, audit, false);
    }

    /** Replaces the authority with a new one on the same directory, as after a restart. */
    TokenAuthority restart() throws IOException {
        authority = new TokenAuthority(settings, clock, audit, false);
        return authority;
    }

    /** A shell user with role admin (permission *). */
    SecurityContext shellAdmin() {
        return authority.forRoles("root", List.of("admin"));
    }

    String adminToken() {
        try {
            return Files.readString(authority.adminTokenFile(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    SecurityContext adminContext() throws AuthenticationException {
        return authority.authenticate(adminToken());
    }

    IssuedToken issue(String subject, Duration ttl, String... permissions) throws TokenRequestException {
        return authority.issue(shellAdmin(), new TokenRequest(subject, null, List.of(permissions), ttl));
    }

    SecurityContext login(IssuedToken token) throws AuthenticationException {
        return authority.authenticate(token.token());
    }

    IssuedToken delegate(SecurityContext holder, String... permissions) throws TokenRequestException {
        return authority.delegate(holder, new DelegationRequest(null, List.of(permissions), null, null, null));
    }

    /** The active key, read from keys.json as an attacker with file access would. */
    StoredKey activeKey() {
        return storedKeys().get(0);
    }

    /** Every key in keys.json, in file order (newest first). */
    List<StoredKey> storedKeys() {
        try {
            JsonNode root = JSON.readTree(dir.resolve("keys.json").toFile());
            List<StoredKey> out = new java.util.ArrayList<>();
            for (JsonNode k : root.path("keys")) {
                out.add(new StoredKey(k.path("kid").asText(), Base64.getDecoder().decode(k.path("secret").asText())));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Claims that obey every rule, valid from now for an hour. */
    JWTClaimsSet.Builder validClaims() {
        return new JWTClaimsSet.Builder()
                .subject("forged")
                .claim("vault", "toka")
                .claim("permissions", List.of("tool:read"))
                .issueTime(Date.from(clock.instant()))
                .expirationTime(Date.from(clock.instant().plus(Duration.ofHours(1))))
                .jwtID(UUID.randomUUID().toString());
    }

    /** The header the authority itself writes, for a key id. */
    static JWSHeader header(String kid) {
        return new JWSHeader.Builder(JWSAlgorithm.HS256).type(TokenCodec.TYPE).keyID(kid).build();
    }

    /** Signs the claims with the real active key and the authority's header. */
    String forge(JWTClaimsSet claims) {
        StoredKey k = activeKey();
        return sign(header(k.kid()), claims, k.secret());
    }

    static String sign(JWSHeader header, JWTClaimsSet claims, byte[] secret) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(new MACSigner(secret));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    static String kidOf(String token) {
        try {
            return SignedJWT.parse(token).getHeader().getKeyID();
        } catch (ParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static String b64url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String b64url(String text) {
        return b64url(text.getBytes(StandardCharsets.UTF_8));
    }

    static String unb64url(String part) {
        return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
    }
}
