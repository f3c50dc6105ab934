package io.toka.engine.javascript.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time and allocated bytes of the current thread, where the JVM measures them. Allocation counting needs
 * HotSpot's {@code com.sun.management} extension, which an OSGi framework exports only when configured to; without
 * it {@link #allocatedBytes()} returns -1.
 */
final class ThreadMeter {

    /** Reads the HotSpot allocation counter; a separate class so that a missing com.sun.management fails softly. */
    private interface AllocationCounter {
        long currentThreadAllocatedBytes();
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final boolean cpu;
    private final AllocationCounter allocation;

    ThreadMeter() {
        cpu = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
        allocation = hotSpotCounter(threads);
    }

    private static AllocationCounter hotSpotCounter(ThreadMXBean threads) {
        try {
            return HotSpot.counter(threads);
        } catch (LinkageError e) {
            return null;
        }
    }

    /** Whether {@link #allocatedBytes()} works. */
    boolean countsAllocations() {
        return allocation != null;
    }

    /** Bytes the current thread has allocated since it started, or -1. */
    long allocatedBytes() {
        return allocation == null ? -1 : allocation.currentThreadAllocatedBytes();
    }

    /** CPU time of the current thread in nanoseconds, or -1. */
    long cpuNanos() {
        return cpu ? threads.getCurrentThreadCpuTime() : -1;
    }

    private static final class HotSpot {
        static AllocationCounter counter(ThreadMXBean threads) {
            if (threads instanceof com.sun.management.ThreadMXBean hotSpot
                    && hotSpot.isThreadAllocatedMemorySupported() && hotSpot.isThreadAllocatedMemoryEnabled()) {
                return hotSpot::getCurrentThreadAllocatedBytes;
            }
            return null;
        }
    }
}
