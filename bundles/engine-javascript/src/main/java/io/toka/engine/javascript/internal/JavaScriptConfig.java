package io.toka.engine.javascript.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the JavaScript engine ({@code etc/io.toka.engine.javascript.cfg}). */
@ObjectClassDefinition(name = "Toka JavaScript engine",
        description = "Runs trusted JavaScript in-process on Rhino (interpreted), under an instruction budget, the "
                + "call's deadline and a class shutter that refuses every Java class. Not a sandbox for hostile code.")
public @interface JavaScriptConfig {

    @AttributeDefinition(name = "Instruction limit",
            description = "Interpreter instructions one run may execute before it is stopped; 0 for none (the "
                    + "deadline still applies). Checked every 10,000. Rhino counts about 20-30 per iteration of a "
                    + "simple loop and ran about 100 million a second on the development machine, so the default "
                    + "bounds a run to roughly 5 seconds of CPU, whatever its deadline.")
    long instructionLimit() default JavaScriptEngine.DEFAULT_INSTRUCTION_LIMIT;

    @AttributeDefinition(name = "Maximum stack depth",
            description = "Nested JavaScript calls one run may make (1-100000); deeper recursion fails the run.")
    int maxStackDepth() default JavaScriptEngine.DEFAULT_STACK_DEPTH;

    @AttributeDefinition(name = "Count allocations against the memory limit",
            description = "true: stop a run once its thread has allocated more bytes than the call's memory limit, "
                    + "which bounds what one run can hold. Every allocation counts, garbage included: a plain "
                    + "numeric loop allocates about 40 bytes an iteration (about 160 MB a second), so with a 256 MB "
                    + "limit compute-heavy scripts stop after a second or two. It is checked every 10,000 "
                    + "instructions, so one instruction (say 'x'.repeat(1e9)) can overshoot. Needs "
                    + "com.sun.management. false: in-JVM JavaScript memory is bounded only by the instruction "
                    + "budget and the deadline.")
    boolean countAllocations() default false;
}
