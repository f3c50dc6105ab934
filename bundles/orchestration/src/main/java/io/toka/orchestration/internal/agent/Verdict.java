package io.toka.orchestration.internal.agent;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Locale;

/**
 * The model's final structured verdict: the last JSON object in its final answer that has a {@code verdict} field,
 * {@code {"verdict":"success"|"failure","summary":"..."}}. Nothing else in the text counts: a success that mentions
 * an error is still a success, and a reply without a verdict is a failure.
 *
 * @param success whether the verdict is {@code success}
 * @param summary the model's summary, or why there is no valid verdict
 * @param present whether a valid verdict was found
 */
record Verdict(boolean success, String summary, boolean present) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Only the end of a long answer is searched: the verdict must end it. */
    private static final int TAIL_CHARS = 8192;

    static Verdict parse(String text) {
        if (text == null || text.isBlank()) {
            return new Verdict(false, "no verdict: the final answer is empty", false);
        }
        String tail = text.length() > TAIL_CHARS ? text.substring(text.length() - TAIL_CHARS) : text;
        for (int i = tail.lastIndexOf('{'); i >= 0; i = i == 0 ? -1 : tail.lastIndexOf('{', i - 1)) {
            JsonNode node = read(tail.substring(i));
            if (node != null && node.isObject() && node.has("verdict")) {
                String v = node.get("verdict").asText("").trim().toLowerCase(Locale.ROOT);
                String summary = node.path("summary").asText("").trim();
                if (v.equals("success") || v.equals("failure")) {
                    return new Verdict(v.equals("success"), summary.isEmpty() ? "(no summary)" : summary, true);
                }
                return new Verdict(false, "no verdict: \"verdict\" is '" + node.get("verdict").asText()
                        + "', not success or failure", false);
            }
        }
        return new Verdict(false, "no verdict: the final answer does not end with "
                + "{\"verdict\":\"success\"|\"failure\",\"summary\":\"...\"}", false);
    }

    /** Reads the first JSON value at the start of the text, ignoring what follows; null if it is not JSON. */
    private static JsonNode read(String text) {
        try (JsonParser p = JSON.getFactory().createParser(text)) {
            return JSON.readTree(p);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
