#!/usr/bin/env bash
# The soak: a realistic mix for N minutes (default 10) against a fresh unpack of the distribution, at half of the
# capacity measured at the start of the run.
#   1. unpack karaf-assembly/target/toka-*.tar.gz on its own ports, point the LLM gateway at a fake model on loopback
#      (io.toka.bench.soak.FakeModel, OpenAI-compatible), lift the per-subject rate limit (the load is one subject),
#      start it and deploy examples/hello-tool (1.0.0; a 1.0.1 copy is made for the hot swaps)
#   2. capacity: wrk -t2 -c32 on POST /api/v1/tools/hello/invoke (the hot path), 5 s warm-up then 10 s measured
#   3. io.toka.bench.soak.Soak drives LOAD (0.5) x capacity: Java tool calls (hello, file-reader), the script tool
#      word-count, executions in shell, Python, JavaScript and WASM, a token's life (issue, use, revoke, refused),
#      two agents in a loop against the fake model, four SSE subscribers, a hot swap of hello every 30 s; it prints
#      one row per minute (ops/s, errors, p50/p99, CPU, RSS, heap and metaspace after a full GC, threads, fds,
#      sandbox processes, event store) and the goal lines:
#        0 unexpected errors; RSS and post-GC heap grow < 10 % from minute 2 to the end (a 2-minute run: minute 1
#        to 2); threads and fds flat; no sandbox process or work dir left once the load stops
#   4. bin/stop, and one more goal: no process of this unpack is left (a sandboxed run outliving the JVM)
# Usage: bench/scripts/soak.sh [minutes]        (build first: mvn -B install -DskipTests; needs wrk, bwrap)
# Env:   TOKA_BENCH_PORT=28481 (HTTP; SSH on +1, fake model on +10)  LOAD=0.5  TOKA_BENCH_TARBALL=<toka-*.tar.gz>
#        HISTOGRAM=true: after each minute, the 12 classes whose live bytes grew most (jcmd GC.class_histogram)
#        TOKA_BENCH_CP=<class path> instead of bench/target/benchmarks.jar
#        TOKA_BENCH_SUMMARY=<file>: also write the goal lines there (bench/scripts/all.sh collects them)
# Exit status: 0 when every goal is met. The load figures are noisy on a shared machine: load averages are printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)
tarball=${TOKA_BENCH_TARBALL:-karaf-assembly/target/toka-${version}.tar.gz}
hello=examples/hello-tool/target/hello-tool-1.0.0.jar
jar=bench/target/benchmarks.jar
for f in "$tarball" "$hello" "$jar"; do [ -f "$f" ] || { echo "build first: mvn -B install -DskipTests ($f is missing)" >&2; exit 2; }; done
port=${TOKA_BENCH_PORT:-28481}; model=$((port + 10)); load=${LOAD:-0.5}
work=$(mktemp -d)
dist=
stop_dist() { [ -n "$dist" ] && [ -x "$dist/bin/stop" ] || return 0
  "$dist/bin/stop" >/dev/null 2>&1 || true
  p=$(cat "$dist/karaf.pid" 2>/dev/null || true)
  for _ in $(seq 1 300); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; }
trap 'stop_dist; rm -rf "$work"' EXIT

chmod 755 "$work"   # sandboxed runs (uid 65534) bind paths under data/: every directory above must be searchable
tar xzf "$tarball" -C "$work"; dist=$(echo "$work"/toka-*)
sed -i "s/^org.osgi.service.http.port *=.*/org.osgi.service.http.port = $port/" "$dist/etc/org.apache.felix.http.cfg"
sed -i "s/^sshPort *=.*/sshPort = $((port + 1))/" "$dist/etc/org.apache.karaf.shell.cfg"
printf 'requestsPerMinute = 100000000\nburst = 10000000\n' >"$dist/etc/io.toka.ratelimit.cfg"
cat >>"$dist/etc/io.toka.llm.cfg" <<CFG
provider = openai
model = fake-model
baseUrl = http://127.0.0.1:$model
apiKey = soak-key
rateLimitPerMinute = 1000000
CFG
/usr/bin/python3 bench/scripts/rever.py "$hello" "$work/hello-tool-1.0.1.jar" 1.0.1

echo "load before the start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
"$dist/bin/start"
base=http://127.0.0.1:$port
for _ in $(seq 1 900); do curl -sf "$base/api/v1/health" >/dev/null && break; sleep 0.1; done
for _ in $(seq 1 100); do [ -s "$dist/data/toka/admin.token" ] && break; sleep 0.1; done
token=$(cat "$dist/data/toka/admin.token")
pid=$(cat "$dist/karaf.pid")
cp "$hello" "$dist/deploy/hello-tool.jar"
call='{"arguments":{"name":"soak"}}'
for _ in $(seq 1 300); do curl -s -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "$call" "$base/api/v1/tools/hello/invoke" | grep -q '"success":true' && break; sleep 0.1; done

cat >"$work/invoke.lua" <<LUA
wrk.method = "POST"
wrk.body = '$call'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
function done(s, latency, requests)
  io.write(string.format("RESULT %d %.3f %d %d\n", s.requests, s.duration / 1e6, s.errors.status,
    s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout))
end
LUA
wrk -t2 -c32 -d5s -s "$work/invoke.lua" "$base/api/v1/tools/hello/invoke" >/dev/null
read -r _ n d e s < <(wrk -t2 -c32 -d10s -s "$work/invoke.lua" "$base/api/v1/tools/hello/invoke" | grep '^RESULT')
capacity=$(awk -v n="$n" -v d="$d" 'BEGIN { printf "%.0f", n / d }')
echo "capacity: $capacity req/s (wrk -t2 -c32 -d10s, REST call of hello; non-2xx $e, socket errors $s); load $(cut -d' ' -f1-3 /proc/loadavg)"

summary=$(mktemp)
set +e
java -Xmx256m -cp "${TOKA_BENCH_CP:-$jar}" io.toka.bench.soak.Soak --base "$base" --token "$dist/data/toka/admin.token" --home "$dist" \
  --pid "$pid" --minutes "$minutes" --capacity "$capacity" --load "$load" --model-port "$model" \
  --jars "$hello,$work/hello-tool-1.0.1.jar" --versions 1.0.0,1.0.1 --summary "$summary" \
  --histogram "${HISTOGRAM:-false}"
status=$?
set -e
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

stop_dist
left=$(pgrep -f -- "$dist" || true)
line="soak processes of the unpack left after bin/stop: $(echo "$left" | grep -c . || true), goal 0: $([ -z "$left" ] && echo met || echo NOT met)"
echo "$line"; echo "$line" >>"$summary"
[ -z "$left" ] || { ps -o pid,ppid,cmd -p "$(echo "$left" | paste -sd,)" || true; status=1; }
[ -n "${TOKA_BENCH_SUMMARY:-}" ] && cat "$summary" >>"$TOKA_BENCH_SUMMARY"
rm -f "$summary"
exit $status
