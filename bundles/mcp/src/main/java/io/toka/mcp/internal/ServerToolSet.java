package io.toka.mcp.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The server tools there are right now (their sources come and go with the services they front). */
final class ServerToolSet {

    private final List<ServerTools> sources = new CopyOnWriteArrayList<>();

    void add(ServerTools source) {
        sources.add(source);
    }

    void remove(ServerTools source) {
        sources.remove(source);
    }

    /** @return every server tool, in source order */
    List<ServerTool> all() {
        List<ServerTool> out = new ArrayList<>();
        for (ServerTools s : sources) {
            out.addAll(s.tools());
        }
        return out;
    }

    /** @return the server tool with that name, or {@code null} */
    ServerTool find(String name) {
        for (ServerTools s : sources) {
            for (ServerTool t : s.tools()) {
                if (t.descriptor().name().equals(name)) {
                    return t;
                }
            }
        }
        return null;
    }
}
