#!/usr/bin/env bash
# MCP tools/list latency with 200 registered tools, next to same-run baselines.
#   A fresh unpack of the distribution gets 200 script tools (one manifest each in tools/, all running one script),
#   then wrk measures, one after the other:
#     mcp list page 1   tools/list, the first page (pageSize 100 by default) as the admin token sees it
#     mcp list page 2   tools/list with the first page's nextCursor
#     mcp list narrow   tools/list with a token that may call 20 of the 200 tools (its view is filtered per token)
#     mcp ping          ping: the endpoint's own cost (auth, JSON-RPC) without the list          (baseline)
#     rest tools        GET /api/v1/tools: every tool, as REST lists them                        (baseline)
#   with -t1 -c1 (latency: p50, p99) and -t2 -c8 (req/s). Goal: page 1 p99 <= 50 ms with 200 tools.
# Usage: bench/scripts/mcp-list.sh            (build first: mvn -B install -DskipTests; needs wrk)
# Env:   TOKA_BENCH_PORT=28381 (HTTP; SSH on +1)  DURATION=10  TOOLS=200
#        TOKA_BENCH_SUMMARY=<file>: also write the goal line there (bench/scripts/all.sh collects it)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)
tarball=${TOKA_BENCH_TARBALL:-karaf-assembly/target/toka-${version}.tar.gz}
[ -f "$tarball" ] || { echo "build first: mvn -B install -DskipTests" >&2; exit 1; }
port=${TOKA_BENCH_PORT:-28381}; duration=${DURATION:-10}; tools=${TOOLS:-200}
work=$(mktemp -d)
trap 'd=$(echo "$work"/toka-*); [ -x "$d/bin/stop" ] && "$d/bin/stop" >/dev/null 2>&1 || true
      p=$(cat "$d/karaf.pid" 2>/dev/null || true); for _ in $(seq 1 100); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      rm -rf "$work"' EXIT

tar xzf "$tarball" -C "$work"; dist=$(echo "$work"/toka-*)
sed -i "s/^org.osgi.service.http.port *=.*/org.osgi.service.http.port = $port/" "$dist/etc/org.apache.felix.http.cfg"
sed -i "s/^sshPort *=.*/sshPort = $((port + 1))/" "$dist/etc/org.apache.karaf.shell.cfg"
printf 'requestsPerMinute = 100000000\nburst = 10000000\n' >"$dist/etc/io.toka.ratelimit.cfg"
cat >"$dist/tools/bench-tool.sh" <<'SH'
#!/bin/bash
echo ok
SH
chmod +x "$dist/tools/bench-tool.sh"
for i in $(seq -f '%03g' 1 "$tools"); do
  cat >"$dist/tools/bench-$i.tool.yaml" <<YAML
name: bench-$i
description: Benchmark tool $i of $tools; prints ok
executable: bench-tool.sh
parameters:
  - {name: text, type: string, description: anything, required: false}
YAML
done

"$dist/bin/start"
base=http://127.0.0.1:$port
for _ in $(seq 1 600); do curl -sf "$base/api/v1/health" >/dev/null && break; sleep 0.1; done
for _ in $(seq 1 100); do [ -s "$dist/data/toka/admin.token" ] && break; sleep 0.1; done
admin=$(cat "$dist/data/toka/admin.token")
count() { curl -s -H "Authorization: Bearer $admin" "$base/api/v1/tools" | grep -o '"name":"bench-[0-9]*"' | wc -l; }
for _ in $(seq 1 600); do [ "$(count)" -ge "$tools" ] && break; sleep 0.1; done
[ "$(count)" -ge "$tools" ] || { echo "only $(count) of $tools tools registered" >&2; exit 1; }
perms=$(for i in $(seq -f '%03g' 1 20); do printf '"tool:invoke:bench-%s",' "$i"; done)
narrow=$(curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d "{\"subject\":\"bench-narrow\",\"permissions\":[${perms%,}],\"ttlSeconds\":3600}" "$base/api/v1/tokens" \
  | sed -E 's/.*"token":"([^"]+)".*/\1/')

mcp() { # token body
  curl -s -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2025-11-25' -d "$2" "$base/mcp"; }
page1=$(mcp "$admin" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
cursor=$(echo "$page1" | sed -nE 's/.*"nextCursor":"([^"]+)".*/\1/p')
n1=$(echo "$page1" | grep -o '"name":"' | wc -l)
nn=$(mcp "$narrow" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | grep -o '"name":"' | wc -l)
echo "$tools script tools registered; page 1 lists $n1 (next cursor: ${cursor:+yes}), the narrow token sees $nn"
[ "$nn" = 20 ] || { echo "the narrow token should see 20 tools, not $nn" >&2; exit 1; }

lua() { # name token body  -> a wrk script
  cat >"$work/$1.lua" <<LUA
wrk.method = "POST"
wrk.body = '$3'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.headers["Authorization"] = "Bearer $2"
function done(s, latency, requests)
  io.write(string.format("RESULT %d %.3f %d %d %d\n", s.requests, s.duration / 1e6, latency:percentile(50),
    latency:percentile(99), s.errors.status))
end
LUA
}
lua page1 "$admin" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
lua page2 "$admin" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"$cursor\"}}"
lua narrow "$narrow" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
lua ping "$admin" '{"jsonrpc":"2.0","id":1,"method":"ping"}'
cat >"$work/rest.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $admin"
function done(s, latency, requests)
  io.write(string.format("RESULT %d %.3f %d %d %d\n", s.requests, s.duration / 1e6, latency:percentile(50),
    latency:percentile(99), s.errors.status))
end
LUA

printf '%-18s %10s %10s %10s %10s %8s\n' target "p50 ms" "p99 ms" "req/s c1" "req/s c8" errors
declare -A P99
for t in page1 page2 narrow ping rest; do
  url=$base/mcp; [ $t = rest ] && url=$base/api/v1/tools
  wrk -t1 -c1 -d2s -s "$work/$t.lua" "$url" >/dev/null   # warm-up
  read -r _ r1 d1 p50 p99 e1 < <(wrk -t1 -c1 -d"${duration}s" -s "$work/$t.lua" "$url" | grep '^RESULT')
  read -r _ r8 d8 _ _ e8 < <(wrk -t2 -c8 -d"${duration}s" -s "$work/$t.lua" "$url" | grep '^RESULT')
  P99[$t]=$p99
  awk -v n="$t" -v a="$p50" -v b="$p99" -v r1="$r1" -v d1="$d1" -v r8="$r8" -v d8="$d8" -v e=$((e1 + e8)) \
    'BEGIN { printf "%-18s %10.2f %10.2f %10.0f %10.0f %8d\n", n, a / 1000, b / 1000, r1 / d1, r8 / d8, e }'
done
line=$(awk -v p="${P99[page1]}" -v t="$tools" 'BEGIN { ms = p / 1000
  printf "MCP tools/list page 1 p99 with %d tools: %.2f ms, goal <= 50 ms: %s", t, ms, ms <= 50 ? "met" : "NOT met" }')
echo "$line"
[ -n "${TOKA_BENCH_SUMMARY:-}" ] && echo "$line" >>"$TOKA_BENCH_SUMMARY"
rss=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$(cat "$dist/karaf.pid")/status")
echo "Toka RSS after the run: $rss MiB"
