package io.toka.security.internal;

import io.toka.security.AccessDeniedException;
import io.toka.security.AuditEvent;
import io.toka.security.AuditLog;
import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.IssuedToken;
import io.toka.security.KeyInfo;
import io.toka.security.KeyService;
import io.toka.security.Permissions;
import io.toka.security.Revocation;
import io.toka.security.SecurityContext;
import io.toka.security.ShellSecurity;
import io.toka.security.TimeRestriction;
import io.toka.security.TimeWindow;
import io.toka.security.TokenClaims;
import io.toka.security.TokenRequest;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import io.toka.security.TokenStateException;
import io.toka.security.UnknownTokenException;
import io.toka.security.spi.LedgerEntry;
import io.toka.security.spi.SecurityStateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AccessController;
import java.security.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.security.auth.Subject;
import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;
import org.apache.shiro.authc.AuthenticationInfo;
import org.apache.shiro.authc.BearerToken;
import org.apache.shiro.authz.Permission;
import org.apache.shiro.mgt.DefaultSecurityManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capability token authority: verifies, issues, delegates and revokes tokens, manages and rotates the signing
 * keys, and maps shell users' JAAS roles to permissions. Every permission check goes through a Shiro
 * {@link DefaultSecurityManager} with the {@link CapabilityRealm}.
 *
 * <p>Keys, revocations and the token ledger live in a {@link SecurityStateStore}: by default owner-only files under
 * the data directory ({@code keys.json}, {@code revoked.jsonl}, {@code tokens.jsonl}); with clustering, a store shared
 * by every node, selected with {@code stateStore.target = (toka.security.state=shared)}. Keys and revoked ids are
 * held in memory; changes made by other nodes arrive through the store's listener. {@code admin.token} is always a
 * file of this node.
 */
@Component(service = {TokenService.class, KeyService.class, ShellSecurity.class}, configurationPid = TokenAuthority.PID)
@Designate(ocd = TokenAuthority.Config.class)
public final class TokenAuthority implements TokenService, KeyService, ShellSecurity {

    /** Configuration PID. */
    public static final String PID = "io.toka.security";

    static final String DEFAULT_ROLES = "admin=*; manager=tool:read,tool:invoke:*,token:*,key:read,event:read,code:execute:*,execution:read,system:read,metrics:read,mcp:session:*; "
            + "viewer=tool:read,key:read,event:read,execution:read,mcp:session:read";

    /** Token and key configuration. */
    @ObjectClassDefinition(name = "Toka security", description = "Capability tokens, signing keys and shell roles.")
    public @interface Config {
        @AttributeDefinition(name = "Clock skew (s)", description = "Tolerance when checking exp, iat and nbf.", min = "0")
        int clockSkewSeconds() default 5;

        @AttributeDefinition(name = "Default token lifetime (min)",
                description = "Lifetime of an issued token whose request names none; at most 1440.", min = "1", max = "1440")
        int defaultTtlMinutes() default 60;

        @AttributeDefinition(name = "Key rotation interval (h)",
                description = "Age at which the signing key is replaced; 0 rotates only on demand.", min = "0")
        int keyRotationHours() default 24;

        @AttributeDefinition(name = "Key overlap (min)",
                description = "How long tokens signed with the previous key stay valid after a rotation.", min = "0")
        int keyOverlapMinutes() default 60;

        @AttributeDefinition(name = "Maximum delegation depth", min = "0")
        int maxDelegationDepth() default 5;

        @AttributeDefinition(name = "Role permissions",
                description = "For shell users: role=permission,permission entries separated by ';'.")
        String rolePermissions() default DEFAULT_ROLES;

        @AttributeDefinition(name = "Data directory",
                description = "Where keys, revocations and admin.token are kept; empty means ${karaf.data}/toka.")
        String dataDirectory() default "";

        @AttributeDefinition(name = "Default vault", description = "Vault of tokens issued by shell users.")
        String defaultVault() default "toka";

        @AttributeDefinition(name = "Admin token subject")
        String adminSubject() default "admin";

        @AttributeDefinition(name = "Write admin.token",
                description = "Keep a valid admin token (permission *) in the data directory, readable by its owner only.")
        boolean writeAdminToken() default true;
    }

