package io.toka.llm.internal;

import io.toka.llm.ContentBlock;
import io.toka.llm.LlmException;
import io.toka.llm.LlmException.Reason;
import io.toka.llm.LlmMessage;
import io.toka.llm.LlmRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a request before it leaves: blocks the original system's dangerous patterns in user text, filters prompt
 * injection out of tool results, masks secrets everywhere, and caps the prompt at {@value LlmRequest#MAX_PROMPT_BYTES}
 * bytes.
 *
 * <p>Differences from the original table, each on purpose:
 * <ul>
 * <li>The network rule ({@code urllib|requests|curl|wget|http|ftp|ssh|telnet}) is gone: it blocked any prompt that
 * mentioned a URL or a tool named curl, including Toka's own agent prompts.</li>
 * <li>The other block rules match whole words only ("finish(" is not "sh(", "from system" is not "from sys"), and
 * the call rules need a call: {@code open(} or {@code open ('...')}, not "write (briefly)".</li>
 * <li>Block rules apply to user text only. The system prompt is Toka's own; tool results are data the model asked
 * for (often code), so injection phrases there are replaced by {@value #FILTERED} instead of failing the agent.
 * Assistant text is the model's own.</li>
 * <li>The replace rules that rewrote words (secret, token, override, hack, SQL keywords) are replaced by
 * {@link SecretMasker}, which masks secret values rather than the words that name them.</li>
 * <li>Whitespace is kept as it is: newlines matter in code.</li>
 * </ul>
 */
final class RequestSanitizer {

    /** Replaces an injection phrase in a tool result. */
    static final String FILTERED = "[filtered: possible prompt injection]";

    private static final String INJECTION = "\\bignore\\s+(?:all\\s+|any\\s+|the\\s+|your\\s+)?(?:previous|prior|above)\\b"
            + "|\\bdisregard\\s+(?:all\\s+|any\\s+|the\\s+|your\\s+)?(?:previous|prior|above)\\b"
            + "|\\bforget\\s+(?:all\\s+|any\\s+|the\\s+|your\\s+|previous\\s+|prior\\s+)*instructions\\b"
            + "|\\bnew\\s+instructions\\b|\\bsystem\\s+prompt\\b|\\byou\\s+are\\s+now\\b";

    private static final Pattern INJECTION_PATTERN = Pattern.compile(INJECTION, Pattern.CASE_INSENSITIVE);

    /** Block rules, in the original table's order and with its descriptions. */
    private static final Map<Pattern, String> BLOCK_RULES = blockRules();

    private static Map<Pattern, String> blockRules() {
        Map<Pattern, String> rules = new LinkedHashMap<>();
        String call = "(?:\\(|\\s+\\(\\s*['\"`])";
        rules.put(Pattern.compile("\\b(?:system|exec|eval|subprocess|shell|cmd|powershell|bash|sh)" + call,
                Pattern.CASE_INSENSITIVE), "System command injection attempt");
        rules.put(Pattern.compile("\\b(?:open|read|write|delete|rm|mv|cp|mkdir|rmdir)" + call,
                Pattern.CASE_INSENSITIVE), "File system access attempt");
        rules.put(INJECTION_PATTERN, "Prompt injection attempt");
        rules.put(Pattern.compile("__import__|\\bimport\\s+(?:os|sys)\\b|\\bfrom\\s+(?:os|sys)(?:\\.\\w+)*\\s+import\\b",
                Pattern.CASE_INSENSITIVE), "Python code execution attempt");
        return rules;
    }

    /**
     * @param request the cleaned request
     * @param secretsMasked secrets replaced by [REDACTED]
     * @param injectionsFiltered injection phrases replaced in tool results
     */
    record Result(LlmRequest request, int secretsMasked, int injectionsFiltered) {
    }

    /** The descriptions of the block rules the text matches, in table order; empty if none. */
    static Set<String> blockReasons(String text) {
        Set<String> reasons = new LinkedHashSet<>();
        for (Map.Entry<Pattern, String> rule : BLOCK_RULES.entrySet()) {
            if (rule.getKey().matcher(text).find()) {
                reasons.add(rule.getValue());
            }
        }
        return reasons;
    }

    /**
     * @throws LlmException BLOCKED for a block rule in user text ("Request blocked due to security concerns: ..."),
     *     TOO_LARGE when the cleaned prompt is over 32 KiB ("Prompt too long: N > 32768 bytes")
     */
    Result sanitize(LlmRequest request) throws LlmException {
        Set<String> reasons = new LinkedHashSet<>();
        for (LlmMessage message : request.messages()) {
            if (message.role() == LlmMessage.Role.USER) {
                for (ContentBlock block : message.content()) {
                    if (block instanceof ContentBlock.Text text) {
                        reasons.addAll(blockReasons(text.text()));
                    }
                }
            }
        }
        if (!reasons.isEmpty()) {
            throw new LlmException(Reason.BLOCKED, "Request blocked due to security concerns: "
                    + String.join(", ", reasons));
        }

        int[] masked = {0};
        int filtered = 0;
        long bytes = 0;
        String system = null;
        if (request.system() != null) {
            system = mask(request.system(), masked);
            bytes += utf8(system);
        }
        List<LlmMessage> messages = new ArrayList<>(request.messages().size());
        for (LlmMessage message : request.messages()) {
            List<ContentBlock> blocks = new ArrayList<>(message.content().size());
            for (ContentBlock block : message.content()) {
                if (block instanceof ContentBlock.Text text) {
                    String clean = mask(text.text(), masked);
                    bytes += utf8(clean);
                    blocks.add(clean.equals(text.text()) ? text : new ContentBlock.Text(clean));
                } else if (block instanceof ContentBlock.ToolResult result) {
                    Matcher m = INJECTION_PATTERN.matcher(result.content());
                    String clean = result.content();
                    if (m.find()) {
                        StringBuilder out = new StringBuilder();
                        do {
                            m.appendReplacement(out, Matcher.quoteReplacement(FILTERED));
                            filtered++;
                        } while (m.find());
                        m.appendTail(out);
                        clean = out.toString();
                    }
                    clean = mask(clean, masked);
                    bytes += utf8(clean);
                    blocks.add(clean.equals(result.content()) ? result
                            : new ContentBlock.ToolResult(result.toolUseId(), clean, result.isError()));
                } else if (block instanceof ContentBlock.ToolUse use) {
                    blocks.add(new ContentBlock.ToolUse(use.id(), use.name(), maskValues(use.input(), masked)));
                }
            }
            messages.add(new LlmMessage(message.role(), blocks));
        }
        if (bytes > LlmRequest.MAX_PROMPT_BYTES) {
            throw new LlmException(Reason.TOO_LARGE, "Prompt too long: " + bytes + " > " + LlmRequest.MAX_PROMPT_BYTES
                    + " bytes");
        }
        LlmRequest clean = new LlmRequest(request.agent(), system, messages, request.tools(), request.maxTokens(),
                request.temperature(), request.priority());
        return new Result(clean, masked[0], filtered);
    }

    private static String mask(String text, int[] count) {
        SecretMasker.Masked m = SecretMasker.mask(text);
        count[0] += m.count();
        return m.text();
    }

    /** Tool-call arguments go back to the provider with the conversation, so secrets in them are masked too. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> maskValues(Map<String, Object> input, int[] count) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : input.entrySet()) {
            out.put(e.getKey(), maskValue(e.getValue(), count));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object maskValue(Object value, int[] count) {
        if (value instanceof String s) {
            return mask(s, count);
        }
        if (value instanceof Map<?, ?> map) {
            return maskValues((Map<String, Object>) map, count);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object item : list) {
                out.add(maskValue(item, count));
            }
            return out;
        }
        return value;
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
