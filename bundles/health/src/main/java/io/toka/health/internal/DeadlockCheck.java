package io.toka.health.internal;

import io.toka.health.Health;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Component;

/**
 * Live unless threads are deadlocked on monitors or locks: such a process cannot recover by itself, so liveness
 * fails and an orchestrator restarts it. (A slow dependency is not a liveness failure: readiness covers it.)
 */
@Component(property = {HealthCheck.NAME + "=" + DeadlockCheck.NAME, HealthCheck.TAGS + "=" + Health.LIVE_TAG})
public final class DeadlockCheck implements HealthCheck {

    static final String NAME = "deadlocks";

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    @Override
    public Result execute() {
        long[] ids = threads.findDeadlockedThreads();
        if (ids == null || ids.length == 0) {
            return new Result(Result.Status.OK, "no deadlocked threads");
        }
        String names = Arrays.stream(threads.getThreadInfo(ids)).filter(t -> t != null).map(ThreadInfo::getThreadName)
                .limit(10).collect(Collectors.joining(", "));
        return new Result(Result.Status.CRITICAL, ids.length + " thread(s) deadlocked: " + names);
    }
}
