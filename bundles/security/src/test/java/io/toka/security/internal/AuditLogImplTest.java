package io.toka.security.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.security.AuditEvent;
import io.toka.security.AuditListener;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The audit log's JSON lines and its listeners. */
class AuditLogImplTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final AuditEvent EVENT = new AuditEvent(Instant.parse("2026-03-04T10:00:00.123Z"), "token.revoke",
            "success", "alice", "jti-1", "sub=bob cascade=[\"x\"]");

    @Test
    void toJsonCarriesEveryField() throws Exception {
        String line = AuditLogImpl.toJson(EVENT);

        assertThat(line).doesNotContain("\n");
        JsonNode n = JSON.readTree(line);
        assertThat(n.path("time").asText()).isEqualTo("2026-03-04T10:00:00.123Z");
        assertThat(n.path("action").asText()).isEqualTo("token.revoke");
        assertThat(n.path("outcome").asText()).isEqualTo("success");
        assertThat(n.path("subject").asText()).isEqualTo("alice");
        assertThat(n.path("jti").asText()).isEqualTo("jti-1");
        assertThat(n.path("detail").asText()).isEqualTo("sub=bob cascade=[\"x\"]");
    }

    @Test
    void toJsonKeepsMissingFieldsAsNullAndEscapes() throws Exception {
        AuditEvent e = new AuditEvent(Instant.EPOCH, "authenticate", "failure", null, null, "bad\n\"quote\"");
        String line = AuditLogImpl.toJson(e);

        assertThat(line).doesNotContain("\n");
        JsonNode n = JSON.readTree(line);
        assertThat(n.get("subject").isNull()).isTrue();
        assertThat(n.get("jti").isNull()).isTrue();
        assertThat(n.path("detail").asText()).isEqualTo("bad\n\"quote\"");
        assertThat(n.fieldNames()).toIterable().containsExactly("time", "action", "outcome", "subject", "jti", "detail");
    }

    @Test
    void listenersReceiveEventsAndAThrowingOneDoesNotStopTheOthers() {
        AuditLogImpl log = new AuditLogImpl();
        List<AuditEvent> first = new CopyOnWriteArrayList<>();
        List<AuditEvent> last = new CopyOnWriteArrayList<>();
        AuditListener throwing = e -> {
            throw new IllegalStateException("listener failure");
        };
        log.addListener(first::add);
        log.addListener(throwing);
        log.addListener(last::add);

        log.record(EVENT);
        AuditEvent second = new AuditEvent(Instant.EPOCH, "authorize", "denied", "bob", null, "key.rotate needs key:rotate");
        log.record(second);

        assertThat(first).containsExactly(EVENT, second);
        assertThat(last).containsExactly(EVENT, second);
    }

    @Test
    void removedListenerReceivesNothingMore() {
        AuditLogImpl log = new AuditLogImpl();
        List<AuditEvent> seen = new CopyOnWriteArrayList<>();
        AuditListener listener = seen::add;
        log.addListener(listener);
        log.record(EVENT);
        log.removeListener(listener);
        log.record(EVENT);
        assertThat(seen).hasSize(1);
    }

    @Test
    void tokenAuthorityAuditsThroughTheLog() throws Exception {
        AuditLogImpl log = new AuditLogImpl();
        List<AuditEvent> seen = new CopyOnWriteArrayList<>();
        log.addListener(seen::add);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("toka-audit");
        try {
            TokenAuthority authority = new TokenAuthority(Settings.defaults(dir), new MutableClock(), log, false);
            org.junit.jupiter.api.Assertions.assertThrows(io.toka.security.AuthenticationException.class,
                    () -> authority.authenticate("nope"));
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        assertThat(seen).extracting(AuditEvent::action).containsSubsequence("key.generate", "token.issue", "authenticate");
        assertThat(seen.get(seen.size() - 1).outcome()).isEqualTo("failure");
    }
}
