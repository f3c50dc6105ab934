package io.toka.health.internal;

import io.toka.health.Health;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.apache.felix.hc.api.execution.HealthCheckExecutionOptions;
import org.apache.felix.hc.api.execution.HealthCheckExecutionResult;
import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.apache.felix.hc.api.execution.HealthCheckSelector;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link Health} through the Felix Health Check executor: it runs the checks of a tag in parallel, each under the
 * executor's timeout, and caches results briefly (probes every few seconds cost little). A check counts as up when
 * Felix says OK or WARN. Toka's own checks must take part: one that did not run (its component is missing) is
 * reported down, so readiness can never pass merely because its checks are gone.
 */
@Component(service = Health.class)
public final class HealthService implements Health {

    /** The checks of this bundle that must answer for each tag. */
    static final Set<String> REQUIRED_READY = Set.of(EventStoreCheck.NAME, SandboxCheck.NAME, RegistryCheck.NAME);
    static final Set<String> REQUIRED_LIVE = Set.of(DeadlockCheck.NAME);

    private final HealthCheckExecutor executor;

    @Activate
    public HealthService(@Reference HealthCheckExecutor executor) {
        this.executor = executor;
    }

    @Override
    public Report live() {
        return run(LIVE_TAG, REQUIRED_LIVE);
    }

    @Override
    public Report ready() {
        return run(READY_TAG, REQUIRED_READY);
    }

    private Report run(String tag, Set<String> required) {
        List<HealthCheckExecutionResult> results = executor.execute(HealthCheckSelector.tags(tag),
                new HealthCheckExecutionOptions());
        TreeMap<String, Check> checks = new TreeMap<>();
        for (HealthCheckExecutionResult r : results) {
            Check c = check(r);
            // two checks of one name: the worse one stands
            checks.merge(c.name(), c, (a, b) -> a.status() == Status.DOWN ? a : b);
        }
        for (String name : required) {
            checks.computeIfAbsent(name, n -> new Check(n, Status.DOWN, false,
                    "the check did not run: the health bundle's component for it is not active"));
        }
        List<Check> list = new ArrayList<>(checks.values());
        list.sort(Comparator.comparing(Check::name));
        boolean up = list.stream().allMatch(c -> c.status() == Status.UP);
        return new Report(up ? Status.UP : Status.DOWN, list);
    }

    static Check check(HealthCheckExecutionResult r) {
        String name = r.getHealthCheckMetadata().getName();
        if (name == null || name.isBlank()) {
            name = "check-" + r.getHealthCheckMetadata().getServiceId();
        }
        Result result = r.getHealthCheckResult();
        if (r.hasTimedOut()) {
            return new Check(name, Status.DOWN, false, "the check timed out after " + r.getElapsedTimeInMs() + " ms");
        }
        Result.Status s = result.getStatus();
        boolean up = s == Result.Status.OK || s == Result.Status.WARN;
        return new Check(name, up ? Status.UP : Status.DOWN, s == Result.Status.WARN, message(result));
    }

    /** The messages of the result's most severe entries (debug entries left out). */
    static String message(Result result) {
        Result.Status worst = Result.Status.OK;
        for (ResultLog.Entry e : result) {
            if (!e.isDebug() && e.getStatus().ordinal() > worst.ordinal()) {
                worst = e.getStatus();
            }
        }
        List<String> parts = new ArrayList<>();
        for (ResultLog.Entry e : result) {
            if (!e.isDebug() && e.getStatus() == worst) {
                parts.add(e.getMessage());
            }
        }
        return String.join("; ", parts);
    }
}
