package io.toka.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URI;
import java.util.Map;

/**
 * What a verb works with: Toka's API, JSON, the output streams and the environment.
 *
 * @param api Toka's REST API
 * @param mapper JSON
 * @param out results (what a script reads)
 * @param err diagnostics and errors
 * @param env the environment
 * @param url Toka's address
 */
record Context(TokaApi api, ObjectMapper mapper, PrintStream out, PrintStream err, Map<String, String> env, URI url) {

    /** Prints JSON, indented. */
    void printJson(JsonNode node) {
        try {
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            out.println(node.toString());
        }
    }

    /**
     * @param answer an answer from Toka
     * @param field the list it must hold
     * @param request the request, for the message
     * @return the list
     * @throws CliException if the answer has no such list
     */
    static JsonNode list(JsonNode answer, String field, String request) throws CliException {
        JsonNode n = answer == null ? null : answer.get(field);
        if (n == null || !n.isArray()) {
            throw malformed(request, "no '" + field + "' list");
        }
        return n;
    }

    /** @return an answer that is JSON but not what the API documents */
    static CliException malformed(String request, String what) {
        return CliException.failure("unexpected answer from Toka to " + request + ": " + what
                + "; is --url Toka's address, and is this client (toka --version) as new as Toka?");
    }

    /** @return a text field, or "" when it is absent or null */
    static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? "" : v.isValueNode() ? v.asText() : v.toString();
    }
}
