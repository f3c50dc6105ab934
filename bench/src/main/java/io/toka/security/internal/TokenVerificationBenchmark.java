package io.toka.security.internal;

import io.toka.security.AuditLog;
import io.toka.security.AuthenticationException;
import io.toka.security.IssuedToken;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import io.toka.security.TokenRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.shiro.authz.Permission;
import org.apache.shiro.authz.permission.WildcardPermission;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a capability token costs per request, in µs per operation (sample time, so percentiles are reported):
 * <ul>
 *   <li>{@link #cachedAuthenticateAndCheck()}: {@code authenticate(token)} plus {@code isPermitted} for a token seen
 *       before, the steady state of an agent calling tools (goal: p50 at most 20 µs); {@code isPermitted} includes the
 *       live-state check (revocation, expiry, time windows, key);</li>
 *   <li>{@link #delegatedLiveAuthorize()}: the same for an agent's token two delegation steps deep with a weekday
 *       restriction, then {@code authorize} (live check of the token and both ancestors, windows, key, audit call);</li>
 *   <li>{@link #firstSightVerify()}: what the authority does on first sight of a token: parse, HS256 signature,
 *       header and claim rules, time checks and permission parsing ({@code TokenCodec.decode} and the checks of
 *       {@code TokenAuthority.verify}), without the cache;</li>
 *   <li>{@link #hmacBaseline()}: a bare {@code javax.crypto.Mac} HmacSHA256 over the same token's signing input.</li>
 * </ul>
 * In the security bundle's package to reach its package-private API. Run it (with the p50 summary) by
 * <pre>
 * mvn -o -q -B install -pl bundles/security &amp;&amp; mvn -o -q -B package -pl bench
 * java -cp bench/target/benchmarks.jar io.toka.bench.TokenVerificationOverhead [forks] [iterations] [seconds]
 * </pre>
 * or, for plain JMH output, {@code java -cp bench/target/benchmarks.jar org.openjdk.jmh.Main TokenVerification}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TokenVerificationBenchmark {

    static final String PERMISSION = "tool:invoke:file-reader";

    private static final AuditLog NO_AUDIT = event -> {
    };

    private Path dir;
    private Clock clock;
    private TokenAuthority authority;
    private KeyRing keys;
    private String token;
    private String delegated;
    private Settings settings;
    private Mac mac;
    private byte[] signingInput;

    @Setup(Level.Trial)
    public void start() throws Exception {
        dir = Files.createTempDirectory("toka-bench-tokens");
        clock = Clock.systemUTC();
        settings = Settings.defaults(dir);
        authority = new TokenAuthority(settings, clock, NO_AUDIT, false);
        SecurityContext admin = authority.forRoles("bench", List.of("admin"));
        IssuedToken issued = authority.issue(admin, new TokenRequest("agent", null,
                List.of("tool:invoke:*", "tool:read", "key:read"), Duration.ofHours(12)));
        token = issued.token();
        keys = new KeyRing(new FileSecurityState(dir, clock), clock); // the same keys, read from the same files
        if (!authority.authenticate(token).isPermitted(PERMISSION)) {
            throw new IllegalStateException("the benchmark token does not hold " + PERMISSION);
        }
        SecurityContext parent = authority.authenticate(token);
        IssuedToken child = authority.delegate(parent, new io.toka.security.DelegationRequest("orchestrator",
                List.of("tool:invoke:*", "tool:read"), null, List.of(), java.util.Set.of(1, 2, 3, 4, 5, 6, 7)));
        delegated = authority.delegate(authority.authenticate(child.token()), new io.toka.security.DelegationRequest(
                "agent:bench", List.of(PERMISSION), null, List.of(), java.util.Set.of())).token();
        authority.authenticate(delegated).authorize("bench", List.of(PERMISSION));
        mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(keys.active().secret, "HmacSHA256"));
        signingInput = token.substring(0, token.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII);
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The steady state: a token seen before, then one permission check. */
    @Benchmark
    public boolean cachedAuthenticateAndCheck() throws AuthenticationException {
        return authority.authenticate(token).isPermitted(PERMISSION);
    }

    /** An agent's token (two delegation steps, a weekday restriction): authenticate, then an audited authorize. */
    @Benchmark
    public SecurityContext delegatedLiveAuthorize() throws AuthenticationException {
        SecurityContext agent = authority.authenticate(delegated);
        agent.authorize("tool.invoke:file-reader", PERMISSIONS);
        return agent;
    }

    private static final List<String> PERMISSIONS = List.of(PERMISSION);

    /** First sight of a token: decode and verify the signature, then the checks {@code verify} makes. */
    @Benchmark
    public Object firstSightVerify() throws AuthenticationException {
        TokenCodec.Decoded d = TokenCodec.decode(token, keys);
        TokenClaims c = d.claims();
        if (ClaimRules.violation(c) != null || c.depth() > settings.maxDelegationDepth()) {
            throw new IllegalStateException("the benchmark token breaks the rules");
        }
        List<Permission> perms = new ArrayList<>(c.permissions().size());
        for (String p : c.permissions()) {
            perms.add(new WildcardPermission(p));
        }
        Instant now = clock.instant();
        Duration skew = settings.clockSkew();
        if (!now.isBefore(c.expiresAt().plus(skew)) || c.issuedAt().isAfter(now.plus(skew)) || !c.usableAt(now)) {
            throw new IllegalStateException("the benchmark token is not valid now");
        }
        return perms;
    }

    /** The floor: one HMAC-SHA256 over the token's signing input. */
    @Benchmark
    public byte[] hmacBaseline() {
        return mac.doFinal(signingInput);
    }
}
