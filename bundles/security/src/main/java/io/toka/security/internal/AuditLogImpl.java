package io.toka.security.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.security.AuditEvent;
import io.toka.security.AuditListener;
import io.toka.security.AuditLog;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every audit event as one JSON object on the {@code toka.audit} logger (the distribution routes it to
 * {@code data/log/toka-audit.log}), asynchronously and in order ({@link AuditFileWriter}), and hands it to every
 * {@link AuditListener} service on the caller's thread; the kernel's listener stores it as an {@code audit.recorded}
 * event.
 */
@Component(service = AuditLog.class)
public final class AuditLogImpl implements AuditLog {

    /** The logger name the distribution routes to the audit file. */
    public static final String LOGGER = "toka.audit";

    private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);
    private static final Logger LOG = LoggerFactory.getLogger(AuditLogImpl.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<AuditListener> listeners = new CopyOnWriteArrayList<>();
    /** The file lines, written off the caller's thread; listeners (the event store among them) are called in place. */
    private final AuditFileWriter file = new AuditFileWriter(e -> AUDIT.info(toJson(e)));

    /** Flushes the audit lines still queued. */
    @Deactivate
    void deactivate() {
        file.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(AuditListener listener) {
        listeners.add(listener);
    }

    void removeListener(AuditListener listener) {
        listeners.remove(listener);
    }

    @Override
    public void record(AuditEvent event) {
        if (AUDIT.isInfoEnabled()) {
            file.write(event);
        }
        for (AuditListener l : listeners) {
            try {
                l.onAudit(event);
            } catch (RuntimeException e) {
                LOG.warn("Audit listener {} failed", l, e);
            }
        }
    }

    /** @return the event as one line of JSON: time, action, outcome, subject, jti, detail */
    static String toJson(AuditEvent e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", e.time().toString());
        n.put("action", e.action());
        n.put("outcome", e.outcome());
        n.put("subject", e.subject());
        n.put("jti", e.jti());
        n.put("detail", e.detail());
        return n.toString();
    }
}
