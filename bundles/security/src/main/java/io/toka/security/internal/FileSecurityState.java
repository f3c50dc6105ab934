package io.toka.security.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.spi.LedgerEntry;
import io.toka.security.spi.SecurityStateException;
import io.toka.security.spi.SecurityStateStore;
import io.toka.security.spi.SigningKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The security state of one node, in owner-only files of its data directory: {@code keys.json} (the signing keys),
 * {@code revoked.jsonl} (revoked ids, appended with fsync) and {@code tokens.jsonl} (the token ledger). The default
 * {@link SecurityStateStore}. A lazy service: it is opened only when the token authority selects it.
 */
@Component(service = SecurityStateStore.class, configurationPid = TokenAuthority.PID,
        property = SecurityStateStore.TYPE + "=" + SecurityStateStore.LOCAL)
public final class FileSecurityState implements SecurityStateStore {

    private final Path dir;
    private final Path keysFile;
    private final Path revokedFile;
    private final ObjectMapper json = new ObjectMapper();
    private final TokenLedger ledger;
    /** What {@code revoked.jsonl} holds (as loaded, plus what this process appended). */
    private final Map<String, Instant> revoked = new HashMap<>();

    @Activate
    public FileSecurityState(TokenAuthority.Config config) throws IOException {
        this(TokenAuthority.settings(config).dataDir(), Clock.systemUTC());
    }

    /**
     * Opens (and creates, owner-only) the files in the directory.
     *
     * @throws IOException if they cannot be read or created
     */
    FileSecurityState(Path dir, Clock clock) throws IOException {
        this.dir = SecureFiles.directory(dir);
        this.keysFile = dir.resolve("keys.json");
        this.revokedFile = dir.resolve("revoked.jsonl");
        Instant now = clock.instant();
        for (Map.Entry<String, Instant> e : JsonLines.load(revokedFile, json,
                n -> Map.entry(n.path("jti").asText(), Instant.parse(n.path("until").asText())),
                e -> e.getValue().isAfter(now), e -> line(e.getKey(), e.getValue()))) {
            revoked.put(e.getKey(), e.getValue());
        }
        this.ledger = new TokenLedger(dir.resolve("tokens.jsonl"), clock);
    }

    @Override
    public synchronized List<SigningKey> keys() {
        if (!Files.exists(keysFile)) {
            return List.of();
        }
        try {
            JsonNode root = json.readTree(keysFile.toFile());
            List<SigningKey> out = new ArrayList<>();
            for (JsonNode n : root.path("keys")) {
                byte[] secret = Base64.getDecoder().decode(n.path("secret").asText());
                if (secret.length < KeyRing.KEY_BYTES) {
                    throw new SecurityStateException("key " + n.path("kid").asText() + " in " + keysFile
                            + " is shorter than 256 bits");
                }
                out.add(new SigningKey(n.path("kid").asText(), secret, Instant.parse(n.path("createdAt").asText()),
                        instant(n.get("retiredAt")), instant(n.get("validUntil"))));
            }
            out.sort((a, b) -> b.createdAt().compareTo(a.createdAt()));
            return out;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SecurityStateException s) {
                throw s;
            }
            throw new SecurityStateException("cannot read the signing keys from " + keysFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized boolean replaceKeys(String expectedActiveKid, List<SigningKey> keys) {
        String current = keys().stream().filter(SigningKey::active).map(SigningKey::kid).findFirst().orElse(null);
        if (!java.util.Objects.equals(current, expectedActiveKid)) {
            return false;
        }
        ObjectNode root = json.createObjectNode();
        ArrayNode arr = root.putArray("keys");
        for (SigningKey k : keys) {
            ObjectNode n = arr.addObject();
            n.put("kid", k.kid());
            n.put("secret", Base64.getEncoder().encodeToString(k.secret()));
            n.put("createdAt", k.createdAt().toString());
            n.put("retiredAt", k.retiredAt() == null ? null : k.retiredAt().toString());
            n.put("validUntil", k.validUntil() == null ? null : k.validUntil().toString());
        }
        try {
            SecureFiles.writeAtomically(keysFile, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new SecurityStateException("cannot save the signing keys to " + keysFile + ": " + e.getMessage(), e);
        }
        return true;
    }

    @Override
    public synchronized Map<String, Instant> revocations(Instant now) {
        Map<String, Instant> out = new HashMap<>();
        revoked.forEach((jti, until) -> {
            if (until.isAfter(now)) {
                out.put(jti, until);
            }
        });
        return out;
    }

    @Override
    public synchronized boolean revoke(String jti, Instant until) {
        if (revoked.containsKey(jti)) {
            return false;
        }
        try {
            SecureFiles.appendLine(revokedFile, line(jti, until));
        } catch (IOException e) {
            throw new SecurityStateException("cannot persist the revocation of " + jti + " to " + revokedFile + ": "
                    + e.getMessage(), e);
        }
        revoked.put(jti, until);
        return true;
    }

    @Override
    public void record(LedgerEntry entry) {
        ledger.record(entry);
    }

    @Override
    public Optional<LedgerEntry> find(String jti, Instant now) {
        return Optional.ofNullable(ledger.find(jti));
    }

    @Override
    public List<LedgerEntry> descendants(String jti, Instant now) {
        return ledger.descendants(jti);
    }

    /** One node's files have no other writer: nothing to tell. */
    @Override
    public Subscription subscribe(Listener listener) {
        return () -> { };
    }

    @Override
    public String describe() {
        return "files in " + dir;
    }

    private static Instant instant(JsonNode n) {
        return n == null || n.isNull() ? null : Instant.parse(n.asText());
    }

    private String line(String jti, Instant until) {
        return json.createObjectNode().put("jti", jti).put("until", until.toString()).toString();
    }
}
