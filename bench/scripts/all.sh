#!/usr/bin/env bash
# Runs every benchmark and prints each goal, its figure and whether it is met, from one run on this machine.
#   JMH and timing mains in bench/target/benchmarks.jar (each prints its goal lines next to a same-run baseline),
#   the HTTP peers harness (Toka's REST and MCP tool calls next to the MCP Java SDK and bare Jetty, in one run),
#   bench/scripts/mcp-list.sh (MCP tools/list with 200 tools) and bench/scripts/lifecycle.sh (start, restart, hot
#   deploy, idle and loaded memory).
# Usage: bench/scripts/all.sh [--quick] [--long]     (build first: mvn -B install -DskipTests)
#   --quick: lifecycle over 1 run instead of 3, and the HTTP peers for 10 s instead of 20
#   --long:  also the slow reliability runs: bench/scripts/soak.sh 10 (a realistic mix for 10 minutes) and
#            bench/scripts/swaps.sh (10,000 hot swaps of a tool bundle, about 40 minutes); SOAK_MINUTES, SWAPS
# Env:   HTTP_PEERS=<dir of run.sh> (default ../shared/bench/http-peers), SKIP="store agents ..." to leave some out
# Exit status: 0 when every goal printed is met, 1 otherwise. The full output is kept in bench/target/all-<time>.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
quick=false; long=false
for a in "$@"; do case $a in --quick) quick=true ;; --long) long=true ;; *) echo "unknown option $a" >&2; exit 2 ;; esac; done
jar=bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "build first: mvn -B install -DskipTests" >&2; exit 2; }
mkdir -p bench/target; log="bench/target/all-$(date +%Y%m%d-%H%M%S).log"; summary=$(mktemp)
skip=" ${SKIP:-} "

section() { echo; echo "=== $1" | tee -a "$log"; }
# runs a benchmark, keeps its output in the log, and copies its goal lines (those saying met / NOT met) to the summary
bench() {
  local name=$1; shift
  [[ "$skip" == *" $name "* ]] && { echo "  (skipped: $name)"; return; }
  section "$name: $*"
  "$@" 2>&1 | tee -a "$log" | grep -E "met\b|NOT met" | sed "s/^ */[$name] /" | tee -a "$summary"
}

bench tokens   java -cp "$jar" io.toka.bench.TokenVerificationOverhead
bench dispatch java -cp "$jar" io.toka.bench.DispatchOverhead
bench kernel   java -cp "$jar" io.toka.bench.kernel.KernelBenchmark
bench store    java -cp "$jar" io.toka.bench.store.StoreBenchmark
bench files    java -cp "$jar" io.toka.bench.tools.FileReaderLatency
bench runtime  java -cp "$jar" io.toka.bench.runtime.RuntimeLatency
bench external java -cp "$jar" io.toka.bench.tools.ExternalCallOverhead
bench agents   java -cp "$jar" io.toka.orchestration.internal.agent.AgentsBenchmark
bench queue    java -cp "$jar" io.toka.orchestration.internal.agent.ModelQueueBenchmark

peers=${HTTP_PEERS:-../shared/bench/http-peers}
if [[ "$skip" != *" http "* ]]; then
  section "http: $peers/run.sh ."
  if [ -x "$peers/run.sh" ]; then
    out=$( ($quick && DURATION=10 WARMUP=5 "$peers/run.sh" . || "$peers/run.sh" .) 2>&1 | tee -a "$log")
    echo "$out"
    rps() { echo "$out" | awk -v n="$1" '$1 == n { print $2 }'; }
    p99() { echo "$out" | awk -v n="$1" '$1 == n { for (i = 1; i <= NF; i++) if ($i == "p99") print $(i + 1) }'; }
    goal() { # name figure op limit
      awk -v n="$1" -v f="$2" -v op="$3" -v l="$4" 'BEGIN { ok = (op == ">=") ? f >= l : f <= l
        printf "[http] %-44s %8.2f   goal %s %s: %s\n", n, f, op, l, ok ? "met" : "NOT met" }' | tee -a "$summary"; }
    sdk=$(rps sdk); toka=$(rps toka); mcp=$(rps mcp); bare=$(rps bare)
    if [ -n "$sdk" ] && [ -n "$toka" ]; then
      goal "REST tool call, toka/sdk req/s (sdk $sdk)" "$(awk -v a="$toka" -v b="$sdk" 'BEGIN{print a/b}')" ">=" 2.0
      goal "REST tool call p99 at -c32 (ms)" "$(p99 toka)" "<=" 4
      goal "stretch: REST toka/bare req/s (bare $bare)" "$(awk -v a="$toka" -v b="$bare" 'BEGIN{print a/b}')" ">=" 0.7
    else
      echo "[http] the harness printed no toka/sdk figures: NOT met" | tee -a "$summary"
    fi
    if [ -n "$mcp" ]; then
      goal "MCP tools/call, mcp/sdk req/s" "$(awk -v a="$mcp" -v b="$sdk" 'BEGIN{print a/b}')" ">=" 2.0
      goal "MCP tools/call, mcp/REST req/s" "$(awk -v a="$mcp" -v b="$toka" 'BEGIN{print a/b}')" ">=" 0.9
    fi
  else
    echo "[http] $peers/run.sh not found (set HTTP_PEERS): NOT met" | tee -a "$summary"
  fi
fi

if [[ "$skip" != *" mcp-list "* ]]; then
  section "mcp-list: bench/scripts/mcp-list.sh"
  ml=$(mktemp)
  TOKA_BENCH_SUMMARY="$ml" DURATION=$($quick && echo 5 || echo 10) bench/scripts/mcp-list.sh 2>&1 | tee -a "$log"
  grep -E "met\b|NOT met" "$ml" | sed 's/^/[mcp-list] /' >>"$summary"; rm -f "$ml"
fi

if [[ "$skip" != *" lifecycle "* ]]; then
  section "lifecycle: bench/scripts/lifecycle.sh"
  lc=$(mktemp)
  TOKA_BENCH_SUMMARY="$lc" bench/scripts/lifecycle.sh "$($quick && echo 1 || echo 3)" 2>&1 | tee -a "$log"
  grep -E "met\b|NOT met" "$lc" | sed 's/^/[lifecycle] /' >>"$summary"; rm -f "$lc"
fi

# slow runs, only with --long: each writes its goal lines to the summary itself
for slow in "soak:bench/scripts/soak.sh ${SOAK_MINUTES:-10}" "swaps:bench/scripts/swaps.sh ${SWAPS:-10000}"; do
  name=${slow%%:*}; cmd=${slow#*:}
  $long && [[ "$skip" != *" $name "* ]] || continue
  section "$name: $cmd"
  sl=$(mktemp)
  TOKA_BENCH_SUMMARY="$sl" $cmd 2>&1 | tee -a "$log"
  grep -E "met\b|NOT met" "$sl" | sed "s/^/[$name] /" >>"$summary"; rm -f "$sl"
done

echo; echo "=== every goal, from this run ($(nproc) cores, $(date -u +%FT%TZ)); full output: $log"
cat "$summary"
total=$(grep -c . "$summary" || true); notmet=$(grep -c "NOT met" "$summary" || true)
echo "goals: $total, met: $((total - notmet)), not met: $notmet"
rm -f "$summary"
[ "$notmet" = 0 ]
