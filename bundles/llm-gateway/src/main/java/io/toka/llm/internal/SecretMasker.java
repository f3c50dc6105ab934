package io.toka.llm.internal;

import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces secrets found in text with {@value #REDACTED}: private keys, provider and cloud keys, JWTs, bearer and
 * basic credentials, passwords in URLs, and the values of {@code password=}, {@code token: }, {@code "secret": }
 * and similar assignments. Only the secret goes: the name before it, quotes and line breaks stay.
 *
 * <p>Token shapes are chosen to be rare in prose: {@code sk-} keys need 20 characters and a digit (so
 * "task-force" or "sk-learn" survive), JWTs need two {@code eyJ} segments.
 */
final class SecretMasker {

    static final String REDACTED = "[REDACTED]";

    /**
     * @param text the masked text
     * @param count how many secrets were masked
     */
    record Masked(String text, int count) {
    }

    private record Rule(Pattern pattern, Function<Matcher, String> replacement) {
    }

    private static final String NAMES = "password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
            + "|private[_-]?key|client[_-]?secret|credentials?";

    private static final List<Rule> RULES = List.of(
            rule("-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\\z)",
                    m -> REDACTED),
            // name = value, name: value, "name": "value"; the name may carry a prefix (DB_PASSWORD, csrf_token).
            new Rule(Pattern.compile("\\b([A-Za-z0-9_.-]*(?:" + NAMES + "))([\"']?[ \\t]*[:=][ \\t]*)(?!\\[REDACTED)"
                    + "(\"[^\"\\r\\n]*\"|'[^'\\r\\n]*'|[^\\s\"',;&}\\])]+)", Pattern.CASE_INSENSITIVE),
                    m -> {
                        String value = m.group(3);
                        char first = value.charAt(0);
                        String masked = first == '"' || first == '\'' ? first + REDACTED + first : REDACTED;
                        return m.group(1) + m.group(2) + masked;
                    }),
            new Rule(Pattern.compile("\\b(Bearer[ \\t]+)[A-Za-z0-9._~+/=-]{8,}", Pattern.CASE_INSENSITIVE),
                    m -> m.group(1) + REDACTED),
            new Rule(Pattern.compile("\\b(Basic[ \\t]+)[A-Za-z0-9+/]{12,}={0,2}"), m -> m.group(1) + REDACTED),
            rule("(?<=://)[^/\\s:@]+:[^/\\s@]+(?=@)", m -> REDACTED),
            rule("(?<![A-Za-z0-9_-])sk-(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}", m -> REDACTED),
            rule("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", m -> REDACTED),
            rule("\\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\\b|\\bgithub_pat_[A-Za-z0-9_]{20,}", m -> REDACTED),
            rule("\\bxox[abposr]-[A-Za-z0-9-]{10,}", m -> REDACTED),
            rule("\\bAIza[0-9A-Za-z_-]{35}", m -> REDACTED),
            rule("\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*", m -> REDACTED));

    private SecretMasker() {
    }

    private static Rule rule(String regex, Function<Matcher, String> replacement) {
        return new Rule(Pattern.compile(regex), replacement);
    }

    static Masked mask(String text) {
        String current = text;
        int count = 0;
        for (Rule rule : RULES) {
            Matcher m = rule.pattern().matcher(current);
            if (!m.find()) {
                continue;
            }
            StringBuilder out = new StringBuilder(current.length());
            do {
                m.appendReplacement(out, Matcher.quoteReplacement(rule.replacement().apply(m)));
                count++;
            } while (m.find());
            m.appendTail(out);
            current = out.toString();
        }
        return new Masked(current, count);
    }
}
