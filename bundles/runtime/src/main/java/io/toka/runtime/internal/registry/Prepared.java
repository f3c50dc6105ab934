package io.toka.runtime.internal.registry;

import com.networknt.schema.JsonSchema;
import io.toka.tool.ToolDescriptor;

/**
 * A tool's descriptor with its input (and output) schema compiled, or the reason a schema could not be compiled.
 *
 * @param descriptor the descriptor
 * @param schema the compiled input schema, or {@code null} if the tool is broken
 * @param outputSchema the compiled output schema, or {@code null} if the tool declares none (or is broken)
 * @param problem why the tool cannot be called, or {@code null}
 */
record Prepared(ToolDescriptor descriptor, JsonSchema schema, JsonSchema outputSchema, String problem) {

    static Prepared of(String registeredName, ToolDescriptor descriptor, SchemaCompiler compiler) {
        if (!registeredName.equals(descriptor.name())) {
            return broken(descriptor, "tool '" + registeredName
                    + "' is misconfigured: its service property names it '" + registeredName
                    + "' but its descriptor names it '" + descriptor.name() + "'");
        }
        JsonSchema input;
        try {
            input = compiler.compile(descriptor.inputSchema());
        } catch (IllegalArgumentException e) {
            return broken(descriptor, "tool '" + registeredName + "' has an invalid input schema: " + e.getMessage());
        }
        if (descriptor.outputSchema() == null) {
            return new Prepared(descriptor, input, null, null);
        }
        try {
            return new Prepared(descriptor, input, compiler.compileOutput(descriptor.outputSchema()), null);
        } catch (IllegalArgumentException e) {
            return broken(descriptor, "tool '" + registeredName + "' has an invalid output schema: " + e.getMessage());
        }
    }

    private static Prepared broken(ToolDescriptor descriptor, String problem) {
        return new Prepared(descriptor, null, null, problem);
    }
}
