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
 * Writes every audit event as one JSON line to {@code data/log/toka-audit.log} ({@link RollingAuditFile}; outside
 * Karaf, to the {@code toka.audit} logger), asynchronously and in order ({@link AuditFileWriter}), and hands it to every
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
    /** The audit file, or {@code null} outside Karaf (no {@code karaf.log}): then the {@code toka.audit} logger. */
    private final RollingAuditFile rolling;
    /** The file lines, written off the caller's thread; listeners (the event store among them) are called in place. */
    private final AuditFileWriter file;

    /** In Karaf: {@code ${karaf.log}/toka-audit.log} (or {@code ${karaf.data}/log}), rolled at 32 MiB, 10 kept. */
    public AuditLogImpl() {
        this(defaultFile());
    }

    private static java.nio.file.Path defaultFile() {
        String log = System.getProperty("karaf.log");
        String data = System.getProperty("karaf.data");
        return log != null ? java.nio.file.Path.of(log, "toka-audit.log")
                : data != null ? java.nio.file.Path.of(data, "log", "toka-audit.log") : null;
    }

    /** @param auditFile the audit file, or {@code null} to write the lines to the {@code toka.audit} logger */
    AuditLogImpl(java.nio.file.Path auditFile) {
        RollingAuditFile f = null;
        if (auditFile != null) {
            try {
                f = new RollingAuditFile(auditFile, 32L * 1024 * 1024, 10);
            } catch (java.io.IOException e) {
                LOG.error("Cannot open the audit file {}; audit lines go to the {} logger instead", auditFile, LOGGER, e);
            }
        }
        this.rolling = f;
        RollingAuditFile out = f;
        this.file = out == null ? new AuditFileWriter(e -> AUDIT.info(toJson(e))) : new AuditFileWriter(e -> {
            try {
                out.append(toJson(e));
            } catch (java.io.IOException failure) {
                throw new java.io.UncheckedIOException(failure);
            }
        }, () -> {
            try {
                out.flush();
            } catch (java.io.IOException failure) {
                throw new java.io.UncheckedIOException(failure);
            }
        });
    }

    /** Flushes the audit lines still queued and closes the file. */
    @Deactivate
    void deactivate() {
        file.close();
        if (rolling != null) {
            try {
                rolling.close();
            } catch (java.io.IOException e) {
                LOG.warn("Cannot close the audit file", e);
            }
        }
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
        if (rolling != null || AUDIT.isInfoEnabled()) {
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
