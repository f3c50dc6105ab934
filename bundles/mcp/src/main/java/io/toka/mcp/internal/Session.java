package io.toka.mcp.internal;

import io.toka.mcp.McpSessionInfo;
import io.toka.security.SecurityContext;
import io.toka.security.TokenClaims;
import io.toka.tool.CallObserver.LogLevel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One MCP session (revisions 2025-03-26 to 2025-11-25), created by {@code initialize}: bound to the token that
 * created it, with the negotiated revision, the client's logging level, its GET stream and the SSE answers of its
 * POSTs, all sharing one {@link EventLog} for resumption. Thread-safe.
 */
final class Session {

    /** Events kept per session for {@code Last-Event-ID}. */
    static final int LOG_CAPACITY = 256;
    /** POST streams of a session that stay resumable (the newest). */
    private static final int RESUMABLE_POST_STREAMS = 32;
    /** The key of the session's GET stream in event ids. */
    static final String GET_STREAM = "0";

    final String id;
    final String subject;
    final String tokenId;
    final Revision revision;
    final Instant created;
    final String clientName;
    final EventLog log = new EventLog(LOG_CAPACITY);
    /** The server-to-client stream a GET opens. */
    final SseChannel stream = new SseChannel(GET_STREAM, log, null);

    private final Map<String, SseChannel> postStreams = new LinkedHashMap<>();
    /** The resources the client subscribed to, by URI (copy on write: read by every recorded event). */
    private volatile Map<String, EventUri> resourceSubscriptions = Map.of();
    private long postStreamCount;
    private volatile SecurityContext caller;
    private volatile long lastActiveMillis;
    private volatile LogLevel logLevel;
    private volatile Object toolsSeen;
    private volatile boolean closed;

    Session(String id, SecurityContext caller, Revision revision, String clientName, Instant now) {
        this.id = id;
        this.subject = caller.subject();
        this.tokenId = tokenId(caller);
        this.revision = revision;
        this.created = now;
        this.clientName = clientName;
        this.caller = caller;
        this.lastActiveMillis = now.toEpochMilli();
    }

    static String tokenId(SecurityContext caller) {
        return caller.token().map(TokenClaims::jti).orElse(null);
    }

    /** @return whether the caller may use this session: the same subject with the same token */
    boolean ownedBy(SecurityContext c) {
        return subject.equals(c.subject()) && Objects.equals(tokenId, tokenId(c));
    }

    /** Records a request of the session's client. */
    void touch(SecurityContext c, long nowMillis) {
        caller = c;
        lastActiveMillis = nowMillis;
    }

    SecurityContext caller() {
        return caller;
    }

    long lastActiveMillis() {
        return lastActiveMillis;
    }

    /** @return the level {@code logging/setLevel} chose, or {@code null}: no log messages until the client asks */
    LogLevel logLevel() {
        return logLevel;
    }

    void logLevel(LogLevel level) {
        this.logLevel = level;
    }

    /** @return the tool view the client was last told about (for list_changed), or {@code null} */
    Object toolsSeen() {
        return toolsSeen;
    }

    void toolsSeen(Object fingerprint) {
        this.toolsSeen = fingerprint;
    }

    /**
     * Subscribes to a resource's updates (again: no change).
     *
     * @return false when the session already holds {@code max} other subscriptions
     */
    synchronized boolean subscribe(EventUri uri, int max) {
        if (resourceSubscriptions.containsKey(uri.uri())) {
            return true;
        }
        if (resourceSubscriptions.size() >= max) {
            return false;
        }
        Map<String, EventUri> next = new LinkedHashMap<>(resourceSubscriptions);
        next.put(uri.uri(), uri);
        resourceSubscriptions = Map.copyOf(next);
        return true;
    }

    synchronized void unsubscribe(String uri) {
        if (resourceSubscriptions.containsKey(uri)) {
            Map<String, EventUri> next = new LinkedHashMap<>(resourceSubscriptions);
            next.remove(uri);
            resourceSubscriptions = Map.copyOf(next);
        }
    }

    /** @return the subscribed resources (a snapshot) */
    Iterable<EventUri> resourceSubscriptions() {
        return resourceSubscriptions.values();
    }

    /** Forgets every resource subscription (the token may no longer read them). */
    synchronized void unsubscribeAll() {
        resourceSubscriptions = Map.of();
    }

    /** A new resumable stream for the SSE answer of one POST. */
    synchronized SseChannel openPostStream() {
        String key = "p" + (++postStreamCount);
        SseChannel c = new SseChannel(key, log, null);
        postStreams.put(key, c);
        if (postStreams.size() > RESUMABLE_POST_STREAMS) {
            postStreams.remove(postStreams.keySet().iterator().next());
        }
        return c;
    }

    /** @return the stream with that key ({@link #GET_STREAM} or a POST stream's), or {@code null} */
    synchronized SseChannel streamFor(String key) {
        return GET_STREAM.equals(key) ? stream : postStreams.get(key);
    }

    synchronized int openStreams() {
        int n = stream.connected() ? 1 : 0;
        for (SseChannel c : postStreams.values()) {
            if (c.connected()) {
                n++;
            }
        }
        return n;
    }

    boolean isClosed() {
        return closed;
    }

    /** Ends the session's streams; idempotent. */
    void close() {
        List<SseChannel> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(postStreams.values());
            postStreams.clear();
        }
        stream.complete();
        all.forEach(SseChannel::complete);
    }

    McpSessionInfo info() {
        return new McpSessionInfo(id, subject, revision.wire(), created, Instant.ofEpochMilli(lastActiveMillis),
                openStreams(), clientName);
    }
}
