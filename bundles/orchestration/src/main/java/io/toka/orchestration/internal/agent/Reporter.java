package io.toka.orchestration.internal.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.toka.event.EventPayload;
import io.toka.kernel.Kernel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Posts an agent's events to the kernel, when there is one; a kernel failure never stops an agent. */
final class Reporter {

    private static final Logger LOG = LoggerFactory.getLogger(Reporter.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<Kernel> kernel;

    Reporter(Supplier<Kernel> kernel) {
        this.kernel = kernel;
    }

    void post(EventPayload payload) {
        Kernel k = kernel.get();
        if (k == null) {
            return;
        }
        try {
            k.post(payload);
        } catch (RuntimeException e) {
            LOG.warn("Could not post {} for agent {}: {}", payload.kind(), payload.agent(), e.getMessage());
        }
    }

    /**
     * Posts an {@code observation.emitted} whose data is the JSON
     * {@code {"type":"agent_progress","agent","run","state","progress","message","queueWaitMs","timestamp"}};
     * {@code queueWaitMs} is the run's model-queue wait so far.
     */
    void progress(String agent, String runId, String state, double progress, String message, long queueWaitMs,
            String subject) {
        if (kernel.get() == null) {
            return;
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("type", "agent_progress");
        data.put("agent", agent);
        data.put("run", runId);
        data.put("state", state);
        data.put("progress", Math.max(0, Math.min(1, progress)));
        data.put("message", message);
        data.put("queueWaitMs", queueWaitMs);
        data.put("timestamp", Instant.now().toString());
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            bytes = message.getBytes(StandardCharsets.UTF_8);
        }
        post(new EventPayload.ObservationEmitted(agent, Base64.getEncoder().encodeToString(bytes), bytes.length,
                subject));
    }
}
