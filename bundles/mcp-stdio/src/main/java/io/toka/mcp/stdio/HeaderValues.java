package io.toka.mcp.stdio;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Encoding of values mirrored from a message into HTTP headers ({@code Mcp-Name}, {@code Mcp-Param-*}), as the
 * 2026-07-28 Streamable HTTP transport specifies: plain when the value is visible ASCII, space or tab without
 * surrounding white space, otherwise {@code =?base64?<UTF-8 in Base64>?=}. A plain value that looks like that
 * sentinel is encoded too, so that it cannot be mistaken for one.
 */
final class HeaderValues {

    private HeaderValues() {
    }

    /**
     * @param value the value from the message
     * @return the header value
     */
    static String encode(String value) {
        return isPlain(value) ? value
                : "=?base64?" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "?=";
    }

    static boolean isPlain(String value) {
        if (value.isEmpty()) {
            return true;
        }
        if (value.startsWith("=?base64?") && value.endsWith("?=")) {
            return false;
        }
        char first = value.charAt(0);
        char last = value.charAt(value.length() - 1);
        if (first == ' ' || first == '\t' || last == ' ' || last == '\t') {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c == '\t' || (c >= 0x20 && c <= 0x7e))) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param name a header name (part)
     * @return whether it is an RFC 9110 token (1*tchar)
     */
    static boolean isToken(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param value a value a server set, such as a session id
     * @return whether it is visible ASCII only (0x21-0x7E), as the transport requires of session ids
     */
    static boolean isVisibleAscii(String value) {
        return !value.isEmpty() && value.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
    }
}
