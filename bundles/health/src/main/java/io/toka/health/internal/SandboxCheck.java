package io.toka.health.internal;

import io.toka.health.Health;
import io.toka.sandbox.Isolation;
import io.toka.sandbox.SandboxLauncher;
import org.apache.felix.hc.api.FormattingResultLog;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Ready once the sandbox launcher has probed the host (it does at activation) and reported what it enforces.
 * Namespaces (with or without a cgroup) pass; a degraded or absent sandbox passes with a warning (external tools then run without namespaces,
 * or are refused, as etc/io.toka.sandbox.cfg says): it is the operator's choice, not a fault of this instance.
 */
@Component(property = {HealthCheck.NAME + "=" + SandboxCheck.NAME, HealthCheck.TAGS + "=" + Health.READY_TAG})
public final class SandboxCheck implements HealthCheck {

    static final String NAME = "sandbox";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile SandboxLauncher sandbox;

    @Override
    public Result execute() {
        SandboxLauncher s = sandbox;
        if (s == null) {
            return new Result(Result.Status.CRITICAL, "no sandbox launcher: the host has not been probed");
        }
        Isolation iso = s.isolation();
        if (iso == null) {
            return new Result(Result.Status.CRITICAL, "the sandbox launcher has no probe result");
        }
        FormattingResultLog log = new FormattingResultLog();
        if (iso.level() == Isolation.Level.FULL || iso.level() == Isolation.Level.NAMESPACES) {
            log.info("sandbox probed: {} (cgroup {})", iso.level(), iso.cgroup());
        } else {
            log.warn("sandbox probed: {}: {}", iso.level(), String.join("; ", iso.notes()));
        }
        return new Result(log);
    }
}
