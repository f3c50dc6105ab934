package io.toka.mcp.internal;

import io.toka.security.SecurityContext;
import io.toka.security.TokenStateException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches the open SSE streams, once a second: a stream whose token was revoked, expired or left its time window
 * ends at once (its {@code onRevoked} runs: the session or subscription ends); every
 * {@value #KEEP_ALIVE_TICKS} seconds each stream gets a keep-alive comment, which also finds clients that are gone.
 * Completed streams drop out.
 */
final class StreamMonitor {

    static final int KEEP_ALIVE_TICKS = 15;

    private record Watched(SseChannel channel, SecurityContext caller, Runnable onRevoked) {
    }

    private final Set<Watched> watched = ConcurrentHashMap.newKeySet();
    private long ticks;

    void watch(SseChannel channel, SecurityContext caller, Runnable onRevoked) {
        watched.add(new Watched(channel, caller, onRevoked));
    }

    /** One round (run every second on the endpoint's scheduler). */
    void tick() {
        boolean keepAlive = ++ticks % KEEP_ALIVE_TICKS == 0;
        for (Watched w : watched) {
            if (w.channel().completed()) {
                watched.remove(w);
                continue;
            }
            try {
                w.caller().checkLive();
            } catch (TokenStateException e) {
                watched.remove(w);
                w.onRevoked().run();
                continue;
            }
            if (keepAlive) {
                w.channel().keepAlive();
            }
        }
    }

    int size() {
        return watched.size();
    }
}
