package io.toka.tools.external.internal;

import io.toka.sandbox.SandboxLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A valid manifest, with every path resolved and every default applied.
 *
 * @param file the manifest file, absolute
 * @param name the tool name
 * @param nameField where the name was written ({@code metadata.name} or {@code name}), for error messages
 * @param version the tool version
 * @param description the description
 * @param category the category, or {@code null}
 * @param type how the executable is run
 * @param executable the script or program, absolute, a regular file
 * @param interpreter the interpreter, absolute; {@code null} for {@link Type#EXTERNAL}
 * @param workingDirectory the directory the program starts in, or {@code null} for the sandbox's private one
 * @param arguments how arguments are passed
 * @param permissions the permissions a caller must hold (from {@code capabilities.required})
 * @param optionalCapabilities {@code capabilities.optional}, listed only
 * @param limits the sandbox limits
 * @param allowNetwork whether the program may use the network
 * @param networkRestrictions {@code network_restrictions}, listed only: the sandbox grants all or nothing
 * @param readOnlyPaths host paths the program may read (the script and working directory included)
 * @param writablePaths host paths the program may write
 * @param parameters the parameters, in order
 * @param inputSchema the JSON Schema of the arguments
 * @param hotSwappable {@code hot_swappable}, listed only: every manifest tool is swapped without a failed call
 * @param parallelSafe {@code false} serialises calls
 * @param title a short display name, or {@code null}
 * @param outputSchema the JSON Schema (as JSON text) of the JSON object the program prints on success, or
 *     {@code null} when its output is plain text
 */
record Manifest(Path file, String name, String nameField, String version, String description, String category,
        Type type, Path executable, Path interpreter, Path workingDirectory, ArgumentMode arguments,
        Set<String> permissions, List<String> optionalCapabilities, SandboxLimits limits, boolean allowNetwork,
        List<String> networkRestrictions, List<Path> readOnlyPaths, List<Path> writablePaths,
        List<Parameter> parameters, String inputSchema, boolean hotSwappable, boolean parallelSafe, String title,
        String outputSchema) {

    /** Added to the sandbox timeout for the descriptor's timeout, so the sandbox reports a timeout first. */
    static final Duration TIMEOUT_MARGIN = Duration.ofSeconds(2);

    /** How the executable is run. */
    enum Type {
        /** {@code interpreter script args...}, interpreter {@code /bin/bash} by default. */
        SHELL,
        /** {@code interpreter script args...}, interpreter {@code /usr/bin/python3} by default. */
        PYTHON,
        /** {@code program args...}: the file itself must be executable. */
        EXTERNAL
    }

    /** How a call's arguments reach the program. */
    enum ArgumentMode {
        /** {@code --name value} pairs in parameter order. */
        ARGV,
        /** The arguments object as JSON on standard input. */
        JSON
    }

    /**
     * One declared parameter.
     *
     * @param name the argument name
     * @param type {@code string}, {@code integer}, {@code number}, {@code boolean}, {@code enum}, {@code array} or
     *     {@code object}
     * @param description the description, possibly empty
     * @param required whether the argument must be given
     * @param defaultValue the default as a JSON-compatible value, or {@code null}
     * @param values the allowed values of an {@code enum}; empty otherwise
     */
    record Parameter(String name, String type, String description, boolean required, Object defaultValue,
            List<Object> values) {
    }

    /** @return the program run for each call: the interpreter, or the executable itself */
    Path program() {
        return interpreter != null ? interpreter : executable;
    }

    /** @return the descriptor timeout: the sandbox timeout plus {@link #TIMEOUT_MARGIN} */
    Duration toolTimeout() {
        return limits.timeout().plus(TIMEOUT_MARGIN);
    }
}
