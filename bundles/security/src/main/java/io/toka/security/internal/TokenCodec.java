package io.toka.security.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.toka.security.AuthenticationException;
import io.toka.security.TimeRestriction;
import io.toka.security.TimeWindow;
import io.toka.security.TokenClaims;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Capability tokens on the wire: compact HS256 JWTs with header {@code typ: toka.cap+jwt} and a {@code kid}, and
 * claims {@code sub, vault, permissions, iat, exp, jti}. Delegated tokens add {@code by} (who minted it),
 * {@code chain} (ancestor ids, root first) and {@code rst} (time restrictions, one per narrowing step).
 */
final class TokenCodec {

    static final JOSEObjectType TYPE = new JOSEObjectType("toka.cap+jwt");

    /** A token whose signature checked out, with the key that signed it. */
    record Decoded(TokenClaims claims, String kid, java.time.Instant notBefore) {
    }

    private TokenCodec() {
    }

    static String mint(TokenClaims c, KeyRing.Key key) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
                .subject(c.subject())
                .claim("vault", c.vault())
                .claim("permissions", c.permissions())
                .issueTime(Date.from(c.issuedAt()))
                .expirationTime(Date.from(c.expiresAt()))
                .jwtID(c.jti());
        if (c.issuer() != null) {
            b.claim("by", c.issuer());
        }
        if (!c.chain().isEmpty()) {
            b.claim("chain", c.chain());
        }
        if (!c.restrictions().isEmpty()) {
            List<Object> rst = new ArrayList<>();
            for (TimeRestriction r : c.restrictions()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("w", r.windows().stream().map(TimeWindow::toString).toList());
                m.put("d", List.copyOf(r.days()));
                rst.add(m);
            }
            b.claim("rst", rst);
        }
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.HS256).type(TYPE).keyID(key.kid).build();
        SignedJWT jwt = new SignedJWT(header, b.build());
        try {
            jwt.sign(key.signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
        return jwt.serialize();
    }

    /**
     * Checks size, structure, algorithm, type, key and signature, and reads the claims. Time, claim rules and
     * revocation are checked by the caller.
     */
    static Decoded decode(String raw, KeyRing keys) throws AuthenticationException {
        if (raw == null || raw.isBlank()) {
            throw new AuthenticationException("no token");
        }
        if (raw.length() > ClaimRules.MAX_TOKEN_CHARS) {
            throw new AuthenticationException("token is " + raw.length() + " characters; the limit is "
                    + ClaimRules.MAX_TOKEN_CHARS);
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(raw);
        } catch (ParseException e) {
            throw new AuthenticationException("malformed token: " + e.getMessage());
        }
        JWSHeader h = jwt.getHeader();
        if (!JWSAlgorithm.HS256.equals(h.getAlgorithm())) {
            throw new AuthenticationException("algorithm " + h.getAlgorithm() + " is not HS256");
        }
        if (!TYPE.equals(h.getType())) {
            throw new AuthenticationException("typ " + h.getType() + " is not " + TYPE);
        }
        if (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty()) {
            throw new AuthenticationException("unsupported critical header parameters " + h.getCriticalParams());
        }
        if (h.getKeyID() == null) {
            throw new AuthenticationException("no kid in the header");
        }
        KeyRing.Key key = keys.lookup(h.getKeyID());
        if (key == null) {
            throw new AuthenticationException("unknown or expired key id " + h.getKeyID());
        }
        try {
            if (!jwt.verify(key.verifier)) {
                throw new AuthenticationException("bad signature (key " + key.kid + ")");
            }
        } catch (JOSEException e) {
            throw new AuthenticationException("signature check failed: " + e.getMessage());
        }
        try {
            JWTClaimsSet set = jwt.getJWTClaimsSet();
            Date nbf = set.getNotBeforeTime();
            return new Decoded(claims(set), key.kid, nbf == null ? null : nbf.toInstant());
        } catch (ParseException | RuntimeException e) {
            throw new AuthenticationException("malformed claims: " + e.getMessage());
        }
    }

    private static TokenClaims claims(JWTClaimsSet s) throws ParseException {
        List<String> permissions = s.getStringListClaim("permissions");
        if (permissions == null) {
            throw new ParseException("no permissions claim", 0);
        }
        if (s.getIssueTime() == null || s.getExpirationTime() == null || s.getSubject() == null
                || s.getStringClaim("vault") == null || s.getJWTID() == null) {
            throw new ParseException("sub, vault, iat, exp and jti are all required", 0);
        }
        List<String> chain = s.getStringListClaim("chain");
        List<TimeRestriction> restrictions = new ArrayList<>();
        Object rst = s.getClaim("rst");
        if (rst != null) {
            if (!(rst instanceof List<?> list)) {
                throw new ParseException("rst is not a list", 0);
            }
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> m)) {
                    throw new ParseException("rst entry is not an object", 0);
                }
                List<TimeWindow> windows = new ArrayList<>();
                for (Object w : listOf(m.get("w"))) {
                    windows.add(TimeWindow.parse(String.valueOf(w)));
                }
                Set<Integer> days = new TreeSet<>();
                for (Object d : listOf(m.get("d"))) {
                    if (!(d instanceof Number n)) {
                        throw new ParseException("rst day is not a number", 0);
                    }
                    days.add(n.intValue());
                }
                restrictions.add(new TimeRestriction(windows, days));
            }
        }
        return new TokenClaims(s.getSubject(), s.getStringClaim("vault"), permissions,
                s.getIssueTime().toInstant(), s.getExpirationTime().toInstant(), s.getJWTID(),
                s.getStringClaim("by"), chain, restrictions);
    }

    private static List<?> listOf(Object o) throws ParseException {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List<?> l)) {
            throw new ParseException("rst field is not a list", 0);
        }
        return l;
    }
}
