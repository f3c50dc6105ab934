package io.toka.mcp.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamHeadersTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ParamHeaders headers = new ParamHeaders(new Log(err, false));

    @Test
    void nestedPropertiesAreMirroredAndEncoded() throws Exception {
        headers.learn(Json.object(Json.parse("""
                {"tools":[{"name":"t","inputSchema":{"type":"object","properties":{
                  "region":{"type":"string","x-mcp-header":"Region"},
                  "opts":{"type":"object","properties":{"n":{"type":"integer","x-mcp-header":"N"},
                                                        "dry":{"type":"boolean","x-mcp-header":"Dry"}}}}}}]}""")));
        Map<String, String> h = headers.headers("t", Json.parse("""
                {"region":" padded ","opts":{"n":42,"dry":false}}"""));
        assertThat(h).containsEntry("Mcp-Param-Region", "=?base64?IHBhZGRlZCA=?=")
                .containsEntry("Mcp-Param-N", "42").containsEntry("Mcp-Param-Dry", "false");
        assertThat(headers.headers("t", Json.parse("{\"region\":null}"))).as("absent or null: no header").isEmpty();
        assertThat(headers.headers("other", Json.parse("{\"region\":\"x\"}"))).isEmpty();
    }

    @Test
    void toolsWithInvalidAnnotationsAreLeftOut() throws Exception {
        Map<String, Object> result = Json.object(Json.parse("""
                {"tools":[
                  {"name":"ok","inputSchema":{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"A"}}}},
                  {"name":"in-array","inputSchema":{"type":"object","properties":{"l":{"type":"array",
                     "items":{"type":"string","x-mcp-header":"L"}}}}},
                  {"name":"in-oneof","inputSchema":{"oneOf":[{"type":"object","properties":{
                     "a":{"type":"string","x-mcp-header":"A"}}}]}},
                  {"name":"twice","inputSchema":{"type":"object","properties":{
                     "a":{"type":"string","x-mcp-header":"X"},"b":{"type":"string","x-mcp-header":"x"}}}},
                  {"name":"bad-name","inputSchema":{"type":"object","properties":{"a":{"type":"string",
                     "x-mcp-header":"A B"}}}},
                  {"name":"number","inputSchema":{"type":"object","properties":{"a":{"type":"number",
                     "x-mcp-header":"A"}}}},
                  {"name":"data-only","inputSchema":{"type":"object","properties":{"a":{"type":"object",
                     "default":{"x-mcp-header":"not a schema"}}}}}
                ]}"""));
        headers.learn(result);
        List<?> tools = (List<?>) result.get("tools");
        assertThat(tools).extracting(t -> Json.string(t, "name")).containsExactly("ok", "data-only");
        assertThat(err.toString()).contains("in-array").contains("in-oneof").contains("used twice")
                .contains("not a valid header name").contains("not string, integer or boolean");
    }

    @Test
    void headerValuesAreEncodedOnlyWhenTheyMustBe() {
        assertThat(HeaderValues.encode("us-west1")).isEqualTo("us-west1");
        assertThat(HeaderValues.encode("Hello, \u4e16\u754c")).isEqualTo("=?base64?SGVsbG8sIOS4lueVjA==?=");
        assertThat(HeaderValues.encode("line1\nline2")).isEqualTo("=?base64?bGluZTEKbGluZTI=?=");
        assertThat(HeaderValues.encode("=?base64?literal?=")).isEqualTo("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
    }
}
