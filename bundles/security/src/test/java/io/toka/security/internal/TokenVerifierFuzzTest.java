package io.toka.security.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import io.toka.security.AuthenticationException;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * Fuzzes the capability-token verifier before and after the signature check. Any text handed to
 * {@link TokenAuthority#authenticate} must be refused with an {@link AuthenticationException}, never another exception,
 * and a token that is accepted must obey every claim rule. The second target signs the fuzzed header and payload with
 * the real active key, so the claim parsing and rules behind the signature check are reached too.
 */
class TokenVerifierFuzzTest {

    private static final TestAuthority AUTHORITY;
    private static final TestAuthority.StoredKey KEY;

    static {
        try {
            AUTHORITY = new TestAuthority(Files.createTempDirectory("toka-token-fuzz"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KEY = AUTHORITY.activeKey();
    }

    /** Any text as a bearer token: refused with AuthenticationException unless it is a real token. */
    @FuzzTest(maxDuration = "30s")
    void unsigned(byte[] input) {
        String raw = new String(input, StandardCharsets.UTF_8);
        FuzzBounds.check("authenticate", () -> authenticate(raw));
    }

    /**
     * A header (the first line, JSON; the authority's own header when it is not one) and a payload (the rest) from the
     * fuzzer, signed with the real key: what an attacker holding the key file, or a bug in the issuing code, could
     * present. Only the claim parsing and rules stand between such a token and a caller.
     */
    @FuzzTest(maxDuration = "30s")
    void signed(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        JWSHeader header = TestAuthority.header(KEY.kid());
        String payload = text;
        if (nl >= 0) {
            payload = text.substring(nl + 1);
            try {
                JWSHeader parsed = JWSHeader.parse(text.substring(0, nl));
                header = parsed.getAlgorithm().equals(JWSAlgorithm.HS256) ? parsed : header;
            } catch (java.text.ParseException | RuntimeException notAHeader) {
                // keep the authority's header
            }
        }
        String token;
        try {
            JWSObject jws = new JWSObject(header, new Payload(payload.getBytes(StandardCharsets.UTF_8)));
            jws.sign(new MACSigner(KEY.secret()));
            token = jws.serialize();
        } catch (JOSEException | IllegalArgumentException | IllegalStateException e) {
            return; // not a token the library can even write
        }
        FuzzBounds.check("authenticate", () -> authenticate(token));
    }

    private static void authenticate(String raw) {
        SecurityContext caller;
        try {
            caller = AUTHORITY.authority.authenticate(raw);
        } catch (AuthenticationException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError("a refusal without a reason", refused);
            }
            return;
        }
        TokenClaims c = caller.token().orElseThrow(() -> new AssertionError("a token caller without claims"));
        String broken = ClaimRules.violation(c);
        if (broken != null) {
            throw new AssertionError("accepted a token that breaks the claim rules: " + broken);
        }
        if (!caller.subject().equals(c.subject())) {
            throw new AssertionError("caller subject " + caller.subject() + " differs from the token's " + c.subject());
        }
    }
}
