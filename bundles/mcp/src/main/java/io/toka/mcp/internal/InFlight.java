package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.toka.runtime.registry.CancellationSignal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests that can be cancelled right now, by caller and request id, for {@code notifications/cancelled}: a
 * caller (a session, or a token without one) can only reach its own requests, and an unknown id is ignored, as the
 * cancellation utility says.
 */
final class InFlight {

    private final Map<String, CancellationSignal> calls = new ConcurrentHashMap<>();

    private static String key(String callerKey, JsonNode id) {
        // the id's JSON text: 1 and "1" are different ids
        return callerKey + '\n' + id.toString();
    }

    /** Registers a request; a second request in flight with the same id gets a signal nobody else can reach. */
    CancellationSignal start(String callerKey, JsonNode id) {
        CancellationSignal signal = new CancellationSignal();
        calls.putIfAbsent(key(callerKey, id), signal);
        return signal;
    }

    void end(String callerKey, JsonNode id, CancellationSignal signal) {
        calls.remove(key(callerKey, id), signal);
    }

    /** @return whether a request of that caller with that id was in flight (and is now cancelled) */
    boolean cancel(String callerKey, JsonNode id, String reason) {
        CancellationSignal s = calls.get(key(callerKey, id));
        if (s == null) {
            return false;
        }
        s.cancel(reason);
        return true;
    }

    int size() {
        return calls.size();
    }
}
