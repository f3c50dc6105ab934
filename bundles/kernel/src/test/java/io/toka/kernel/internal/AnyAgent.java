package io.toka.kernel.internal;

import io.toka.event.Event;
import io.toka.kernel.AgentRuntime;
import io.toka.kernel.InvalidOperationException;
import io.toka.kernel.Operation;
import io.toka.security.SecurityContext;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** An agent runtime for kernel tests: admits every agent except the ones named unknown, and records what it saw. */
final class AnyAgent implements AgentRuntime {

    final List<Operation> admitted = new CopyOnWriteArrayList<>();
    final List<Event> recorded = new CopyOnWriteArrayList<>();
    final List<Operation> abandoned = new CopyOnWriteArrayList<>();
    /** What the kernel's queue held for the agent when each task's admission was told it was recorded. */
    final List<Integer> queuedAtRecord = new CopyOnWriteArrayList<>();
    volatile Set<String> unknown = Set.of();
    volatile KernelImpl kernel;

    @Override
    public Admission admit(Operation operation, SecurityContext caller) throws InvalidOperationException {
        if (unknown.contains(operation.agent())) {
            throw new InvalidOperationException("unknown agent '" + operation.agent() + "'");
        }
        admitted.add(operation);
        return new Admission() {
            @Override
            public void recorded(Event event) {
                recorded.add(event);
                if (kernel != null && operation instanceof Operation.ScheduleAgentTask s) {
                    queuedAtRecord.add(kernel.queuedTasks(s.agent()));
                }
            }

            @Override
            public void abandoned() {
                abandoned.add(operation);
            }
        };
    }
}
