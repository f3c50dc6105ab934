package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import javax.servlet.http.HttpServletResponse;

/**
 * How one POST is answered. It starts as plain JSON (one response object, a batch's array, or 202 when the body
 * held no requests) and turns into an SSE stream the moment a request sends a notification for its client
 * (progress, log messages) and the client accepts {@code text/event-stream}; the responses then follow as events.
 * Notifications the client cannot receive are dropped. Once {@link #finish()}ed, nothing more is sent (a tool that
 * reports after its call was cancelled or timed out reaches no one). Thread-safe: a tool reports on its own thread.
 */
final class PostReply {

    private final HttpServletResponse resp;
    private final Answers answers;
    private final boolean sseAccepted;
    private final boolean jsonAccepted;
    private final boolean batch;
    private final Function<Runnable, SseChannel> streams;
    private final boolean prime;
    private final List<ObjectNode> responses = new ArrayList<>(1);
    private int status = 200;
    private SseChannel channel;
    // read without the lock: lost() runs under the stream's lock, which notify() takes while holding this one
    private volatile Runnable onLost;
    private volatile boolean finished;
    private boolean detached;

    /**
     * @param sseAccepted whether the client's Accept header allows an SSE answer
     * @param jsonAccepted whether it allows a JSON answer (if not, every answer to a request is an SSE stream)
     * @param batch whether the body was an array (the JSON answer is then an array too)
     * @param streams makes the stream for an SSE answer, given what to run when its connection is lost
     * @param prime whether the stream opens with a priming event (2025-11-25 sessions)
     */
    PostReply(HttpServletResponse resp, Answers answers, boolean sseAccepted, boolean jsonAccepted, boolean batch,
            Function<Runnable, SseChannel> streams, boolean prime) {
        this.resp = resp;
        this.answers = answers;
        this.sseAccepted = sseAccepted;
        this.jsonAccepted = jsonAccepted;
        this.batch = batch;
        this.streams = streams;
        this.prime = prime;
    }

    /** @return whether notifications can reach the client (it accepts an SSE answer) */
    boolean streams() {
        return sseAccepted;
    }

    /**
     * What to run if the client drops the SSE answer: on 2026-07-28 that is the request's cancellation.
     */
    void onLost(Runnable action) {
        this.onLost = action;
    }

    private void lost() {
        Runnable action = onLost;
        if (action != null && !finished) {
            action.run();
        }
    }

    /** A message for the client about a running request; switches to SSE, or is dropped. */
    synchronized void notify(ObjectNode message) {
        if (finished || detached || !sseAccepted) {
            return;
        }
        if (channel == null) {
            startStream();
        }
        channel.send(Json.text(message));
    }

    /** A response; {@code httpStatus} is the answer's status when it is the only one and sent as JSON. */
    synchronized void respond(ObjectNode response, int httpStatus) {
        if (finished) {
            return;
        }
        if (channel == null && !jsonAccepted) {
            startStream();
        }
        if (channel != null) {
            channel.send(Json.text(response));
            return;
        }
        responses.add(response);
        status = httpStatus;
    }

    /**
     * A request of this POST gets no response (the client cancelled it). A request must still be answered with
     * {@code text/event-stream} or {@code application/json} (transports, "sending messages", 5), so when the
     * client accepts SSE the answer becomes a stream (primed in a 2025-11-25 session), which {@link #finish()}
     * then ends without a response for that id. A client that accepts only JSON gets 202 with no body when nothing
     * else is to be answered: a JSON body would have to be a response, which the cancellation utility forbids.
     */
    synchronized void noResponse() {
        if (finished || detached) {
            return;
        }
        if (channel == null && sseAccepted) {
            startStream();
        }
    }

    /** Sets a header of the answer (before anything is sent), e.g. {@code Mcp-Session-Id}. */
    synchronized void header(String name, String value) {
        if (!resp.isCommitted()) {
            resp.setHeader(name, value);
        }
    }

    /** A handler took the response over (an asynchronous stream): this reply writes nothing more. */
    synchronized void detach() {
        detached = true;
    }

    private void startStream() {
        SseConnection c = new SseConnection(resp, null);
        channel = streams.apply(this::lost);
        try {
            c.open();
        } catch (IOException e) {
            // the client is gone; attach finds out and runs lost()
        }
        channel.attach(c, -1, prime);
        for (ObjectNode r : responses) {
            channel.send(Json.text(r));
        }
        responses.clear();
    }

    /** Ends the answer: writes the JSON, or ends the SSE stream. */
    void finish() throws IOException {
        SseChannel c;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            if (detached) {
                return;
            }
            c = channel;
        }
        if (c != null) {
            c.complete();
            return;
        }
        if (responses.isEmpty()) {
            answers.accepted(resp);
        } else if (batch) {
            ArrayNode all = Json.array();
            responses.forEach(all::add);
            answers.json(resp, 200, all);
        } else {
            answers.json(resp, status, responses.get(0));
        }
    }
}
