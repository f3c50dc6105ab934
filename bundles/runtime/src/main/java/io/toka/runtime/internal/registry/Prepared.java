package io.toka.runtime.internal.registry;

import com.networknt.schema.JsonSchema;
import io.toka.tool.ToolDescriptor;

/**
 * A tool's descriptor with its input schema compiled, or the reason the schema could not be compiled.
 *
 * @param descriptor the descriptor
 * @param schema the compiled schema, or {@code null} if it is broken
 * @param problem why the tool cannot be called, or {@code null}
 */
record Prepared(ToolDescriptor descriptor, JsonSchema schema, String problem) {

    static Prepared of(String registeredName, ToolDescriptor descriptor, SchemaCompiler compiler) {
        if (!registeredName.equals(descriptor.name())) {
            return new Prepared(descriptor, null, "tool '" + registeredName
                    + "' is misconfigured: its service property names it '" + registeredName
                    + "' but its descriptor names it '" + descriptor.name() + "'");
        }
        try {
            return new Prepared(descriptor, compiler.compile(descriptor.inputSchema()), null);
        } catch (IllegalArgumentException e) {
            return new Prepared(descriptor, null,
                    "tool '" + registeredName + "' has an invalid input schema: " + e.getMessage());
        }
    }
}
