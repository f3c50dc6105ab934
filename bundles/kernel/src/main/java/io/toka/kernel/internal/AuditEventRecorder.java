package io.toka.kernel.internal;

import io.toka.event.EventPayload;
import io.toka.kernel.Kernel;
import io.toka.security.AuditEvent;
import io.toka.security.AuditListener;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Turns security audit decisions into kernel events: every decision → {@code audit.recorded}; and token issue and
 * delegation → {@code token.issued}, revocation → {@code token.revoked}, key rotation → {@code key.rotated}.
 *
 * <p>Not a DS component: the kernel needs the token service, which needs the audit log, which binds its listeners; a
 * listener component that needed the kernel (even optionally) made SCR detect a service cycle and drop the binding.
 * So the active kernel registers an instance of this itself ({@code BundleContext.registerService}), which the audit
 * log binds without activating anything. Events given to it while it has no kernel are held, up to
 * {@link #PENDING_CAP}, and recorded when one is set.
 */
public final class AuditEventRecorder implements AuditListener {

    static final int PENDING_CAP = 1000;

    private final Deque<EventPayload> pending = new ArrayDeque<>();
    private Kernel kernel;

    synchronized void setKernel(Kernel k) {
        this.kernel = k;
        while (!pending.isEmpty()) {
            k.post(pending.poll());
        }
    }

    synchronized void unsetKernel(Kernel k) {
        if (this.kernel == k) {
            this.kernel = null;
        }
    }

    @Override
    public void onAudit(AuditEvent e) {
        // every audit record is stored as an event (queryable by kind, subject and time), and a successful token or
        // key action also as its own typed event
        EventPayload p = payload(e);
        EventPayload record = new EventPayload.AuditRecorded(e.action(), e.outcome(), e.subject(), e.jti(),
                e.detail());
        Kernel k;
        synchronized (this) {
            k = kernel;
            if (k == null) {
                if (pending.size() < PENDING_CAP) {
                    pending.add(record);
                    if (p != null) {
                        pending.add(p);
                    }
                }
                return;
            }
        }
        k.post(record);
        if (p != null) {
            k.post(p);
        }
    }

    /** @return the event for a successful token or key action, or {@code null} for anything else */
    static EventPayload payload(AuditEvent e) {
        if (!"success".equals(e.outcome())) {
            return null;
        }
        return switch (e.action()) {
            case "token.issue", "token.delegate" -> new EventPayload.TokenIssued(e.jti(), e.subject(),
                    e.action() + ": " + e.detail());
            case "token.revoke" -> new EventPayload.TokenRevoked(e.jti(), e.subject(), e.detail());
            case "key.rotate" -> new EventPayload.KeyRotated(e.subject(), e.detail());
            default -> null;
        };
    }
}
