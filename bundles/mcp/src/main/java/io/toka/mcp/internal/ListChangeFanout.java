package io.toka.mcp.internal;

import io.toka.runtime.registry.ToolRegistryListener;
import io.toka.security.TokenStateException;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code notifications/tools/list_changed}: when the registry reports a change, every session's GET stream and
 * every {@code subscriptions/listen} stream that asked for it gets the notification, but only when the tools that
 * caller may see really changed (a tool another token alone can call comes and goes unnoticed). Runs on the
 * endpoint's own thread, right after the registry's call, so the registry's dispatcher is never held up.
 */
final class ListChangeFanout implements ToolRegistryListener {

    private static final Logger LOG = LoggerFactory.getLogger(ListChangeFanout.class);
    private static final String LIST_CHANGED = "notifications/tools/list_changed";

    private final ToolCatalog catalog;
    private final SessionRegistry sessions;
    private final SubscriptionsArea subscriptions;
    private final Executor executor;

    ListChangeFanout(ToolCatalog catalog, SessionRegistry sessions, SubscriptionsArea subscriptions,
            Executor executor) {
        this.catalog = catalog;
        this.sessions = sessions;
        this.subscriptions = subscriptions;
        this.executor = executor;
    }

    @Override
    public void toolsChanged(Set<String> names) {
        catalog.invalidate();
        try {
            executor.execute(this::fanout);
        } catch (RejectedExecutionException stopping) {
            // the endpoint is stopping
        }
    }

    /** Tells every stream whose caller's view changed since it was last told. */
    void fanout() {
        String note = Json.text(JsonRpc.notification(LIST_CHANGED, null));
        for (Session s : sessions.live()) {
            if (s.toolsSeen() == null) {
                // initialize is still taking its snapshot, which already sees this change
                continue;
            }
            try {
                Object now = catalog.view(s.caller()).fingerprint();
                if (!now.equals(s.toolsSeen())) {
                    s.toolsSeen(now);
                    s.stream.send(note);
                }
            } catch (TokenStateException e) {
                sessions.close(s.id);
            } catch (RuntimeException e) {
                LOG.warn("Could not tell MCP session {} that its tools changed", s.id, e);
            }
        }
        for (SubscriptionsArea.Listen l : subscriptions.live()) {
            if (!l.tools) {
                continue;
            }
            try {
                Object now = catalog.view(l.caller).fingerprint();
                if (!now.equals(l.toolsSeen)) {
                    l.toolsSeen = now;
                    l.send(LIST_CHANGED, null);
                }
            } catch (TokenStateException e) {
                l.end(false);
            } catch (RuntimeException e) {
                LOG.warn("Could not tell an MCP subscription that its tools changed", e);
            }
        }
    }
}
