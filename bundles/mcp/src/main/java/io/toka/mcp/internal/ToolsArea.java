package io.toka.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.toka.runtime.registry.CallOptions;
import io.toka.runtime.registry.CancellationSignal;
import io.toka.runtime.registry.InvalidArgumentsException;
import io.toka.runtime.registry.ToolCallResult;
import io.toka.runtime.registry.ToolRegistry;
import io.toka.runtime.registry.UnknownToolException;
import io.toka.security.AccessDeniedException;
import io.toka.security.RateLimitExceededException;
import io.toka.security.TokenStateException;
import io.toka.tool.ToolResult;
import java.util.Map;

/**
 * {@code tools/list} and {@code tools/call}. A call goes through {@link ToolRegistry#invoke}, Toka's one policy
 * point (live token, rate limits, permissions, schema, the call and its event); this class only translates, and
 * never decides a permission itself. A tool the caller may not call is answered exactly like a tool that does not
 * exist, so a token cannot probe which tools exist.
 */
final class ToolsArea implements McpArea {

    private final ToolRegistry registry;
    private final ServerToolSet serverTools;
    private final ToolCatalog catalog;
    private final InFlight inFlight;
    private final int pageSize;
    private final long listTtlMillis;

    ToolsArea(ToolRegistry registry, ServerToolSet serverTools, ToolCatalog catalog, InFlight inFlight, int pageSize,
            long listTtlMillis) {
        this.registry = registry;
        this.serverTools = serverTools;
        this.catalog = catalog;
        this.inFlight = inFlight;
        this.pageSize = pageSize;
        this.listTtlMillis = listTtlMillis;
    }

    @Override
    public void register(MethodTable table) {
        table.request("tools/list", MethodTable.ALL, this::list);
        table.request("tools/call", MethodTable.ALL, this::call);
    }

    @Override
    public void capabilities(Revision revision, ObjectNode capabilities) {
        capabilities.putObject("tools").put("listChanged", true);
    }

    private Object list(McpCall call) throws RpcException {
        String cursor = call.text("cursor", false);
        ToolCatalog.View view = catalog.view(call.caller);
        int start = cursor == null ? 0 : view.indexAfter(Cursors.name(cursor));
        int end = Math.min(start + pageSize, view.tools().size());
        ObjectNode result = Json.object();
        ArrayNode tools = result.putArray("tools");
        for (int i = start; i < end; i++) {
            tools.add(view.tools().get(i).form(call.revision));
        }
        if (end < view.tools().size()) {
            result.put("nextCursor", Cursors.after(view.tools().get(end - 1).name()));
        }
        if (call.revision.stateless()) {
            result.put("ttlMs", listTtlMillis);
            // the list is filtered by the caller's permissions
            result.put("cacheScope", "private");
        }
        return result;
    }

    private Object call(McpCall call) throws RpcException {
        String name = call.text("name", true);
        JsonNode args = call.params().get("arguments");
        if (args != null && !args.isNull() && !args.isObject()) {
            throw RpcException.invalidParams("Invalid params: \"arguments\" must be an object");
        }
        if (call.revision.stateless()) {
            checkParamHeaders(call, name, args);
        }
        Map<String, Object> arguments = args == null || args.isNull() ? Map.of() : Json.toMap(args);
        CancellationSignal signal = inFlight.start(call.callerKey(), call.id());
        if (call.revision.stateless()) {
            // on 2026-07-28 a client cancels by closing the request's SSE stream
            call.reply.onLost(() -> signal.cancel("the client closed the request's stream"));
        }
        try {
            CallOptions options = new CallOptions(CallNotifier.of(call, name), signal);
            ServerTool own = serverTools.find(name);
            ToolCallResult r;
            if (own != null) {
                call.caller.checkLive();
                if (!own.visible(call.caller)) {
                    throw unknownTool(name);
                }
                r = own.call(arguments, call.caller, options);
            } else {
                r = registry.invoke(name, arguments, call.caller, options);
            }
            if (signal.isCancelled()) {
                // the cancellation utility: the receiver does not respond to a cancelled request
                return MethodTable.NO_RESPONSE;
            }
            return result(r, call.revision);
        } catch (UnknownToolException e) {
            throw unknownTool(name);
        } catch (TokenStateException e) {
            throw e; // the servlet answers 401
        } catch (AccessDeniedException e) {
            // a tool the caller may not see must look exactly like one that does not exist
            ToolCatalog.View view = catalog.view(call.caller);
            if (view.find(name) == null) {
                throw unknownTool(name);
            }
            return error(e.getMessage());
        } catch (InvalidArgumentsException e) {
            return error(e.getMessage());
        } catch (RateLimitExceededException e) {
            long retry = e.decision().retryAfterSeconds();
            call.reply.header("Retry-After", Long.toString(retry));
            throw new RpcException(JsonRpc.RATE_LIMITED, "Rate limit exceeded: try again in " + retry + " s",
                    Answers.rateLimitData(e.decision()), 200);
        } finally {
            inFlight.end(call.callerKey(), call.id(), signal);
        }
    }

    /** x-mcp-header parameters are checked only for a tool the caller can see: the check must not reveal others. */
    private void checkParamHeaders(McpCall call, String name, JsonNode args) throws RpcException {
        ToolJson.Rendered tool = catalog.view(call.caller).find(name);
        if (tool != null && !tool.headers().isEmpty()) {
            tool.headers().check(call.request, args == null ? Json.object() : args);
        }
    }

    /** -32602, the same for a tool that does not exist and one the caller may not call. */
    static RpcException unknownTool(String name) {
        return RpcException.invalidParams("Unknown tool: " + JsonRpc.clip(name, 64));
    }

    /**
     * The CallToolResult: content blocks, structuredContent (2025-06-18 on, on success) and isError. When a tool
     * gave structured content but no content blocks of its own, the serialized JSON follows its text output as a
     * second text block, for clients that read only {@code content} (the tools page: "for backwards compatibility,
     * a tool that returns structured content SHOULD also return the serialized JSON in a TextContent block").
     */
    static ObjectNode result(ToolCallResult r, Revision revision) {
        ToolResult tr = r.result();
        ObjectNode out = Json.object();
        ArrayNode content = ContentBlocks.toJson(tr.content(), revision);
        out.set("content", content);
        if (r.isSuccess() && revision.structured() && tr.structured() != null) {
            JsonNode structured = Json.toTree(tr.structured());
            out.set("structuredContent", structured);
            String serialized = Json.text(structured);
            if (!tr.hasExplicitContent() && !serialized.equals(tr.output())) {
                content.addObject().put("type", "text").put("text", serialized);
            }
        }
        out.put("isError", !r.isSuccess());
        return out;
    }

    private static ObjectNode error(String message) {
        ObjectNode out = Json.object();
        out.putArray("content").addObject().put("type", "text").put("text", message);
        out.put("isError", true);
        return out;
    }
}
