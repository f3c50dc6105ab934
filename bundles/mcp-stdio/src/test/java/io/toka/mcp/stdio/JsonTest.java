package io.toka.mcp.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void roundTripsOnOneLineKeepingNumbersAndOrderAsWritten() throws Exception {
        String text = "{\n  \"b\": 1e3, \"a\": [1.50, -0, true, null],\n  \"s\": \"line\\nbreak \\u00e9 \\ud83d\\ude00\"\n}";
        String out = Json.write(Json.parse(text));
        assertThat(out).isEqualTo("{\"b\":1e3,\"a\":[1.50,-0,true,null],\"s\":\"line\\nbreak \u00e9 \\uD83D\\uDE00\"}");
        assertThat(Json.parse(out)).isEqualTo(Json.parse(text));
        assertThat(out).doesNotContain("\n");
    }

    @Test
    void escapesEveryControlCharacterAndLoneSurrogates() throws Exception {
        String s = "\u0000\u001f\r\t\u2028\ud800x";
        String out = Json.write(s);
        assertThat(out).isEqualTo("\"\\u0000\\u001F\\r\\t\\u2028\\uD800x\"");
        assertThat(Json.parse(out)).isEqualTo(s);
    }

    @Test
    void refusesWhatIsNotOneJsonValue() {
        for (String bad : List.of("", "{", "{\"a\":}", "[1,]", "01", "1.", "\"a\nb\"", "{} {}", "tru", "\"\\x\"",
                "{'a':1}", "[1 2]", "-", "1e")) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(Json.JsonException.class);
        }
    }

    @Test
    void refusesNestingDeepEnoughToOverflowTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(Json.JsonException.class).hasMessageContaining("nested");
    }

    @Test
    void idsCompareByValue() throws Exception {
        assertThat(JsonRpc.idKey(Json.parse("1"))).isEqualTo(JsonRpc.idKey(Json.parse("1.0")));
        assertThat(JsonRpc.idKey(Json.parse("1"))).isNotEqualTo(JsonRpc.idKey("1"));
        assertThat(JsonRpc.isResponseTo(Map.of("id", new Json.Num("7"), "result", Map.of()), new Json.Num("7")))
                .isTrue();
        assertThat(JsonRpc.isResponseTo(Map.of("id", "7", "result", Map.of()), new Json.Num("7"))).isFalse();
    }
}
