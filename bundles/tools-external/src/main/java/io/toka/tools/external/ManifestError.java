package io.toka.tools.external;

import java.time.Instant;
import java.util.Objects;

/**
 * Why a manifest file was not loaded. An invalid manifest never reaches the registry; the error stays listed
 * until the file is fixed or removed.
 *
 * @param file the manifest file, as an absolute path
 * @param field the offending field as a dotted path (e.g. {@code spec.sandbox.memory_limit},
 *     {@code spec.parameters[2].type}), or {@code "(file)"} when the file as a whole is unreadable
 * @param problem what is wrong, in one sentence
 * @param at when the file was last read
 */
public record ManifestError(String file, String field, String problem, Instant at) {

    public ManifestError {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(at, "at");
    }

    /** {@code file: field: problem}. */
    @Override
    public String toString() {
        return file + ": " + field + ": " + problem;
    }
}
