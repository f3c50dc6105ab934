package io.toka.runtime.execution;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The one way to execute anything in Toka. Thread-safe. */
@ProviderType
public interface RuntimeManager {

    /** Code larger than this is refused: 1 MiB. */
    int MAX_CODE_BYTES = 1024 * 1024;

    /**
     * Runs one request to completion.
     *
     * @param request what to run, for whom, under which limits
     * @return the result; a failure of the code itself is a result, not an exception
     * @throws ExecutionException if the request is refused before anything runs
     * @throws io.toka.security.AccessDeniedException if the caller lacks the permission
     * @throws InterruptedException if the calling thread was interrupted
     */
    ExecutionResult execute(ExecutionRequest request) throws ExecutionException, InterruptedException;

    /**
     * The most recent executions, newest first; at most the last 1000 are kept.
     *
     * @param limit how many, 1–1000
     * @return the records
     */
    List<ExecutionRecord> history(int limit);

    /** The installed engines, by language. */
    List<EngineInfo> engines();

    /**
     * An installed engine.
     *
     * @param language the language
     * @param version the engine version
     * @param maxConcurrent its concurrency cap
     * @param running executions in progress
     * @param queued requests waiting for a slot
     */
    record EngineInfo(String language, String version, int maxConcurrent, int running, int queued) {
    }
}
