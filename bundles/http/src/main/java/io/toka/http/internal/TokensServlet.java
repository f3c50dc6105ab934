package io.toka.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.KeyInfo;
import io.toka.security.KeyService;
import io.toka.security.Revocation;
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
import javax.servlet.Servlet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/** {@code /tokens} and {@code /keys}: issue, delegate, revoke and inspect tokens; list and rotate keys. */
@Component(service = Servlet.class)
@HttpWhiteboardContextSelect(ApiContext.SELECT)
@HttpWhiteboardServletPattern({"/tokens", "/tokens/*", "/keys", "/keys/*"})
@HttpWhiteboardServletName(TokensServlet.NAME)
public final class TokensServlet extends ApiServlet {

    static final String NAME = "toka-tokens";

    private static final long serialVersionUID = 1L;
    private static final Set<String> ISSUE_FIELDS = Set.of("subject", "vault", "permissions", "ttlSeconds");
    private static final Set<String> DELEGATE_FIELDS = Set.of("subject", "permissions", "ttlSeconds", "windows", "days");

    private final transient TokenService tokens;
    private final transient KeyService keys;

    private final transient Router router = new Router()
            .post("/tokens", this::issue)
            .post("/tokens/delegate", this::delegate)
            .get("/tokens/self", this::self)
            .delete("/tokens/{jti}", this::revoke)
            .get("/keys", this::keys)
            .post("/keys/rotate", this::rotate);

    @Activate
    public TokensServlet(@Reference TokenService tokens, @Reference KeyService keys) {
        this.tokens = tokens;
        this.keys = keys;
    }

    @Override
    Router router() {
        return router;
    }

    private void self(Exchange x) throws IOException, Exchange.Rejected {
        TokenClaims c = x.caller().token().orElse(null);
        if (c == null) {
            throw Exchange.Rejected.badRequest("this caller did not authenticate with a token");
        }
        x.json(200, claims(c));
    }

    private void keys(Exchange x) throws IOException {
        x.json(200, Map.of("keys", keys.keys(x.caller()).stream().map(TokensServlet::key).toList()));
    }

    private void rotate(Exchange x) throws IOException {
        x.json(201, key(keys.rotate(x.caller())));
    }

    private void issue(Exchange x) throws IOException, Exchange.Rejected {
        ObjectNode body = x.readObject(ISSUE_FIELDS,
                "{\"subject\":\"agent-1\",\"permissions\":[\"tool:invoke:file-reader\"],\"ttlSeconds\":3600}");
        TokenRequest request = new TokenRequest(text(body, "subject", true), text(body, "vault", false),
                strings(body, "permissions"), ttl(body));
        try {
            IssuedToken t = tokens.issue(x.caller(), request);
            x.json(201, issued(t));
        } catch (TokenRequestException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
    }

    private void delegate(Exchange x) throws IOException, Exchange.Rejected {
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
            x.json(201, issued(tokens.delegate(x.caller(), request)));
        } catch (TokenRequestException e) {
            throw Exchange.Rejected.badRequest(e.getMessage());
        }
    }

    private void revoke(Exchange x) throws IOException, Exchange.Rejected {
        try {
            Revocation r = tokens.revoke(x.caller(), x.param("jti"));
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
