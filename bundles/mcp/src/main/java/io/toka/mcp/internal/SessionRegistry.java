package io.toka.mcp.internal;

import io.toka.mcp.McpSessionInfo;
import io.toka.mcp.McpSessions;
import io.toka.security.SecurityContext;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live sessions: created by {@code initialize}, found by {@code Mcp-Session-Id} (only by the token that created
 * them), ended by DELETE, by {@link #close}, by a revoked token, or after {@code sessionIdleMinutes} without
 * requests or open streams ({@link #sweep}, run on a schedule). Session ids are 128 random bits.
 */
final class SessionRegistry implements McpSessions {

    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final long idleMillis;
    private final int maxPerSubject;
    private final Clock clock;

    SessionRegistry(Duration idle, int maxPerSubject, Clock clock) {
        this.idleMillis = idle.toMillis();
        this.maxPerSubject = maxPerSubject;
        this.clock = clock;
    }

    /** A new session of the caller; the subject's least recently used one ends if it holds too many. */
    Session create(SecurityContext caller, Revision revision, String clientName) {
        byte[] bits = new byte[16];
        random.nextBytes(bits);
        Session s = new Session(HexFormat.of().formatHex(bits), caller, revision, clientName, clock.instant());
        List<Session> own = sessions.values().stream().filter(x -> x.subject.equals(s.subject))
                .sorted(Comparator.comparingLong(Session::lastActiveMillis)).toList();
        for (int i = 0; i <= own.size() - maxPerSubject; i++) {
            LOG.info("MCP session {} of {} ended: the subject opened more than {}", own.get(i).id, s.subject,
                    maxPerSubject);
            close(own.get(i).id);
        }
        sessions.put(s.id, s);
        return s;
    }

    /**
     * @return the caller's live session with that id, or {@code null} when it is unknown, ended, expired, or
     *     belongs to another token (indistinguishable: all get 404)
     */
    Session find(String id, SecurityContext caller) {
        Session s = sessions.get(id);
        if (s == null || s.isClosed() || !s.ownedBy(caller)) {
            return null;
        }
        if (expired(s, clock.millis())) {
            close(s.id);
            return null;
        }
        return s;
    }

    long now() {
        return clock.millis();
    }

    private boolean expired(Session s, long now) {
        return now - s.lastActiveMillis() >= idleMillis && s.openStreams() == 0;
    }

    /** Ends the sessions idle for longer than the timeout. */
    void sweep() {
        long now = clock.millis();
        for (Session s : sessions.values()) {
            if (expired(s, now)) {
                LOG.debug("MCP session {} of {} expired", s.id, s.subject);
                close(s.id);
            }
        }
    }

    /** @return the live sessions (a snapshot) */
    List<Session> live() {
        return List.copyOf(sessions.values());
    }

    @Override
    public List<McpSessionInfo> list() {
        return sessions.values().stream().sorted(Comparator.comparing((Session s) -> s.created)
                .thenComparing(s -> s.id)).map(Session::info).toList();
    }

    @Override
    public boolean close(String sessionId) {
        Session s = sessionId == null ? null : sessions.remove(sessionId);
        if (s == null) {
            return false;
        }
        s.close();
        return true;
    }

    void closeAll() {
        sessions.keySet().forEach(this::close);
    }
}
