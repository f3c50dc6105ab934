package io.toka.tool;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Hears what a running tool reports about one call: its progress and its log messages. The entry point that made
 * the call supplies it (MCP turns them into {@code notifications/progress} and {@code notifications/message}); a
 * tool reaches it through {@link ToolInvocation#progress} and {@link ToolInvocation#log}. Called on the tool's
 * thread; implementations must be thread-safe, quick, and must not throw.
 *
 * @since 1.2
 */
@ConsumerType
public interface CallObserver {

    /** An observer that ignores everything. */
    CallObserver NONE = new CallObserver() {
        @Override
        public void progress(double progress, Double total, String message) {
        }

        @Override
        public void log(LogLevel level, String message) {
        }
    };

    /**
     * @param progress how far the call is; increases with every report
     * @param total the total, or {@code null} when unknown
     * @param message a short human-readable status, or {@code null}
     */
    void progress(double progress, Double total, String message);

    /**
     * @param level the severity
     * @param message the message
     */
    void log(LogLevel level, String message);

    /** Severities, as syslog (RFC 5424) and MCP name them, least severe first. */
    enum LogLevel {
        DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, ALERT, EMERGENCY;

        /** @return the lower-case name MCP uses */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
