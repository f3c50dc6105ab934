package io.toka.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArgumentParserTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "path": {"type": "string"},
                "code": {"type": "string"},
                "flag": {"type": "boolean"},
                "count": {"type": "integer"},
                "ratio": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "options": {"type": "object"},
                "either": {"type": ["boolean", "string"]},
                "size": {"type": ["integer", "null"]},
                "untyped": {"description": "no type"}
              }
            }""";

    private static Map<String, Object> pairs(String... pairs) {
        return ArgumentParser.parsePairs(MAPPER, SCHEMA, Arrays.asList(pairs));
    }

    @Test
    void convertsValuesToTheSchemaTypes() {
        Map<String, Object> args = pairs("flag=true", "count=42", "ratio=0.25", "tags=[\"a\",\"b\"]",
                "options={\"depth\":2,\"deep\":{\"x\":true}}");

        assertThat(args).containsExactly(
                Map.entry("flag", true),
                Map.entry("count", 42L),
                Map.entry("ratio", 0.25),
                Map.entry("tags", List.of("a", "b")),
                Map.entry("options", Map.of("depth", 2, "deep", Map.of("x", true))));
        assertThat(pairs("flag=false").get("flag")).isEqualTo(false);
        assertThat(pairs("count=-7").get("count")).isEqualTo(-7L);
        assertThat(pairs("ratio=3").get("ratio")).isEqualTo(3.0);
    }

    @Test
    void stringsStayStrings() {
        Map<String, Object> args = pairs("path=007", "code=true", "untyped=42", "unknown=[1]", "either=true");

        assertThat(args).containsExactly(
                Map.entry("path", "007"),
                Map.entry("code", "true"),
                Map.entry("untyped", "42"),
                Map.entry("unknown", "[1]"),
                Map.entry("either", "true"));
    }

    @Test
    void onlyTheFirstEqualsSignSeparatesKeyAndValue() {
        assertThat(pairs("path=a=b.txt", "code=")).containsExactly(Map.entry("path", "a=b.txt"), Map.entry("code", ""));
    }

    @Test
    void aNullableIntegerAcceptsNullAndNumbers() {
        assertThat(pairs("size=12").get("size")).isEqualTo(12L);
        assertThat(pairs("size=null")).containsEntry("size", null);
    }

    @Test
    void keepsTheOrderGiven() {
        assertThat(pairs("ratio=1", "path=x", "count=1").keySet()).containsExactly("ratio", "path", "count");
    }

    @Test
    void noPairsIsAnEmptyObject() {
        assertThat(pairs()).isEmpty();
    }

    @Test
    void aMalformedPairIsRefusedNamingIt() {
        assertThatThrownBy(() -> pairs("path=x", "foo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 'foo' must look like key=value");
        assertThatThrownBy(() -> pairs("=value"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument '=value' must look like key=value");
    }

    @Test
    void aDuplicateKeyIsRefused() {
        assertThatThrownBy(() -> pairs("path=a", "count=1", "path=b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 'path' is given twice");
    }

    @Test
    void aValueOfTheWrongTypeIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> pairs("count=many"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 'count' must be integer, not 'many'");
        assertThatThrownBy(() -> pairs("count=1.5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("argument 'count'");
        assertThatThrownBy(() -> pairs("flag=yes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 'flag' must be boolean, not 'yes'");
        assertThatThrownBy(() -> pairs("ratio=half"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("argument 'ratio'").hasMessageContaining("number");
        assertThatThrownBy(() -> pairs("tags=[oops"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("argument 'tags' must be JSON");
    }

    @Test
    void anUnreadableSchemaLeavesEveryValueAString() {
        assertThat(ArgumentParser.parsePairs(MAPPER, "{not json", List.of("count=1", "flag=true")))
                .containsExactly(Map.entry("count", "1"), Map.entry("flag", "true"));
    }

    @Test
    void parsesAJsonObject() {
        assertThat(ArgumentParser.parseJson(MAPPER, "{\"path\":\"README.md\",\"n\":3,\"tags\":[\"x\"],\"o\":{\"b\":false}}"))
                .containsExactly(
                        Map.entry("path", "README.md"),
                        Map.entry("n", 3),
                        Map.entry("tags", List.of("x")),
                        Map.entry("o", Map.of("b", false)));
        assertThat(ArgumentParser.parseJson(MAPPER, "{}")).isEmpty();
    }

    @Test
    void refusesJsonThatIsNotAnObject() {
        for (String notAnObject : List.of("[1,2]", "42", "\"path\"", "null", "", "   ")) {
            assertThatThrownBy(() -> ArgumentParser.parseJson(MAPPER, notAnObject))
                    .as("--json %s", notAnObject)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--json must be a JSON object");
        }
    }

    @Test
    void refusesInvalidJson() {
        assertThatThrownBy(() -> ArgumentParser.parseJson(MAPPER, "{\"path\": "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--json is not valid JSON: ");
        assertThatThrownBy(() -> ArgumentParser.parseJson(MAPPER, "{path: x}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--json is not valid JSON: ");
    }
}
