#!/usr/bin/env bash
# Tool-call throughput of a cluster of 3 nodes against a cluster of 1 (README, Cluster), in one run on this machine:
# REST hello calls with the admin token, rate limit lifted (the budget is still taken from the shared Hazelcast
# bucket on every call), events in the shared PostgreSQL. Rounds, in this order:
#   1 node  : wrk -t2 -c32 on node-1                         (a cluster of one)
#   3 nodes : three wrk -t1 -c10 at once, one per node      (the sum of the three)
#   3 nodes : wrk -t2 -c32 on node-1 alone                  (one entry node while two other members run)
#   1 node  : wrk -t2 -c32 on node-1 again                  (the drift between the first and the last round)
# Each round is DUR seconds (default 20) after a 15-second warm-up of every node it uses. The nodes run under
# ./toka-start-cluster in their own directory, ports shifted by 1000 (HTTP 9181..9183), database toka_bench (dropped
# at the end), so a local cluster of ./toka-start --nodes can keep running. On 2 cores the three nodes share the
# same two cores as wrk: this measures what clustering costs per call, not how it scales.
# PG_COMMIT=overlapped sets postgresqlCommit in every node's io.toka.store.cfg (all rounds; default ordered-fsync).
# Usage (after building karaf-assembly): [LIMITS=off] [PG_COMMIT=overlapped] [DUR=20] bench/scripts/cluster-throughput.sh
# (under a lock, use flock -o: PostgreSQL may be started here and must not inherit the lock)
set -euo pipefail
cd "$(dirname "$0")/../.."; ROOT=$(pwd)
DUR=${DUR:-20}
export TOKA_CLUSTER_BASE=${TMPDIR:-/tmp}/toka-cluster-bench TOKA_CLUSTER_OFFSET=1000 TOKA_PG_DB=toka_bench
B=$TOKA_CLUSTER_BASE
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)
tarball=karaf-assembly/target/toka-${version}.tar.gz
hello=examples/hello-tool/target/hello-tool-1.0.0.jar
for f in "$tarball" "$hello" "$ROOT/../shared/bench/http-peers/toka-invoke.lua"; do
  [ -f "$f" ] || { echo "missing $f: build first (mvn -B install -DskipTests)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "cd / && $*"; else sudo -u postgres -H sh -c "$*"; fi; }
finish() {
  ./toka-start-cluster --stop >/dev/null 2>&1 || true
  as_postgres "dropdb --if-exists toka_bench" >/dev/null 2>&1 || true
}
trap finish EXIT
./toka-start-cluster --stop >/dev/null 2>&1 || true
# a fresh secret below: the keys a previous run stored under its secret would not decrypt
as_postgres "dropdb --if-exists toka_bench" >/dev/null 2>&1 || true
rm -rf "$B"
# every node unpacked here first, so that its rate limit is lifted and hello deployed before it starts
# (toka-start-cluster keeps an unpacked node and writes only its own settings)
for i in 1 2 3; do
  home=$B/node-$i
  mkdir -p "$home"
  tar -xzf "$tarball" -C "$home" --strip-components=1
  touch "$home/.unpacked"
  printf '\nrequestsPerMinute = 100000000\nburst = 100000000\n' >> "$home/etc/io.toka.ratelimit.cfg"
  # LIMITS=off: no rate limiting at all (to see what the shared buckets cost)
  [ "${LIMITS:-on}" = off ] && printf 'enabled = false\n' >> "$home/etc/io.toka.ratelimit.cfg"
  # PG_COMMIT: how event commits become durable (postgresqlCommit of io.toka.store; toka-start-cluster keeps it)
  [ -n "${PG_COMMIT:-}" ] && printf '\npostgresqlCommit = %s\n' "$PG_COMMIT" >> "$home/etc/io.toka.store.cfg"
  cp "$hello" "$home/deploy/"
done
echo "postgresqlCommit = ${PG_COMMIT:-ordered-fsync (default)}"
chmod 700 "$B"

url() { echo "http://127.0.0.1:$((9180 + $1))/api/v1/tools/hello/invoke"; }
W="wrk -s $ROOT/../shared/bench/http-peers/toka-invoke.lua"
start() {
  echo "--- a cluster of $1 node(s)"
  ./toka-start-cluster --nodes "$1" | grep -E '^Toka'
  export TOKA_TOKEN; TOKA_TOKEN=$(cat "$B/node-1/data/toka/admin.token")
  for i in $(seq 1 "$1"); do
    for _ in $(seq 1 300); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKA_TOKEN" \
        -H 'Content-Type: application/json' -d '{"arguments":{"name":"hi"}}' "$(url "$i")")" = 200 ] && break
      sleep 0.2
    done
  done
  for i in $(seq 1 "$1"); do $W -t1 -c8 -d15s "$(url "$i")" >/dev/null & done
  wait
}
# one wrk per node given, at once; prints the sum of requests/s, the worst p99 and the errors
round() {
  local label=$1; shift
  local n=$# c=$((32 / $#)) t=1 out=$B/round.$$ i
  [ "$n" = 1 ] && t=2
  for i in "$@"; do $W -t$t -c$c -d${DUR}s "$(url "$i")" | grep RESULT > "$out.$i" & done
  wait
  cat "$out".* | awk -v label="$label" '{ rps += $2 / $3; if ($5 > p99) p99 = $5; if ($4 > p50) p50 = $4; err += $6 + $7 }
    END { printf "%-44s %8.0f req/s   p50 %6.2f ms (worst node)   p99 %7.2f ms (worst node)   errors %d\n",
          label, rps, p50 / 1000, p99 / 1000, err }' | tee -a "$B/results"
  rm -f "$out".*
}

start 1
round "1 node (cluster of one)" 1
./toka-start-cluster --stop >/dev/null
start 3
round "3 nodes, one wrk per node (sum)" 1 2 3
round "3 nodes, node-1 alone" 1
./toka-start-cluster --stop >/dev/null
start 1
round "1 node again" 1
awk '/^1 node/ { one += $(NF-13); k++ } /one wrk per node/ { three = $(NF-13) }
  END { printf "3 nodes against 1: %.2fx (the mean of the two 1-node rounds)\n", three / (one / k) }' "$B/results"
grep -q 'errors [1-9]' "$B/results" && { echo "some calls failed" >&2; exit 1; }
exit 0
