package io.toka.runtime.internal.execution;

import io.toka.runtime.execution.ExecutionEngine;
import io.toka.runtime.execution.ExecutionResult.ResourceUsage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An engine for manager tests: prepares by counting (and by running {@link #onPrepare}) and runs {@link #onRun};
 * by default it answers {@code <prepared>:<inputs>}. Records every call it receives.
 */
final class TestEngine implements ExecutionEngine {

    @FunctionalInterface
    interface Runner {
        EngineResult run(Object prepared, Call call) throws CodeException, InterruptedException;
    }

    @FunctionalInterface
    interface Preparer {
        Object prepare(String code) throws CodeException;
    }

    final String language;
    final String version;
    final AtomicInteger prepares = new AtomicInteger();
    final List<String> prepared = new CopyOnWriteArrayList<>();
    final List<Call> calls = new CopyOnWriteArrayList<>();
    volatile Preparer onPrepare = code -> "prepared(" + code + ")";
    volatile Runner onRun = (p, call) -> new EngineResult(true, p + ":" + call.inputs(), null, 0,
            new ResourceUsage(1234, 5));

    TestEngine(String language, String version) {
        this.language = language;
        this.version = version;
    }

    TestEngine running(Runner runner) {
        this.onRun = runner;
        return this;
    }

    TestEngine preparing(Preparer preparer) {
        this.onPrepare = preparer;
        return this;
    }

    @Override
    public String language() {
        return language;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Object prepare(String code) throws CodeException {
        prepares.incrementAndGet();
        prepared.add(code);
        return onPrepare.prepare(code);
    }

    @Override
    public EngineResult run(Object prepared, Call call) throws CodeException, InterruptedException {
        calls.add(call);
        return onRun.run(prepared, call);
    }
}
