package io.toka.shell.internal;

import io.toka.orchestration.AgentStatus;
import java.time.Duration;

/** Shared printing for the agent commands. */
final class AgentCommands {

    private AgentCommands() {
    }

    static String line(AgentStatus s) {
        return String.format("%s  %s  task %d/%d  %.0f%%  %s%s", s.agent(), s.state(), s.currentTask(), s.totalTasks(),
                s.progress() * 100, s.message() == null ? "" : s.message(),
                s.verdict() == null ? "" : "  verdict: " + s.verdict());
    }

    static Duration parseWait(String wait) {
        if (wait == null || wait.isBlank()) {
            return null;
        }
        String w = wait.trim().toLowerCase();
        try {
            if (w.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(w.substring(0, w.length() - 2)));
            }
            if (w.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(w.substring(0, w.length() - 1)));
            }
            if (w.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(w.substring(0, w.length() - 1)));
            }
            if (w.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(w.substring(0, w.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(w));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--wait takes a duration such as 30s, 5m or 1h, not '" + wait + "'");
        }
    }
}
