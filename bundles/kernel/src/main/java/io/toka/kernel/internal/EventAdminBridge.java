package io.toka.kernel.internal;

import io.toka.event.Event;
import io.toka.event.EventBus;
import io.toka.event.EventSubscriber;
import java.util.HashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * Re-posts every Toka event on OSGi EventAdmin, topic {@code toka/event/<kind with / for .>} (e.g.
 * {@code toka/event/agent/spawned}), so any bundle can listen with the standard API. Properties: {@code id},
 * {@code seq}, {@code kind}, {@code version}, {@code timestamp} (epoch ms), {@code digest}, {@code payload} (JSON),
 * and {@code agent}/{@code subject} when set.
 *
 * <p>An event is sent only while some {@link EventHandler} subscribes to a topic that can match it ({@code *},
 * {@code toka/*}, {@code toka/event/...}). The bridge already runs on a delivery thread of its own (an
 * {@link EventBus} subscription), in event order, so it delivers with {@link EventAdmin#sendEvent}: {@code postEvent}
 * would add two thread hand-offs per event (EventAdmin's async queue, then its handler pool), which under load cost
 * more CPU than the rest of the bridge. A handler slower than EventAdmin's timeout is still cut off by EventAdmin;
 * one that holds the bridge back makes its subscription queue overflow, and those events are dropped for the bridge
 * only (and counted), never for the store or other subscribers.
 */
@Component(immediate = true, service = {})
public final class EventAdminBridge implements EventSubscriber {

    /** Topic prefix. */
    public static final String TOPIC_PREFIX = "toka/event/";

    private final EventAdmin eventAdmin;
    private final EventBus.Subscription subscription;
    /** The handlers whose topics can match a Toka event, by service id. */
    private final Map<Long, Boolean> listeners = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean listened;

    @Activate
    public EventAdminBridge(@Reference EventAdmin eventAdmin, @Reference EventBus bus) {
        this.eventAdmin = eventAdmin;
        this.subscription = bus.subscribe(this, 4096);
    }

    @Deactivate
    void deactivate() {
        subscription.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            service = EventHandler.class, updated = "updatedHandler")
    void bindHandler(Map<String, Object> properties) {
        long id = ((Number) properties.get(Constants.SERVICE_ID)).longValue();
        if (matchesToka(properties.get(EventConstants.EVENT_TOPIC))) {
            listeners.put(id, Boolean.TRUE);
        }
        listened = !listeners.isEmpty();
    }

    void unbindHandler(Map<String, Object> properties) {
        listeners.remove(((Number) properties.get(Constants.SERVICE_ID)).longValue());
        listened = !listeners.isEmpty();
    }

    void updatedHandler(Map<String, Object> properties) {
        unbindHandler(properties);
        bindHandler(properties);
    }

    /** Whether an {@code event.topics} value (a String or String[]) can match a topic under {@code toka/event/}. */
    static boolean matchesToka(Object topics) {
        String[] list = topics instanceof String s ? new String[] {s}
                : topics instanceof String[] a ? a
                : topics instanceof java.util.Collection<?> c ? c.stream().map(String::valueOf).toArray(String[]::new)
                : new String[0];
        for (String t : list) {
            String topic = t.trim();
            if (topic.equals("*")) {
                return true;
            }
            String prefix = topic.endsWith("/*") ? topic.substring(0, topic.length() - 1) : topic;
            if (TOPIC_PREFIX.startsWith(prefix) || prefix.startsWith(TOPIC_PREFIX)) {
                return true;
            }
        }
        return false;
    }
    static String topic(String kind) {
        return TOPIC_PREFIX + kind.replace('.', '/');
    }

    @Override
    public void onEvent(Event e) {
        if (!listened) {
            return;
        }
        Map<String, Object> props = new HashMap<>();
        props.put("id", e.id());
        props.put("seq", e.seq());
        props.put("kind", e.kind());
        props.put("version", e.version());
        props.put("timestamp", e.timestamp().toEpochMilli());
        props.put("digest", e.digest());
        props.put("payload", e.payload());
        if (e.agent() != null) {
            props.put("agent", e.agent());
        }
        if (e.subject() != null) {
            props.put("subject", e.subject());
        }
        eventAdmin.sendEvent(new org.osgi.service.event.Event(topic(e.kind()), props));
    }
}
