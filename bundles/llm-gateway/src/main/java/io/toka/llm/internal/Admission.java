package io.toka.llm.internal;

import io.toka.llm.LlmException;
import io.toka.llm.LlmGateway;
import io.toka.llm.LlmRequest;

/** Lets model calls through to the provider, a bounded number at once. Thread-safe. */
interface Admission {

    /**
     * Waits for a slot of the provider. The caller must {@link Slot#release() release} it when its call ends, however
     * it ends.
     *
     * @param agent who asks
     * @param priority the agent's priority
     * @return the slot
     * @throws InterruptedException if the thread is interrupted before or while it waits: the call has left the queue
     *     and holds no slot
     * @throws LlmException CONFIGURATION once the admission is {@link #close() closed}
     */
    Slot enter(String agent, LlmRequest.Priority priority) throws InterruptedException, LlmException;

    /** The queue as it is now. */
    LlmGateway.QueueStats stats(String provider);

    /** Refuses every later call and wakes every queued one with a CONFIGURATION error. Calling it twice is harmless. */
    void close();

    /** A slot held by one call. */
    interface Slot {
        /** How long the call queued for the slot, in nanoseconds. */
        long waitNanos();

        /** Gives the slot back; only the first call counts. */
        void release();
    }
}