    private static final Logger LOG = LoggerFactory.getLogger(TokenAuthority.class);
    /** Re-mint the admin token when it has less than this left. */
    private static final Duration ADMIN_TOKEN_MARGIN = Duration.ofHours(2);

    /** A token whose signature and claims checked out; only time, key, revocation and windows are re-checked. */
    private record Verified(CallerPrincipal principal, String kid, Instant notBefore) {
    }

    /** A refusal that knows who was refused, for the audit log. */
    private static final class Refusal extends AuthenticationException {
        private static final long serialVersionUID = 1L;
        final String subject;
        final String jti;

        Refusal(String reason, TokenClaims claims) {
            super(reason);
            this.subject = claims == null ? null : claims.subject();
            this.jti = claims == null ? null : claims.jti();
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final AuditLog audit;
    private final SecurityStateStore state;
    private final SecurityStateStore.Subscription subscription;
    private final KeyRing keys;
    private final RevocationList revocations;
    private final CapabilityRealm realm;
    private final DefaultSecurityManager shiro;
    private final Map<String, Verified> cache = new ConcurrentHashMap<>();
    private final ScheduledExecutorService maintenance;

    /**
     * @param state where keys, revocations and the ledger live: the local files unless the configuration's
     *     {@code stateStore.target} selects another store
     */
    @Activate
    public TokenAuthority(Config config, @Reference AuditLog audit,
            @Reference(name = "stateStore", target = "(" + SecurityStateStore.TYPE + "=" + SecurityStateStore.LOCAL + ")")
            SecurityStateStore state) throws IOException {
        this(settings(config), Clock.systemUTC(), audit, true, state);
    }

    /** With the local files of the configured data directory (for tests of other modules). */
    public TokenAuthority(Config config, AuditLog audit) throws IOException {
        this(settings(config), Clock.systemUTC(), audit, true);
    }

    TokenAuthority(Settings settings, Clock clock, AuditLog audit, boolean scheduled) throws IOException {
        this(settings, clock, audit, scheduled, new FileSecurityState(settings.dataDir(), clock));
    }

    TokenAuthority(Settings settings, Clock clock, AuditLog audit, boolean scheduled, SecurityStateStore state)
            throws IOException {
        this.settings = settings;
        this.clock = clock;
        this.audit = audit;
        this.state = state;
        SecureFiles.directory(settings.dataDir());
        this.keys = new KeyRing(state, clock);
        this.revocations = new RevocationList(state, clock);
        this.realm = new CapabilityRealm(this::verify);
        this.shiro = new DefaultSecurityManager(realm);
        if (keys.generatedAtStart()) {
            LOG.info("Generated signing key {} in {}", keys.active().kid, state.describe());
            audit.record(new AuditEvent(clock.instant(), "key.generate", "success", "system", null, keys.active().kid));
        }
        this.subscription = state.subscribe(new SecurityStateStore.Listener() {
            @Override
            public void revoked(Map<String, Instant> revoked) {
                revocations.merge(revoked);
            }

            @Override
            public void keysChanged() {
                keys.reload();
            }
        });
        runMaintenance();
        if (scheduled) {
            this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "toka-security-maintenance");
                t.setDaemon(true);
                return t;
            });
            maintenance.scheduleWithFixedDelay(this::runMaintenance, 60, 60, TimeUnit.SECONDS);
        } else {
            this.maintenance = null;
        }
        LOG.info("Token authority ready: signing key {}, {} revoked id(s), state in {}", keys.active().kid,
                revocations.size(), state.describe());
    }

    @Deactivate
    void deactivate() {
        subscription.close();
        if (maintenance != null) {
            maintenance.shutdownNow();
        }
    }

    static Settings settings(Config c) {
        String dir = c.dataDirectory();
        Path data = dir == null || dir.isBlank()
                ? Path.of(System.getProperty("karaf.data", "data"), "toka")
                : Path.of(dir);
        return new Settings(data, Duration.ofSeconds(c.clockSkewSeconds()),
                Duration.ofMinutes(Math.min(Math.max(1, c.defaultTtlMinutes()), 1440)),
                Duration.ofHours(c.keyRotationHours()), Duration.ofMinutes(c.keyOverlapMinutes()),
                c.maxDelegationDepth(), c.defaultVault(), c.adminSubject(), c.writeAdminToken(),
                Settings.roles(c.rolePermissions()), 10_000);
    }

    // ---------------------------------------------------------------- verification

    @Override
    public SecurityContext authenticate(String rawToken) throws AuthenticationException {
        try {
            AuthenticationInfo info = shiro.authenticate(new BearerToken(rawToken == null ? "" : rawToken));
            return new Caller(info.getPrincipals(), shiro, audit, clock, this::checkLive);
        } catch (CapabilityRealm.Refused r) {
            AuthenticationException cause = r.cause;
            String subject = cause instanceof Refusal f ? f.subject : null;
            String jti = cause instanceof Refusal f ? f.jti : null;
            audit.record(new AuditEvent(clock.instant(), "authenticate", "failure", subject, jti, cause.reason()));
            throw cause;
        } catch (org.apache.shiro.authc.AuthenticationException e) {
            audit.record(new AuditEvent(clock.instant(), "authenticate", "failure", null, null, e.getMessage()));
            throw new AuthenticationException(String.valueOf(e.getMessage()));
        }
    }

    /** The realm's verification: full checks on first sight, then only what can change. */
    CallerPrincipal verify(String raw) throws AuthenticationException {
        if (raw == null || raw.isEmpty()) {
            throw new Refusal("no token", null);
        }
        Instant now = clock.instant();
        Verified v = cache.get(raw);
        if (v == null) {
            TokenCodec.Decoded d = TokenCodec.decode(raw, keys);
            TokenClaims c = d.claims();
            String bad = ClaimRules.violation(c);
            if (bad != null) {
                throw new Refusal("claims break the rules: " + bad, c);
            }
            if (c.depth() > settings.maxDelegationDepth()) {
                throw new Refusal("delegation chain of " + c.depth() + " exceeds " + settings.maxDelegationDepth(), c);
            }
            List<Permission> perms = new ArrayList<>(c.permissions().size());
            for (String p : c.permissions()) {
                try {
                    perms.add(realm.resolve(p));
                } catch (IllegalArgumentException e) {
                    throw new Refusal("invalid permission '" + p + "'", c);
                }
            }
            v = new Verified(new CallerPrincipal(c.subject(), c, List.copyOf(perms), d.kid()), d.kid(), d.notBefore());
            checkTime(v, now);
            if (cache.size() >= settings.cacheSize()) {
                cache.clear();
            }
            cache.put(raw, v);
        } else {
            if (keys.lookup(v.kid()) == null) {
                cache.remove(raw);
                throw new Refusal("key " + v.kid() + " has expired", v.principal().claims());
            }
            checkTime(v, now);
        }
        TokenClaims c = v.principal().claims();
        if (revocations.isRevoked(c.jti())) {
            throw new Refusal("token revoked", c);
        }
        for (String ancestor : c.chain()) {
            if (revocations.isRevoked(ancestor)) {
                throw new Refusal("token delegated from revoked token " + ancestor, c);
            }
        }
        if (!c.usableAt(now)) {
            throw new Refusal("used outside its time window (" + c.restrictions() + ")", c);
        }
        return v.principal();
    }

    /**
     * The live state of an authenticated caller's token, checked at every permission check: the key that signed it,
     * its expiry, its revocation and its ancestors', and its time windows. Hash lookups and comparisons only.
     */
    void checkLive(CallerPrincipal p) throws TokenStateException {
        TokenClaims c = p.claims();
        if (c == null) {
            return;
        }
        if (revocations.isRevoked(c.jti())) {
            throw new TokenStateException(TokenStateException.Reason.REVOKED, "id " + c.jti());
        }
        List<String> chain = c.chain();
        for (int i = 0, n = chain.size(); i < n; i++) {
            if (revocations.isRevoked(chain.get(i))) {
                throw new TokenStateException(TokenStateException.Reason.REVOKED,
                        "delegated from revoked token " + chain.get(i));
            }
        }
        Instant now = clock.instant();
        if (!now.isBefore(c.expiresAt().plus(settings.clockSkew()))) {
            throw new TokenStateException(TokenStateException.Reason.EXPIRED, "at " + c.expiresAt());
        }
        if (p.kid() != null && keys.lookup(p.kid()) == null) {
            throw new TokenStateException(TokenStateException.Reason.KEY_EXPIRED, "key " + p.kid());
        }
        if (!c.usableAt(now)) {
            throw new TokenStateException(TokenStateException.Reason.OUTSIDE_WINDOW, c.restrictions().toString());
        }
    }

    private void checkTime(Verified v, Instant now) throws Refusal {
        TokenClaims c = v.principal().claims();
        Duration skew = settings.clockSkew();
        if (!now.isBefore(c.expiresAt().plus(skew))) {
            throw new Refusal("expired at " + c.expiresAt(), c);
        }
        if (c.issuedAt().isAfter(now.plus(skew))) {
            throw new Refusal("not yet valid: issued at " + c.issuedAt(), c);
        }
        if (v.notBefore() != null && v.notBefore().isAfter(now.plus(skew))) {
            throw new Refusal("not yet valid: nbf " + v.notBefore(), c);
        }
    }

    // ---------------------------------------------------------------- issue, delegate, revoke

    @Override
    public IssuedToken issue(SecurityContext issuer, TokenRequest request) throws TokenRequestException {
        issuer.authorize("token.issue", List.of(Permissions.TOKEN_ISSUE));
        String subject = require(request.subject(), "subject");
        String vault = request.vault() != null ? request.vault()
                : issuer.token().map(TokenClaims::vault).orElse(settings.defaultVault());
        String bad = ClaimRules.identifier("vault", vault);
        if (bad != null) {
            throw new TokenRequestException(bad);
        }
        List<String> permissions = permissions(request.permissions());
        for (String p : permissions) {
            if (!issuer.isPermitted(p)) {
                denied("token.issue", issuer, p + " (granting to " + subject + ")");
                throw new AccessDeniedException(p, "cannot grant permission '" + p + "': '" + issuer.subject()
                        + "' does not hold it");
            }
        }
        Duration ttl = request.ttl() == null ? settings.defaultTtl() : request.ttl();
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(ClaimRules.MAX_LIFETIME) > 0) {
            throw new TokenRequestException("ttl must be between 1 second and 24 hours, not " + ttl.toSeconds() + " s");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant exp = now.plus(ttl);
        // A token holder's issue is bound to its own token: it cannot outlive it or escape its time windows, and
        // revoking the issuing token revokes it. Shell users (JAAS) issue root tokens.
        TokenClaims via = issuer.token().orElse(null);
        List<String> chain = List.of();
        List<TimeRestriction> restrictions = List.of();
        if (via != null) {
            if (exp.isAfter(via.expiresAt())) {
                if (request.ttl() != null) {
                    failed("token.issue", issuer, "expiry " + exp + " after the issuing token's " + via.expiresAt());
                    throw new TokenRequestException("the token would expire at " + exp + ", after the token that issues it ("
                            + via.expiresAt() + "); ask for a shorter ttl, or issue it from the shell");
                }
                exp = via.expiresAt();
            }
            if (via.depth() + 1 > settings.maxDelegationDepth()) {
                throw new TokenRequestException("the issuing token is already " + via.depth()
                        + " delegation steps deep; the limit is " + settings.maxDelegationDepth());
            }
            List<String> c = new ArrayList<>(via.chain());
            c.add(via.jti());
            chain = c;
            restrictions = via.restrictions();
        }
        if (!exp.isAfter(now)) {
            throw new TokenRequestException("the issuing token expires at " + exp + "; too soon to issue from it");
        }
        TokenClaims claims = new TokenClaims(subject, vault, permissions, now, exp,
                UUID.randomUUID().toString(), issuer.subject(), chain, restrictions);
        IssuedToken token = mint(claims, via == null);
        audit.record(new AuditEvent(clock.instant(), "token.issue", "success", issuer.subject(), claims.jti(),
                "sub=" + subject + " permissions=" + permissions + " exp=" + claims.expiresAt()));
        return token;
    }

    @Override
    public IssuedToken delegate(SecurityContext holder, DelegationRequest request) throws TokenRequestException {
        TokenClaims parent = holder.token().orElseThrow(() -> new TokenRequestException(
                "delegation narrows a capability token: authenticate with the token to delegate from"));
        holder.checkLive();
        int depth = parent.depth() + 1;
        if (depth > settings.maxDelegationDepth()) {
            failed("token.delegate", holder, "chain of " + depth + " exceeds " + settings.maxDelegationDepth());
            throw new TokenRequestException("the delegation chain would be " + depth + " deep; the limit is "
                    + settings.maxDelegationDepth());
        }
        String subject = request.subject() == null ? parent.subject() : require(request.subject(), "subject");
        List<String> permissions = permissions(request.permissions());
        if (permissions.isEmpty()) {
            throw new TokenRequestException("permissions must name at least one permission to delegate");
        }
        for (String p : permissions) {
            if (!holder.isPermitted(p)) {
                denied("token.delegate", holder, p + " (delegating to " + subject + ")");
                throw new AccessDeniedException(p, "cannot delegate permission '" + p
                        + "': the parent token does not hold it");
            }
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant exp = parent.expiresAt();
        if (request.ttl() != null) {
            if (request.ttl().isNegative() || request.ttl().isZero()) {
                throw new TokenRequestException("ttl must be positive, not " + request.ttl().toSeconds() + " s");
            }
            exp = now.plus(request.ttl());
            if (exp.isAfter(parent.expiresAt())) {
                failed("token.delegate", holder, "expiry " + exp + " after parent's " + parent.expiresAt());
                throw new TokenRequestException("the delegated token would expire at " + exp + ", after its parent ("
                        + parent.expiresAt() + "); a delegated token cannot outlive its parent");
            }
        }
        if (!exp.isAfter(now)) {
            throw new TokenRequestException("the parent token expires at " + parent.expiresAt()
                    + "; too soon to delegate");
        }
        List<TimeRestriction> restrictions = new ArrayList<>(parent.restrictions());
        TimeRestriction added = restriction(request.windows(), request.days());
        if (!added.isEmpty()) {
            restrictions.add(added);
        }
        List<String> chain = new ArrayList<>(parent.chain());
        chain.add(parent.jti());
        TokenClaims claims = new TokenClaims(subject, parent.vault(), permissions, now, exp,
                UUID.randomUUID().toString(), holder.subject(), chain, restrictions);
        IssuedToken token = mint(claims, false);
        audit.record(new AuditEvent(clock.instant(), "token.delegate", "success", holder.subject(), claims.jti(),
                "parent=" + parent.jti() + " depth=" + depth + " sub=" + subject + " permissions=" + permissions
                        + (added.isEmpty() ? "" : " restriction=" + added) + " exp=" + exp));
        return token;
    }

    @Override
    public Revocation revoke(SecurityContext actor, String jti) throws TokenRequestException {
        if (jti == null || jti.isBlank()) {
            throw new TokenRequestException("name the token id (jti) to revoke");
        }
        actor.checkLive();
        LedgerEntry entry = state.find(jti, clock.instant()).orElse(null);
        if (entry == null) {
            failed("token.revoke", actor, "unknown token " + jti);
            throw new UnknownTokenException(jti);
        }
        boolean own = actor.token().map(t -> t.jti().equals(jti)).orElse(false);
        boolean ancestor = actor.token().map(t -> ledgerChainContains(jti, t.jti())).orElse(false);
        if (!(actor.isPermitted(Permissions.TOKEN_REVOKE) || actsAsIssuer(actor, entry) || own || ancestor)) {
            denied("token.revoke", actor, Permissions.TOKEN_REVOKE + " (token " + jti + ")");
            throw new AccessDeniedException(Permissions.TOKEN_REVOKE, "revoking token " + jti + " needs permission '"
                    + Permissions.TOKEN_REVOKE + "', or being its issuer or holding a token it was delegated from");
        }
        Duration skew = settings.clockSkew();
        revocations.revoke(jti, entry.expiresAt().plus(skew));
        List<String> cascade = new ArrayList<>();
        for (LedgerEntry d : state.descendants(jti, clock.instant())) {
            revocations.revoke(d.jti(), d.expiresAt().plus(skew));
            cascade.add(d.jti());
        }
        Instant at = clock.instant();
        audit.record(new AuditEvent(at, "token.revoke", "success", actor.subject(), jti,
                "sub=" + entry.subject() + " cascade=" + cascade));
        return new Revocation(jti, cascade, at);
    }

    /** Whether the actor is the shell user who issued the token. */
    private boolean actsAsIssuer(SecurityContext actor, LedgerEntry entry) {
        // Only a shell user's name is authenticated (by JAAS); a token's subject is whatever its issuer chose, so a
        // token holder proves it issued a token by holding the issuing token (an ancestor), checked separately.
        return entry.shellIssuer() && actor.token().isEmpty() && actor.subject().equals(entry.issuer());
    }

    /** Whether {@code ancestorJti} is an ancestor of {@code jti} according to the ledger. */
    private boolean ledgerChainContains(String jti, String ancestorJti) {
        return state.descendants(ancestorJti, clock.instant()).stream().anyMatch(e -> e.jti().equals(jti));
    }

    private IssuedToken mint(TokenClaims claims, boolean shellIssuer) throws TokenRequestException {
        String bad = ClaimRules.violation(claims);
        if (bad != null) {
            throw new TokenRequestException(bad);
        }
        String token = TokenCodec.mint(claims, keys.active());
        if (token.length() > ClaimRules.MAX_TOKEN_CHARS) {
            throw new TokenRequestException("the token would be " + token.length() + " characters; the limit is "
                    + ClaimRules.MAX_TOKEN_CHARS + " (fewer or shorter permissions or time windows)");
        }
        state.record(new LedgerEntry(claims.jti(), claims.subject(), claims.issuer(), claims.parent(),
                claims.expiresAt(), shellIssuer));
        return new IssuedToken(token, claims);
    }

    private static String require(String value, String name) throws TokenRequestException {
        String bad = ClaimRules.identifier(name, value);
        if (bad != null) {
            throw new TokenRequestException(bad);
        }
        return value;
    }

    private List<String> permissions(List<String> requested) throws TokenRequestException {
        Set<String> unique = new LinkedHashSet<>();
        for (String p : requested) {
            if (p == null) {
                throw new TokenRequestException("a permission must not be null");
            }
            unique.add(p.trim());
        }
        List<String> out = List.copyOf(unique);
        String bad = ClaimRules.permissions(out);
        if (bad != null) {
            throw new TokenRequestException(bad);
        }
        for (String p : out) {
            try {
                realm.resolve(p);
            } catch (IllegalArgumentException e) {
                throw new TokenRequestException("permission '" + p + "' is not a valid wildcard permission: "
                        + e.getMessage());
            }
        }
        return out;
    }

    private static TimeRestriction restriction(List<String> windows, Set<Integer> days) throws TokenRequestException {
        try {
            List<TimeWindow> parsed = new ArrayList<>();
            for (String w : windows) {
                parsed.add(TimeWindow.parse(w));
            }
            return new TimeRestriction(parsed, new TreeSet<>(days));
        } catch (IllegalArgumentException e) {
            throw new TokenRequestException(e.getMessage());
        }
    }

    private void denied(String action, SecurityContext who, String detail) {
        audit.record(new AuditEvent(clock.instant(), action, "denied", who.subject(),
                who.token().map(TokenClaims::jti).orElse(null), detail));
    }

    private void failed(String action, SecurityContext who, String detail) {
        audit.record(new AuditEvent(clock.instant(), action, "failure", who.subject(),
                who.token().map(TokenClaims::jti).orElse(null), detail));
    }

    // ---------------------------------------------------------------- keys

    @Override
    public List<KeyInfo> keys(SecurityContext actor) {
        actor.authorize("key.list", List.of(Permissions.KEY_READ));
        return keys.infos();
    }

    @Override
    public KeyInfo rotate(SecurityContext actor) {
        actor.authorize("key.rotate", List.of(Permissions.KEY_ROTATE));
        return rotateNow(actor.subject());
    }

    private KeyInfo rotateNow(String by) {
        String previous = keys.active().kid;
        KeyRing.Key fresh = keys.rotate(settings.overlap());
        rotated(by, previous, fresh);
        return fresh.info();
    }

    private void rotated(String by, String previous, KeyRing.Key fresh) {
        audit.record(new AuditEvent(clock.instant(), "key.rotate", "success", by, null,
                "new=" + fresh.kid + " previous=" + previous + " validUntil=" + clock.instant().plus(settings.overlap())));
        LOG.info("Rotated the signing key: {} replaces {}, which validates until {}", fresh.kid, previous,
                clock.instant().plus(settings.overlap()));
        refreshAdminToken();
    }

    /** Scheduled: rotate when due, drop keys past their overlap, keep admin.token fresh. */
    void runMaintenance() {
        try {
            if (keys.rotationDue(settings.rotationInterval())) {
                // with a shared store, another node may have rotated first: then this finds the key not due
                String previous = keys.active().kid;
                KeyRing.Key fresh = keys.rotateIfDue(settings.rotationInterval(), settings.overlap());
                if (fresh != null) {
                    rotated("schedule", previous, fresh);
                }
            }
            int dropped = keys.purge();
            if (dropped > 0) {
                LOG.info("Dropped {} signing key(s) past their overlap", dropped);
                cache.clear();
            }
            refreshAdminToken();
        } catch (RuntimeException e) {
            LOG.error("Security maintenance failed", e);
        }
    }

    /** Path of the bootstrap admin token. */
    Path adminTokenFile() {
        return settings.dataDir().resolve("admin.token");
    }

    private synchronized void refreshAdminToken() {
        if (!settings.writeAdminToken()) {
            return;
        }
        Path file = adminTokenFile();
        try {
            if (Files.exists(file)) {
                String current = Files.readString(file, StandardCharsets.UTF_8).trim();
                try {
                    TokenClaims c = verify(current).claims();
                    String kid = com.nimbusds.jwt.SignedJWT.parse(current).getHeader().getKeyID();
                    if (keys.active().kid.equals(kid)
                            && c.expiresAt().isAfter(clock.instant().plus(ADMIN_TOKEN_MARGIN))) {
                        return;
                    }
                } catch (AuthenticationException | java.text.ParseException stale) {
                    // mint a new one below
                }
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
            TokenClaims claims = new TokenClaims(settings.adminSubject(), settings.defaultVault(),
                    List.of(Permissions.ALL), now, now.plus(ClaimRules.MAX_LIFETIME), UUID.randomUUID().toString(),
                    null, List.of(), List.of());
            IssuedToken token = mint(claims, false);
            SecureFiles.writeAtomically(file, (token.token() + "\n").getBytes(StandardCharsets.UTF_8));
            audit.record(new AuditEvent(clock.instant(), "token.issue", "success", "system", claims.jti(),
                    "bootstrap admin token sub=" + claims.subject() + " exp=" + claims.expiresAt()));
            LOG.info("Admin token (permission *) written to {}, valid until {}; use it as "
                    + "'Authorization: Bearer $(cat {})'", file, claims.expiresAt(), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the admin token to " + file, e);
        } catch (TokenRequestException e) {
            throw new IllegalStateException("cannot mint the admin token: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- shell users

    @Override
    @SuppressWarnings("removal")
    public SecurityContext currentUser() {
        Subject subject = Subject.getSubject(AccessController.getContext());
        if (subject == null) {
            throw new AccessDeniedException("shell", "no logged-in user: toka commands run under a Karaf (JAAS) login");
        }
        String user = null;
        List<String> roles = new ArrayList<>();
        for (Principal p : subject.getPrincipals()) {
            if (p instanceof UserPrincipal) {
                user = p.getName();
            } else if (p instanceof RolePrincipal) {
                roles.add(p.getName());
            }
        }
        if (user == null) {
            throw new AccessDeniedException("shell", "the shell session has no user principal");
        }
        return forRoles(user, roles);
    }

    @Override
    public SecurityContext forRoles(String user, Collection<String> roles) {
        List<Permission> perms = new ArrayList<>();
        for (String role : roles) {
            for (String p : settings.rolePermissions().getOrDefault(role, List.of())) {
                try {
                    perms.add(realm.resolve(p));
                } catch (IllegalArgumentException e) {
                    LOG.warn("Ignoring invalid permission '{}' mapped to role {}", p, role);
                }
            }
        }
        return new Caller(new CallerPrincipal(user, null, List.copyOf(perms), null), shiro, audit, clock,
                p -> { });
    }
}
