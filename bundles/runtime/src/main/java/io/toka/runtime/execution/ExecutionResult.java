package io.toka.runtime.execution;

/**
 * The outcome of one execution. A failure of the code itself (an exception, a non-zero exit, a syntax error, a
 * timeout) is a result with {@code success=false}, never an exception.
 *
 * @param id the execution's id, as listed in the history
 * @param success whether it succeeded
 * @param output the output: stdout for processes, the JSON of the result value for JavaScript and WebAssembly, the
 *     tool's output for tools
 * @param error what went wrong, or {@code null}; a syntax error names the line
 * @param exitCode the process exit code, or {@code null} where there is none
 * @param durationMs wall time in milliseconds
 * @param resourceUsage what it used, where measurable
 * @param engine the engine that ran it ({@code python}, {@code javascript}, {@code tool}, …)
 * @param engineVersion the engine's version
 */
public record ExecutionResult(String id, boolean success, String output, String error, Integer exitCode,
        long durationMs, ResourceUsage resourceUsage, String engine, String engineVersion) {

    /**
     * @param peakMemoryBytes peak memory, or -1 if not measurable
     * @param cpuTimeMs CPU time, or -1 if not measurable
     */
    public record ResourceUsage(long peakMemoryBytes, long cpuTimeMs) {
        /** Nothing measured. */
        public static final ResourceUsage UNKNOWN = new ResourceUsage(-1, -1);
    }
}
