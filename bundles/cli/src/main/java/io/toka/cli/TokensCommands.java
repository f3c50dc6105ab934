package io.toka.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code toka tokens issue SUBJECT PERMISSION... [--ttl 1h] [--json]} ({@code POST /api/v1/tokens}): prints only
 * the new token on standard output, so that {@code > file} stores it; its id and expiry go to standard error.
 */
final class TokensCommands {

    private TokensCommands() {
    }

    static int issue(Context c, Args a) throws CliException {
        if (a.positionals().size() < 2) {
            throw CliException.usage("expected a subject and at least one permission, e.g. 'toka tokens issue "
                    + "agent-1 tool:invoke:file-reader filesystem:read' (see --help)");
        }
        ObjectNode body = c.mapper().createObjectNode();
        body.put("subject", a.positionals().get(0));
        var perms = body.putArray("permissions");
        a.positionals().subList(1, a.positionals().size()).forEach(perms::add);
        if (a.has("--ttl")) {
            body.put("ttlSeconds", Args.seconds("--ttl", a.value("--ttl")));
        }
        JsonNode issued = c.api().post("/tokens", body, TokaApi.REQUEST_TIMEOUT);
        if (!issued.path("token").isTextual()) {
            throw Context.malformed("POST /api/v1/tokens", "no 'token'");
        }
        if (a.has("--json")) {
            c.printJson(issued);
        } else {
            c.out().println(issued.path("token").asText());
            c.err().println("toka: issued token " + Context.text(issued, "jti") + " for '"
                    + Context.text(issued, "subject") + "', expires " + Context.text(issued, "expiresAt")
                    + "; keep it in a file only you can read (chmod 600)");
        }
        return Main.EXIT_OK;
    }
}
