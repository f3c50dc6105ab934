#!/usr/bin/env bash
# Runs every Jazzer fuzz target (the @FuzzTest methods listed below) in fuzzing mode for a fixed time each, starting
# from its committed corpus (src/test/resources/<package>/<Class>Inputs/<method>/), and prints the executions and
# findings per target. Exit status 1 if any target found a crash, a timeout or an out-of-memory.
#
#   bench/scripts/fuzz.sh [seconds per target] [regex on "module class#method"]
#   bench/scripts/fuzz.sh 10                 # what CI runs (.ci/run): about 5 minutes for 15 targets
#   bench/scripts/fuzz.sh 600 TokenVerifier  # a long run of one class
#
# A crash leaves its input in target/fuzz/<target>/crash-*: keep it as a regression input by copying it into the
# target's Inputs directory, with the fix, in one commit. In every `mvn test` the Inputs run as plain JUnit tests.
# The generated corpus stays in <module>/target/fuzz/<target>/corpus, so repeated runs build on each other.
# Environment: FUZZ_TIMEOUT (seconds one input may take, default 2: the 1 s bound plus room for a loaded runner), FUZZ_XMX (heap, default 768m), FUZZ_REACTOR
# (default -am: build the upstream modules in the same reactor; empty takes them from the local repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
per_target=${1:-15}
filter=${2:-.}
timeout_s=${FUZZ_TIMEOUT:-2}
xmx=${FUZZ_XMX:-768m}
reactor=${FUZZ_REACTOR--am}

# module  class  method
targets=(
  "bundles/shell io.toka.shell.internal.ArgumentParserFuzzTest pairs"
  "bundles/shell io.toka.shell.internal.ArgumentParserFuzzTest json"
  "bundles/security io.toka.security.internal.TokenVerifierFuzzTest unsigned"
  "bundles/security io.toka.security.internal.TokenVerifierFuzzTest signed"
  "bundles/runtime io.toka.runtime.internal.registry.SchemaFuzzTest compile"
  "bundles/runtime io.toka.runtime.internal.registry.SchemaFuzzTest arguments"
  "bundles/tools-external io.toka.tools.external.internal.ManifestFuzzTest yaml"
  "bundles/orchestration io.toka.orchestration.internal.config.AgentConfigFuzzTest yaml"
  "bundles/mcp io.toka.mcp.internal.McpMessageFuzzTest post"
  "bundles/http io.toka.http.internal.HttpBodyFuzzTest toolInvoke"
  "bundles/http io.toka.http.internal.HttpBodyFuzzTest tokens"
  "bundles/http io.toka.http.internal.HttpBodyFuzzTest kernelSubmit"
  "bundles/http io.toka.http.internal.HttpBodyFuzzTest executions"
  "bundles/http io.toka.http.internal.HttpBodyFuzzTest agents"
  "bundles/http io.toka.http.internal.HttpBodyFuzzTest sessions"
)

selected=()
for t in "${targets[@]}"; do
  read -r module class method <<<"$t"
  if [[ "$module $class#$method" =~ $filter ]]; then selected+=("$t"); fi
done
if [ ${#selected[@]} -eq 0 ]; then echo "no fuzz target matches '$filter'" >&2; exit 2; fi
modules=$(printf '%s\n' "${selected[@]}" | awk '{print $1}' | sort -u | paste -sd, -)

# Compiles what is missing and writes each module's test class path (upstream modules come from the reactor).
mvn -B -q test-compile dependency:build-classpath -pl "$modules" $reactor \
  -Dmdep.outputFile=target/fuzz.classpath -Dmdep.includeScope=test >/dev/null

# The JUnit launcher that matches the Jupiter engine (next to it in the local repository): Jazzer runs a @FuzzTest
# method through it.
launcher() {
  local engine jar v
  engine=$(tr ':' '\n' <"$1/target/fuzz.classpath" | grep '/junit-platform-engine-[0-9.]*\.jar$' | head -n 1)
  jar=${engine//junit-platform-engine/junit-platform-launcher}
  v=$(basename "$(dirname "$jar")")
  [ -f "$jar" ] || mvn -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-launcher:$v" >/dev/null
  echo "$jar"
}

failed=0
summary=()
for t in "${selected[@]}"; do
  read -r module class method <<<"$t"
  simple=${class##*.}
  work="$module/target/fuzz/$simple-$method"
  mkdir -p "$work/corpus"
  inputs="$module/src/test/resources/$(dirname "${class//.//}")/${simple}Inputs/$method"
  seeds=()
  [ -d "$inputs" ] && seeds+=("$inputs")
  cp="$module/target/test-classes:$module/target/classes:$(cat "$module/target/fuzz.classpath"):$(launcher "$module")"
  log="$work/fuzz.log"
  echo "== $simple#$method ($module): ${per_target}s"
  set +e
  java -Xmx"$xmx" -XX:+ExitOnOutOfMemoryError -cp "$cp" com.code_intelligence.jazzer.Jazzer \
    --target_class="$class" --target_method="$method" --instrumentation_includes='io.toka.**' --custom_hook_includes='io.toka.**' \
    --reproducer_path="$work" -artifact_prefix="$work/" -max_total_time="$per_target" -timeout="$timeout_s" \
    -print_final_stats=1 "$work/corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^Done \([0-9]*\) runs in.*/\1/p' "$log" | tail -n 1)
  cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
    verdict="ok"
  else
    verdict="FINDING (exit $rc; see $log and $work/crash-* / timeout-*)"
    failed=1
    grep -m 3 -E "== Java Exception|Uncaught exception|ALARM|timeout|OutOfMemory|Error:" "$log" | sed 's/^/   /' || true
  fi
  summary+=("$(printf '%-55s %12s runs  cov %-6s %s' "$simple#$method" "${runs:-?}" "${cov:-?}" "$verdict")")
done

echo
echo "Fuzz targets (${per_target}s each):"
printf '%s\n' "${summary[@]}"
exit $failed
