package io.toka.health.internal;

import io.toka.health.Health;
import io.toka.runtime.registry.ToolRegistry;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** Ready once the tool registry is up: its service is there and lists the tools it tracks. */
@Component(property = {HealthCheck.NAME + "=" + RegistryCheck.NAME, HealthCheck.TAGS + "=" + Health.READY_TAG})
public final class RegistryCheck implements HealthCheck {

    static final String NAME = "tool-registry";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ToolRegistry registry;

    @Override
    public Result execute() {
        ToolRegistry r = registry;
        if (r == null) {
            return new Result(Result.Status.CRITICAL, "no tool registry service");
        }
        try {
            return new Result(Result.Status.OK, "the tool registry is up with " + r.names().size() + " tool(s)");
        } catch (RuntimeException e) {
            return new Result(Result.Status.CRITICAL, "the tool registry does not answer: " + e.getMessage());
        }
    }
}
