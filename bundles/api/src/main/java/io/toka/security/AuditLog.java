package io.toka.security;

import org.osgi.annotation.versioning.ProviderType;

/** The audit log: structured JSON lines on the {@code toka.audit} logger, and every {@link AuditListener}. */
@ProviderType
public interface AuditLog {

    /** @param event the event to record */
    void record(AuditEvent event);
}
