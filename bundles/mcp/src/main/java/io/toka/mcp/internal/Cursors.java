package io.toka.mcp.internal;

import io.toka.tool.ToolDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque pagination cursors of list results: the name of the last item of the page, so that a list that
 * changes between pages neither repeats nor skips what stayed. Base64url of {@code toka1:<name>}.
 */
final class Cursors {

    private static final String PREFIX = "toka1:";

    private Cursors() {
    }

    static String after(String name) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((PREFIX + name).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @return the name the cursor continues after
     * @throws RpcException -32602 for a cursor this server did not make
     */
    static String name(String cursor) throws RpcException {
        String text;
        try {
            text = cursor.length() > 200 ? "" : new String(Base64.getUrlDecoder().decode(cursor),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            text = "";
        }
        if (!text.startsWith(PREFIX) || !ToolDescriptor.isValidName(text.substring(PREFIX.length()))) {
            throw RpcException.invalidParams("Invalid params: \"cursor\" is not a cursor this server gave out; "
                    + "list again without one");
        }
        return text.substring(PREFIX.length());
    }
}
