#!/usr/bin/env bash
# Hot swaps without a leak: the hello tool bundle swapped COUNT times (default 10000) between 1.0.0 and 1.0.1 in
# deploy/ of a fresh unpack, under a light steady load (RATE calls of hello per second, default 50), each swap
# waiting until the registry describes the new version. io.toka.bench.soak.Swaps prints the memory curve (heap and
# metaspace after a full GC, RSS, hello class loaders alive, registry entries, framework bundles, class loaders,
# data/cache, deploy/, threads) every COUNT/20 swaps, the swap rate, and the goal lines:
#   every swap done; no failed call; one hello bundle installed at the end (the last version, Active, nothing
#   shadowed); one hello class loader alive after a full GC; the heap after GC at most 10 % above its start level;
#   metaspace flat (<= +2 % over the second half of the run: it grows while the JIT warms up, about 4 MiB over the
#   first thousand swaps); deploy/, data/cache and the registry's live entries the same as
#   after the first swap.
# Usage: bench/scripts/swaps.sh [count]       (build first: mvn -B install -DskipTests)
# Env:   TOKA_BENCH_PORT=28581 (HTTP; SSH on +1)  RATE=50  TOKA_BENCH_TARBALL=<toka-*.tar.gz>
#        TOKA_BENCH_CP=<class path> instead of bench/target/benchmarks.jar
#        TOKA_BENCH_SUMMARY=<file>: also write the goal lines there (bench/scripts/all.sh collects them)
# Exit status: 0 when every goal is met.
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-10000}
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)
tarball=${TOKA_BENCH_TARBALL:-karaf-assembly/target/toka-${version}.tar.gz}
hello=examples/hello-tool/target/hello-tool-1.0.0.jar
jar=bench/target/benchmarks.jar
for f in "$tarball" "$hello" "$jar"; do [ -f "$f" ] || { echo "build first: mvn -B install -DskipTests ($f is missing)" >&2; exit 2; }; done
port=${TOKA_BENCH_PORT:-28581}
work=$(mktemp -d)
dist=
stop_dist() { [ -n "$dist" ] && [ -x "$dist/bin/stop" ] || return 0
  "$dist/bin/stop" >/dev/null 2>&1 || true
  p=$(cat "$dist/karaf.pid" 2>/dev/null || true)
  for _ in $(seq 1 300); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; }
trap 'stop_dist; rm -rf "$work"' EXIT

tar xzf "$tarball" -C "$work"; dist=$(echo "$work"/toka-*)
sed -i "s/^org.osgi.service.http.port *=.*/org.osgi.service.http.port = $port/" "$dist/etc/org.apache.felix.http.cfg"
sed -i "s/^sshPort *=.*/sshPort = $((port + 1))/" "$dist/etc/org.apache.karaf.shell.cfg"
printf 'requestsPerMinute = 100000000\nburst = 10000000\n' >"$dist/etc/io.toka.ratelimit.cfg"
pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "swaps = $pw,_g_:admingroup" >>"$dist/etc/users.properties"   # for bundle:list through bin/client
# both jars written by the same zip writer, so that they have the same size and deploy/ can be compared byte for byte
/usr/bin/python3 bench/scripts/rever.py "$hello" "$work/hello-tool-1.0.0.jar" 1.0.0
/usr/bin/python3 bench/scripts/rever.py "$hello" "$work/hello-tool-1.0.1.jar" 1.0.1

echo "load before the start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
"$dist/bin/start"
base=http://127.0.0.1:$port
for _ in $(seq 1 900); do curl -sf "$base/api/v1/health" >/dev/null && break; sleep 0.1; done
for _ in $(seq 1 100); do [ -s "$dist/data/toka/admin.token" ] && break; sleep 0.1; done
cp "$work/hello-tool-1.0.0.jar" "$dist/deploy/hello-tool.jar"

summary=$(mktemp)
set +e
java -Xmx256m -cp "${TOKA_BENCH_CP:-$jar}" io.toka.bench.soak.Swaps --base "$base" --token "$dist/data/toka/admin.token" \
  --home "$dist" --pid "$(cat "$dist/karaf.pid")" --count "$count" --rate "${RATE:-50}" \
  --jars "$work/hello-tool-1.0.0.jar,$work/hello-tool-1.0.1.jar" --versions 1.0.0,1.0.1 \
  --client "$dist/bin/client -r 3 -a $((port + 1)) -h 127.0.0.1 -u swaps -p $pw" --summary "$summary"
status=$?
set -e
[ -n "${TOKA_BENCH_SUMMARY:-}" ] && cat "$summary" >>"$TOKA_BENCH_SUMMARY"
rm -f "$summary"
exit $status
