package io.toka.security;

import org.osgi.annotation.versioning.ConsumerType;

/** Whiteboard service: receives every audit event, e.g. to persist it. Must return quickly and not throw. */
@ConsumerType
public interface AuditListener {

    /** @param event the event */
    void onAudit(AuditEvent event);
}
