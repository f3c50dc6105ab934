package io.toka.engine.javascript.internal;

import org.mozilla.javascript.Context;
import org.mozilla.javascript.ContextFactory;

/**
 * The engine's own Rhino context factory; never the global one, which other bundles may configure. Every context
 * it makes is interpreted (the instruction observer sees only interpreted code), counts instructions, bounds the
 * interpreter stack and refuses every Java class.
 */
final class EngineContextFactory extends ContextFactory {

    /** Instructions between two observer calls: the granularity of the budget, deadline and interrupt checks. */
    static final int OBSERVER_THRESHOLD = 10_000;

    private final int maxStackDepth;

    EngineContextFactory(int maxStackDepth) {
        this.maxStackDepth = maxStackDepth;
        seal();
    }

    /** A context without limits, for compiling and for building the shared scope. */
    @Override
    protected Context makeContext() {
        return configure(new RunContext(this, 0, 0, false, null, 0, 0));
    }

    /** A context for one run; enter it with {@link #enterContext(Context)}. */
    RunContext runContext(long instructionLimit, long deadlineNanos, boolean hasDeadline, ThreadMeter meter,
            long allocationLimit, long outputLimit) {
        return configure(new RunContext(this, instructionLimit, deadlineNanos, hasDeadline, meter, allocationLimit,
                outputLimit));
    }

    /**
     * Enters {@code cx} on the current thread. Rhino would silently reuse a context already entered there (another
     * bundle's, say), which carries none of these settings, so that case is refused. Leave with
     * {@link Context#exit()}.
     *
     * @throws IllegalStateException if the thread is already inside a Rhino context
     */
    RunContext enter(RunContext cx) {
        Context entered = enterContext(cx);
        if (entered != cx) {
            Context.exit();
            throw new IllegalStateException("JavaScript cannot run on a thread already inside a Rhino context");
        }
        return cx;
    }

    /** Enters a context without limits, for compiling and for building the shared scope. */
    RunContext enterUnlimited() {
        return enter((RunContext) makeContext());
    }

    private RunContext configure(RunContext cx) {
        cx.setInterpretedMode(true);
        cx.setLanguageVersion(Context.VERSION_ECMASCRIPT);
        cx.setInstructionObserverThreshold(OBSERVER_THRESHOLD);
        cx.setMaximumInterpreterStackDepth(maxStackDepth);
        // No script may load or reach any Java class, ours or the JDK's.
        cx.setClassShutter(className -> false);
        return cx;
    }

    @Override
    protected boolean hasFeature(Context cx, int featureIndex) {
        switch (featureIndex) {
            case Context.FEATURE_E4X:
            case Context.FEATURE_ENHANCED_JAVA_ACCESS:
                // E4X is unneeded surface; enhanced Java access would let scripts catch Java errors, ours included.
                return false;
            default:
                return super.hasFeature(cx, featureIndex);
        }
    }

    @Override
    protected void observeInstructionCount(Context cx, int instructionCount) {
        ((RunContext) cx).observe(instructionCount);
    }
}
