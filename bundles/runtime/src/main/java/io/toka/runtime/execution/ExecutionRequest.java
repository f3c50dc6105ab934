package io.toka.runtime.execution;

import io.toka.security.SecurityContext;
import java.util.Objects;

/**
 * One execution.
 *
 * @param model what to run
 * @param caller who asks: the token's security context; code needs {@code code:execute:<language>}, a tool call
 *     {@code tool:invoke:<name>} and the tool's own permissions
 * @param limits optional limits
 */
public record ExecutionRequest(ExecutionModel model, SecurityContext caller, ExecutionLimits limits) {

    public ExecutionRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(caller, "caller");
        limits = limits == null ? ExecutionLimits.DEFAULT : limits;
    }
}
