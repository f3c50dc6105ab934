package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.tool.CallObserver;

/**
 * Turns what a running tool reports into notifications on its request's answer: {@code notifications/progress} when
 * the request carried a {@code progressToken}, {@code notifications/message} for log messages at or above the
 * level the client chose. Called on the tool's thread.
 */
final class CallNotifier implements CallObserver {

    private final PostReply reply;
    private final JsonNode progressToken;
    private final LogLevel minimum;
    private final String logger;

    /**
     * @param progressToken the request's token, or {@code null} for no progress
     * @param minimum the lowest level to forward, or {@code null} for no log messages
     * @param logger the logger name given with log messages (the tool's name)
     */
    CallNotifier(PostReply reply, JsonNode progressToken, LogLevel minimum, String logger) {
        this.reply = reply;
        this.progressToken = progressToken;
        this.minimum = minimum;
        this.logger = logger;
    }

    /** @return a notifier, or {@link CallObserver#NONE} when nothing could or should reach the client */
    static CallObserver of(McpCall call, String tool) {
        if (!call.reply.streams()) {
            return CallObserver.NONE;
        }
        JsonNode token = call.progressToken();
        LogLevel level = call.logLevel();
        return token == null && level == null ? CallObserver.NONE : new CallNotifier(call.reply, token, level, tool);
    }

    @Override
    public void progress(double progress, Double total, String message) {
        if (progressToken == null) {
            return;
        }
        ObjectNode p = Json.object();
        p.set("progressToken", progressToken);
        p.put("progress", progress);
        if (total != null) {
            p.put("total", total);
        }
        if (message != null) {
            p.put("message", message);
        }
        reply.notify(JsonRpc.notification("notifications/progress", p));
    }

    @Override
    public void log(LogLevel level, String message) {
        if (minimum == null || level == null || level.compareTo(minimum) < 0) {
            return;
        }
        ObjectNode p = Json.object();
        p.put("level", level.wireName());
        p.put("logger", logger);
        p.put("data", message);
        reply.notify(JsonRpc.notification("notifications/message", p));
    }
}
