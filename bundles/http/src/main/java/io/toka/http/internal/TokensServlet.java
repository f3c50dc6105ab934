package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.KeyInfo;
import io.toka.security.KeyService;
import io.toka.security.Revocation;
import io.toka.security.SecurityContext;
import io.toka.security.TimeRestriction;
import io.toka.security.TokenClaims;
import io.toka.security.TokenRequest;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import io.toka.security.UnknownTokenException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code /tokens} and {@code /keys}: issue, delegate, revoke and inspect tokens; list and rotate keys. */
final class TokenApi {

    private static final Set<String> ISSUE_FIELDS = Set.of("subject", "vault", "permissions", "ttlSeconds");
    private static final Set<String> DELEGATE_FIELDS = Set.of("subject", "permissions", "ttlSeconds", "windows", "days");

    private final TokenService tokens;
    private final KeyService keys;

    TokenApi(TokenService tokens, KeyService keys) {
        this.tokens = tokens;
        this.keys = keys;
    }

    /** Routes {@code /tokens...} and {@code /keys...}; returns false if the path is not one of them. */
    boolean route(Exchange x, SecurityContext caller, String[] parts) throws IOException, Exchange.Rejected {
        if (parts[0].equals("tokens")) {
            if (parts.length == 1) {
                if (x.allow("POST")) {
                    issue(x, caller);
                }
            } else if (parts.length == 2 && parts[1].equals("delegate")) {
                if (x.allow("POST")) {
                    delegate(x, caller);
                }
            } else if (parts.length == 2 && parts[1].equals("self")) {
                if (x.allow("GET")) {
                    TokenClaims c = caller.token().orElse(null);
                    if (c == null) {
                        throw Exchange.Rejected.badRequest("this caller did not authenticate with a token");
                    }
                    x.json(200, claims(c));
                }
            } else if (parts.length == 2 && !parts[1].isEmpty()) {
                if (x.allow("DELETE")) {
                    revoke(x, caller, parts[1]);
                }
            } else {
                return false;
            }
            return true;
        }
        if (parts[0].equals("keys")) {
            if (parts.length == 1) {
                if (x.allow("GET")) {
                    x.json(200, Map.of("keys", keys.keys(caller).stream().map(TokenApi::key).toList()));
                }
            } else if (parts.length == 2 && parts[1].equals("rotate")) {
                if (x.allow("POST")) {
                    x.json(201, key(keys.rotate(caller)));
                }
            } else {
                return false;
            }
            return true;
        }
        return false;
    }

    private void issue(Exchange x, SecurityContext caller) throws IOException, Exchange.Rejected {
        ObjectNode body = x.readObject(ISSUE_FIELDS,
                "{\"subject\":\"agent-1\",\"permissions\":[\"tool:invoke:file-reader\"],\"ttlSeconds\":3600}");
        TokenRequest request = new TokenRequest(text(body, "subject", true), text(body, "vault", false),
                strings(body, "permissions"), ttl(body));
        try {
            IssuedToken t = tokens.issue(caller, request);
            x.json(201, issued(t));
        } catch (TokenRequestException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
    }

    private void delegate(Exchange x, SecurityContext caller) throws IOException, Exchange.Rejected {
        ObjectNode body = x.readObject(DELEGATE_FIELDS,
                "{\"permissions\":[\"tool:invoke:file-reader\"],\"ttlSeconds\":600,\"windows\":[\"09:00-17:00\"],\"days\":[1,2,3,4,5]}");
        Set<Integer> days = new LinkedHashSet<>();
        JsonNode d = body.get("days");
        if (d != null && !d.isNull()) {
            if (!d.isArray()) {
                throw Exchange.Rejected.badRequest("'days' must be an array of weekday numbers, 1 = Monday ... 7 = Sunday");
            }
            for (JsonNode n : d) {
                if (!n.canConvertToInt() || !n.isIntegralNumber()) {
                    throw Exchange.Rejected.badRequest("'days' must hold weekday numbers, 1 = Monday ... 7 = Sunday; "
                            + "not " + n);
                }
                days.add(n.asInt());
            }
        }
        DelegationRequest request = new DelegationRequest(text(body, "subject", false), strings(body, "permissions"),
                ttl(body), strings(body, "windows"), days);
        try {
            x.json(201, issued(tokens.delegate(caller, request)));
        } catch (TokenRequestException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
    }

    private void revoke(Exchange x, SecurityContext caller, String jti) throws IOException, Exchange.Rejected {
        try {
            Revocation r = tokens.revoke(caller, jti);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("revoked", r.jti());
            out.put("cascade", r.cascade());
            out.put("revokedAt", r.revokedAt().toString());
            x.json(200, out);
        } catch (UnknownTokenException e) {
            throw new Exchange.Rejected(Problem.notFound(e.getMessage()));
        } catch (TokenRequestException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
    }

    private static String text(ObjectNode body, String field, boolean required) throws Exchange.Rejected {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw Exchange.Rejected.badRequest("'" + field + "' is required");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw Exchange.Rejected.badRequest("'" + field + "' must be a string");
        }
        return n.asText();
    }

    private static List<String> strings(ObjectNode body, String field) throws Exchange.Rejected {
        JsonNode n = body.get(field);
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw Exchange.Rejected.badRequest("'" + field + "' must be an array of strings");
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw Exchange.Rejected.badRequest("'" + field + "' must hold only strings, not " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    private static Duration ttl(ObjectNode body) throws Exchange.Rejected {
        JsonNode n = body.get("ttlSeconds");
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw Exchange.Rejected.badRequest("'ttlSeconds' must be a whole number of seconds");
        }
        return Duration.ofSeconds(n.asLong());
    }

    private static Map<String, Object> issued(IssuedToken t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", t.token());
        m.putAll(claims(t.claims()));
        return m;
    }

    static Map<String, Object> claims(TokenClaims c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jti", c.jti());
        m.put("subject", c.subject());
        m.put("vault", c.vault());
        m.put("permissions", c.permissions());
        m.put("issuedAt", c.issuedAt().toString());
        m.put("expiresAt", c.expiresAt().toString());
        m.put("issuer", c.issuer());
        m.put("chain", c.chain());
        List<Map<String, Object>> restrictions = new ArrayList<>();
        for (TimeRestriction r : c.restrictions()) {
            restrictions.add(Map.of("windows", r.windows().stream().map(Object::toString).toList(),
                    "days", List.copyOf(r.days())));
        }
        m.put("restrictions", restrictions);
        return m;
    }

    private static Map<String, Object> key(KeyInfo k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kid", k.kid());
        m.put("createdAt", k.createdAt().toString());
        m.put("active", k.active());
        m.put("retiredAt", k.retiredAt() == null ? null : k.retiredAt().toString());
        m.put("validUntil", k.validUntil() == null ? null : k.validUntil().toString());
        return m;
    }
}
