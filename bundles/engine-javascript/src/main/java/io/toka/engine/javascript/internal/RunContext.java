package io.toka.engine.javascript.internal;

import org.mozilla.javascript.Context;
import org.mozilla.javascript.ContextFactory;

/**
 * A Rhino context for one run: its limits, its instruction count and its printed output. Confined to the thread
 * that runs the script; a new one is made for every run.
 */
final class RunContext extends Context {

    /** Why a run was stopped from the instruction observer. */
    enum Reason { INSTRUCTIONS, TIMEOUT, ALLOCATION, INTERRUPTED }

    /**
     * Thrown from the instruction observer to end a run. An {@link Error}, because Rhino's interpreter runs no
     * JavaScript {@code catch} or {@code finally} block for an Error raised by instruction counting, so the script
     * cannot swallow it.
     */
    static final class Stop extends Error {
        private static final long serialVersionUID = 1L;
        final Reason reason;

        Stop(Reason reason) {
            super(reason.name(), null, false, false);
            this.reason = reason;
        }
    }

    private final long instructionLimit;
    private final long deadlineNanos;
    private final boolean hasDeadline;
    private final ThreadMeter meter;
    private final long allocationLimit;
    private final long allocationStart;
    private final long outputLimit;
    private final StringBuilder printed = new StringBuilder();
    private long printedBytes;
    private boolean truncated;
    private long instructions;

    /**
     * @param factory the engine's factory
     * @param instructionLimit instructions allowed, or 0 for no limit
     * @param deadlineNanos the {@link System#nanoTime()} at which to stop
     * @param hasDeadline whether {@code deadlineNanos} applies
     * @param meter the allocation counter, or {@code null} not to count allocations
     * @param allocationLimit bytes the thread may allocate during the run (used only with a meter)
     * @param outputLimit bytes of printed output kept
     */
    RunContext(ContextFactory factory, long instructionLimit, long deadlineNanos, boolean hasDeadline,
            ThreadMeter meter, long allocationLimit, long outputLimit) {
        super(factory);
        this.instructionLimit = instructionLimit;
        this.deadlineNanos = deadlineNanos;
        this.hasDeadline = hasDeadline;
        this.meter = meter;
        this.allocationLimit = allocationLimit;
        this.allocationStart = meter == null ? 0 : meter.allocatedBytes();
        this.outputLimit = outputLimit;
    }

    /** Called by the factory's instruction observer, on the running thread. */
    void observe(int count) {
        instructions += count;
        if (Thread.interrupted()) {
            throw new Stop(Reason.INTERRUPTED);
        }
        if (instructionLimit > 0 && instructions > instructionLimit) {
            throw new Stop(Reason.INSTRUCTIONS);
        }
        if (hasDeadline && System.nanoTime() - deadlineNanos >= 0) {
            throw new Stop(Reason.TIMEOUT);
        }
        if (meter != null && meter.allocatedBytes() - allocationStart > allocationLimit) {
            throw new Stop(Reason.ALLOCATION);
        }
    }

    /** Whether the deadline has passed. */
    boolean pastDeadline() {
        return hasDeadline && System.nanoTime() - deadlineNanos >= 0;
    }

    /** Instructions counted so far (in steps of the observer threshold). */
    long instructions() {
        return instructions;
    }

    /** Appends one printed line; lines past the output limit are dropped and the output marked truncated. */
    void print(String line) {
        if (truncated) {
            return;
        }
        long bytes = Utf8.length(line) + 1;
        if (printedBytes + bytes > outputLimit) {
            truncated = true;
            return;
        }
        printed.append(line).append('\n');
        printedBytes += bytes;
    }

    /** Bytes printed and kept. */
    long printedBytes() {
        return printedBytes;
    }

    /** What was printed, with a closing note when lines were dropped. */
    String printed() {
        return truncated ? printed + "[output truncated: more than " + outputLimit + " bytes]\n" : printed.toString();
    }
}
