package io.toka.tools.nativ.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.toka.tool.Tool;
import io.toka.tool.ToolResult;
import java.util.Set;

/**
 * Checks a tool's result against the output schema its descriptor declares, as the registry does for every
 * successful call (a mismatch would turn the success into a failure).
 */
final class OutputSchemas {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final JsonSchema META = FACTORY.getSchema(SchemaLocation.of(SchemaId.V202012));

    private OutputSchemas() {
    }

    /** Asserts the tool declares a title and an object output schema, and the result's structured value fits it. */
    static void assertMatches(Tool tool, ToolResult result) throws Exception {
        assertThat(tool.descriptor().title()).as("title").isNotBlank();
        String text = tool.descriptor().outputSchema();
        assertThat(text).as("output schema").isNotNull();
        assertThat(JSON.readTree(text).path("type").asText()).isEqualTo("object");
        assertThat(META.validate(JSON.readTree(text))).as("the output schema is valid JSON Schema 2020-12").isEmpty();
        JsonSchema schema = FACTORY.getSchema(text);
        assertThat(result.structured()).as("structured value").isNotNull();
        Set<ValidationMessage> errors = schema.validate(JSON.valueToTree(result.structured()));
        assertThat(errors).as("%s against the output schema of %s", result.structured(), tool.descriptor().name())
                .isEmpty();
    }
}
