package io.toka.health.internal;

import io.toka.event.EventStore;
import io.toka.health.Health;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** Ready only while the event store is open: its service is there and answers a read of its last sequence number. */
@Component(property = {HealthCheck.NAME + "=" + EventStoreCheck.NAME, HealthCheck.TAGS + "=" + Health.READY_TAG})
public final class EventStoreCheck implements HealthCheck {

    static final String NAME = "event-store";

    /** Optional, so that the check runs (and fails) when the store is missing instead of vanishing. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile EventStore store;

    @Override
    public Result execute() {
        EventStore s = store;
        if (s == null) {
            return new Result(Result.Status.CRITICAL, "no event store service: the store could not be opened"
                    + " (see the log and etc/io.toka.store.cfg)");
        }
        try {
            long last = s.lastSeq();
            return new Result(Result.Status.OK, "the " + s.type() + " event store is open; last event " + last);
        } catch (RuntimeException e) {
            return new Result(Result.Status.CRITICAL, "the event store does not answer: " + e.getMessage());
        }
    }
}
