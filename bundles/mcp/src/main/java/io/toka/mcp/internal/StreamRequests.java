package io.toka.mcp.internal;

import io.toka.security.SecurityContext;
import java.io.IOException;
import javax.servlet.AsyncContext;
import javax.servlet.AsyncEvent;
import javax.servlet.AsyncListener;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * GET and DELETE on the endpoint (2025 revisions; 2026-07-28 has neither and gets 405). GET opens the session's
 * server-to-client SSE stream, asynchronously; with {@code Last-Event-ID} it resumes the stream that id belongs
 * to (the GET stream or a POST's answer), replaying what the session still holds. A new GET replaces the session's
 * previous GET connection, so a message is never sent on two streams. DELETE ends the session.
 */
final class StreamRequests {

    private final Answers answers;
    private final ProtocolVersions versions;
    private final SessionRegistry sessions;
    private final SseWriters writers;

    StreamRequests(Answers answers, ProtocolVersions versions, SessionRegistry sessions, SseWriters writers) {
        this.answers = answers;
        this.versions = versions;
        this.sessions = sessions;
        this.writers = writers;
    }

    void get(HttpServletRequest req, HttpServletResponse resp, SecurityContext caller) throws IOException {
        Session s = session(req, resp, caller, "GET");
        if (s == null) {
            return;
        }
        if (!PostHandler.accepts(req.getHeader("Accept"), "text/event-stream")) {
            answers.error(req, resp, 406, JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
                    "Not Acceptable: the GET stream is text/event-stream", null));
            return;
        }
        s.touch(caller, sessions.now());
        EventLog.Cursor cursor = EventLog.Cursor.parse(req.getHeader("Last-Event-ID"));
        SseChannel target = cursor == null ? null : s.streamFor(cursor.stream());
        long after = -1;
        if (target == null) {
            target = s.stream;
        } else {
            after = cursor.seq();
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        SseConnection conn = writers.connection(resp, async);
        SseChannel channel = target;
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                channel.detach(conn);
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                conn.close();
                channel.detach(conn);
            }

            @Override
            public void onError(AsyncEvent event) {
                conn.close();
                channel.detach(conn);
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                // not restarted
            }
        });
        try {
            conn.open();
        } catch (IOException e) {
            conn.close();
            return;
        }
        channel.attach(conn, after, s.revision.primesStreams());
    }

    void delete(HttpServletRequest req, HttpServletResponse resp, SecurityContext caller) throws IOException {
        Session s = session(req, resp, caller, "DELETE");
        if (s == null) {
            return;
        }
        sessions.close(s.id);
        resp.setStatus(200);
        resp.setContentLength(0);
    }

    /** The request's session, or {@code null} after answering 405, 400 or 404. */
    private Session session(HttpServletRequest req, HttpServletResponse resp, SecurityContext caller, String method)
            throws IOException {
        String header = req.getHeader("MCP-Protocol-Version");
        Revision r = null;
        if (header != null) {
            r = versions.served(header.trim());
            if (r == null) {
                answers.error(req, resp, 400, JsonRpc.error(null, versions.unsupported(header.trim())));
                return null;
            }
        }
        String id = req.getHeader(LifecycleArea.SESSION_HEADER);
        if (r != null && r.stateless() || id == null) {
            // 2026-07-28 has no GET stream and no sessions; without a session there is nothing to stream or end
            resp.setHeader("Allow", "POST");
            answers.error(req, resp, 405, JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "Method Not Allowed: "
                    + method + " needs the Mcp-Session-Id of a 2025 session", null));
            return null;
        }
        Session s = sessions.find(id.trim(), caller);
        if (s == null) {
            answers.error(req, resp, 404, JsonRpc.error(null, JsonRpc.SESSION_NOT_FOUND,
                    "Session not found: start a new one with initialize", null));
            return null;
        }
        if (r != null && r != s.revision) {
            answers.error(req, resp, 400, JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "Bad Request: "
                    + "MCP-Protocol-Version " + r.wire() + " is not the session's negotiated " + s.revision.wire(),
                    null));
            return null;
        }
        return s;
    }
}
