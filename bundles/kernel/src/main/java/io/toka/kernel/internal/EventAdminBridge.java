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
import org.osgi.service.event.EventAdmin;

/**
 * Re-posts every Toka event on OSGi EventAdmin, topic {@code toka/event/<kind with / for .>} (e.g.
 * {@code toka/event/agent/spawned}), so any bundle can listen with the standard API. Properties: {@code id},
 * {@code seq}, {@code kind}, {@code version}, {@code timestamp} (epoch ms), {@code digest}, {@code payload} (JSON),
 * and {@code agent}/{@code subject} when set.
 */
@Component(immediate = true, service = {})
public final class EventAdminBridge implements EventSubscriber {

    /** Topic prefix. */
    public static final String TOPIC_PREFIX = "toka/event/";

    private final EventAdmin eventAdmin;
    private final EventBus.Subscription subscription;

    @Activate
    public EventAdminBridge(@Reference EventAdmin eventAdmin, @Reference EventBus bus) {
        this.eventAdmin = eventAdmin;
        this.subscription = bus.subscribe(this, 4096);
    }

    @Deactivate
    void deactivate() {
        subscription.close();
    }

    static String topic(String kind) {
        return TOPIC_PREFIX + kind.replace('.', '/');
    }

    @Override
    public void onEvent(Event e) {
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
        eventAdmin.postEvent(new org.osgi.service.event.Event(topic(e.kind()), props));
    }
}
