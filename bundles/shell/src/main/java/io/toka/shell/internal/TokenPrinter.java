package io.toka.shell.internal;

import io.toka.security.IssuedToken;
import io.toka.security.TokenClaims;
import java.io.PrintStream;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Shared by the token commands: printing tokens and reading durations such as {@code 90s}, {@code 15m}, {@code 2h}. */
final class TokenPrinter {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)?");

    private TokenPrinter() {
    }

    static void print(PrintStream out, IssuedToken t, boolean quiet) {
        if (quiet) {
            out.println(t.token());
            return;
        }
        TokenClaims c = t.claims();
        out.println("Token:        " + t.token());
        out.println("Id (jti):     " + c.jti());
        out.println("Subject:      " + c.subject());
        out.println("Vault:        " + c.vault());
        out.println("Permissions:  " + String.join(", ", c.permissions()));
        out.println("Expires:      " + c.expiresAt());
        if (!c.chain().isEmpty()) {
            out.println("Delegated:    from " + c.parent() + " (depth " + c.depth() + ")");
        }
        if (!c.restrictions().isEmpty()) {
            out.println("Restrictions: " + c.restrictions());
        }
    }

    /**
     * @param text e.g. {@code 3600}, {@code 90s}, {@code 15m}, {@code 2h}
     * @return the duration, or {@code null} for {@code null}
     */
    static Duration duration(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration such as 3600, 90s, 15m or 2h");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
