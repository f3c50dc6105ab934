package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventSubscriber;
import io.toka.security.TokenStateException;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code notifications/resources/updated}: follows the event bus and, when a recorded event matches a subscribed
 * event-log URI, tells the subscriber: a 2025 session on its GET stream ({@code resources/subscribe}), a
 * 2026-07-28 {@code subscriptions/listen} stream tagged with its id. Matching runs on the bus's thread for this
 * subscription; the telling runs on the endpoint's thread, where a burst of events for one subscription becomes one
 * notification (the client reads the resource again anyway). Before each notification the subscriber's token must
 * be live (else the session or subscription ends) and still hold {@code event:read} (else its resource
 * subscriptions are dropped).
 */
final class ResourceWatch implements EventSubscriber, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ResourceWatch.class);
    static final String UPDATED = "notifications/resources/updated";

    /** One notification to send: a {@link Session} or a {@link SubscriptionsArea.Listen}, and the URI. */
    private record Pending(Object target, String uri) {
    }

    private final SessionRegistry sessions;
    private final SubscriptionsArea subscriptions;
    private final Executor executor;
    private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile EventBus.Subscription subscription;

    ResourceWatch(SessionRegistry sessions, SubscriptionsArea subscriptions, Executor executor) {
        this.sessions = sessions;
        this.subscriptions = subscriptions;
        this.executor = executor;
    }

    void start(EventBus bus) {
        subscription = bus.subscribe(this, EventBus.DEFAULT_CAPACITY);
    }

    @Override
    public void onEvent(Event event) {
        for (Session s : sessions.live()) {
            for (EventUri u : s.resourceSubscriptions()) {
                if (u.matches(event)) {
                    pending.add(new Pending(s, u.uri()));
                }
            }
        }
        for (SubscriptionsArea.Listen l : subscriptions.live()) {
            for (EventUri u : l.resources) {
                if (u.matches(event)) {
                    pending.add(new Pending(l, u.uri()));
                }
            }
        }
        schedule();
    }

    /** Events were dropped before reaching this subscriber: any subscribed resource may have changed. */
    @Override
    public void onMissed(long count) {
        for (Session s : sessions.live()) {
            s.resourceSubscriptions().forEach(u -> pending.add(new Pending(s, u.uri())));
        }
        for (SubscriptionsArea.Listen l : subscriptions.live()) {
            l.resources.forEach(u -> pending.add(new Pending(l, u.uri())));
        }
        schedule();
    }

    private void schedule() {
        if (!pending.isEmpty() && scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::flush);
            } catch (RejectedExecutionException stopping) {
                pending.clear();
            }
        }
    }

    /** Sends what is pending. */
    void flush() {
        scheduled.set(false);
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            it.remove();
            try {
                if (p.target() instanceof Session s) {
                    toSession(s, p.uri());
                } else if (p.target() instanceof SubscriptionsArea.Listen l) {
                    toListen(l, p.uri());
                }
            } catch (RuntimeException e) {
                LOG.warn("Could not tell an MCP client that {} was updated", p.uri(), e);
            }
        }
    }

    private void toSession(Session s, String uri) {
        if (s.isClosed()) {
            return;
        }
        try {
            if (!ResourcesArea.stillAllowed(s.caller())) {
                s.unsubscribeAll();
                return;
            }
        } catch (TokenStateException e) {
            sessions.close(s.id);
            return;
        }
        s.stream.send(Json.text(JsonRpc.notification(UPDATED, params(uri))));
    }

    private void toListen(SubscriptionsArea.Listen l, String uri) {
        try {
            if (!ResourcesArea.stillAllowed(l.caller)) {
                return;
            }
        } catch (TokenStateException e) {
            l.end(false);
            return;
        }
        l.send(UPDATED, params(uri));
    }

    private static ObjectNode params(String uri) {
        return Json.object().put("uri", uri);
    }

    @Override
    public void close() {
        EventBus.Subscription s = subscription;
        if (s != null) {
            s.close();
        }
        pending.clear();
    }
}
