#!/usr/bin/env bash
# The distribution's life cycle, over N fresh unpacks (default 5), as medians next to the goals of the start-and-memory
# issue. Each run:
#   start      fresh unpack, bin/start -> GET /api/v1/health answers 200 (without a token it answers {"status":"UP"})
#   idle RSS   VmRSS and Threads of the Karaf JVM (/proc/<pid>/status), IDLE s after bin/start
#   drop       hello-tool jar renamed into deploy/ -> its first successful call (admin token from data/toka/admin.token)
#   swap       jar replaced by version 1.0.1 -> the first call answered by 1.0.1
#   removal    jar deleted -> GET /api/v1/tools/hello answers 404
#   load RSS   VmRSS after LOAD s of wrk -t2 -c32 calling hello (skipped without wrk, or with LOAD=0)
#   restart    bin/stop, then bin/start on the same unpack -> health answers 200
# Baselines from the same run: the cost of one health probe (every figure above includes the poll that observes it,
# every 5 ms), a bare JVM's start (java -version) and a bare JVM idling with the Karaf JVM's own -X flags (RSS, threads).
# Usage: bench/scripts/lifecycle.sh [runs]            (build first: mvn -B install -DskipTests)
# Env:   TOKA_BENCH_PORT=28281 (HTTP; SSH on +1)  IDLE=20  LOAD=10  TOKA_BENCH_TARBALL=<another toka-*.tar.gz>
#        TOKA_BENCH_SUMMARY=<file>: also write the goal lines there (bench/scripts/all.sh collects them)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)
tarball=${TOKA_BENCH_TARBALL:-karaf-assembly/target/toka-${version}.tar.gz}
hello="examples/hello-tool/target/hello-tool-1.0.0.jar"
[ -f "$tarball" ] && [ -f "$hello" ] || { echo "build first: mvn -B install -DskipTests" >&2; exit 1; }
port=${TOKA_BENCH_PORT:-28281}
work=$(mktemp -d)
# bin/stop on every unpack still running, then wait for its JVM to go, so that no run outlives the script
trap 'for d in "$work"/run*/toka-*; do [ -x "$d/bin/stop" ] && "$d/bin/stop" >/dev/null 2>&1 || true
      p=$(cat "$d/karaf.pid" 2>/dev/null || true); for _ in $(seq 1 100); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      done; rm -rf "$work"' EXIT

/usr/bin/python3 bench/scripts/rever.py "$hello" "$work/hello-1.0.1.jar" 1.0.1
cat >"$work/Idle.java" <<'JAVA'
public class Idle { public static void main(String[] a) throws Exception { System.out.println("up"); Thread.sleep(60_000); } }
JAVA
javac -d "$work" "$work/Idle.java"
cat >"$work/invoke.lua" <<'LUA'
wrk.method = "POST"
wrk.body   = '{"arguments":{"name":"load"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKA_TOKEN")
function done(s, latency, requests)
  io.write(string.format("RESULT %d %.3f %d\n", s.requests, s.duration / 1e6, s.errors.status))
end
LUA

/usr/bin/python3 - "$work" "$tarball" "$hello" "$port" "$runs" <<'PY'
import json, os, shutil, statistics, subprocess, sys, tarfile, time, urllib.request, urllib.error
work, tarball, hello, port, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
idle_s, load_s = float(os.environ.get("IDLE", 20)), float(os.environ.get("LOAD", 10))
base = f"http://127.0.0.1:{port}/api/v1"
token = None

def now(): return time.perf_counter()
def req(path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token: headers["Authorization"] = "Bearer " + token
    r = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=2) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except Exception:
        return None, None
def until(pred, what, limit=90):
    t0 = now()
    while now() - t0 < limit:
        if pred(): return (now() - t0) * 1000
        time.sleep(0.005)
    raise SystemExit(f"timed out after {limit} s waiting for {what}")
def drop(src, deploy):
    shutil.copy(src, os.path.join(deploy, ".staging")); os.replace(os.path.join(deploy, ".staging"), os.path.join(deploy, "hello-tool.jar"))
def answers(version):
    s, b = req("/tools/hello/invoke", {"arguments": {"name": "b"}})
    return s == 200 and b and b.get("success") and b.get("toolVersion") == version
def status(pid):
    with open(f"/proc/{pid}/status") as f:
        d = dict(l.split(":", 1) for l in f if ":" in l)
    return int(d["VmRSS"].split()[0]) / 1024, int(d["Threads"])
def alive(pid):
    try: os.kill(pid, 0); return True
    except OSError: return False
def start(home):
    t0 = now()
    subprocess.run([os.path.join(home, "bin/start")], check=True, env={**os.environ, "KARAF_DEBUG": ""})
    until(lambda: req("/health")[0] == 200, "health")
    return (now() - t0) * 1000, t0
def stop(home, pid):
    subprocess.run([os.path.join(home, "bin/stop")], check=False, capture_output=True)
    until(lambda: not alive(pid), "the JVM to exit", 60)
def pid_of(home):
    until(lambda: os.path.exists(os.path.join(home, "karaf.pid")), "karaf.pid", 10)
    with open(os.path.join(home, "karaf.pid")) as f: return int(f.read().strip())

res = {k: [] for k in ("java", "probe", "start", "restart", "rss", "threads", "bare_rss", "bare_threads",
                       "drop", "swap", "removal", "load_rss", "load_rps")}
for i in range(runs):
    token = None
    t = now(); subprocess.run(["java", "-version"], check=True, capture_output=True); res["java"].append((now() - t) * 1000)
    d = os.path.join(work, f"run{i}")
    os.makedirs(d)
    with tarfile.open(tarball) as t: t.extractall(d)
    home = os.path.join(d, os.listdir(d)[0])
    with open(os.path.join(home, "etc/org.apache.felix.http.cfg"), "a") as f: f.write(f"\norg.osgi.service.http.port = {port}\n")
    with open(os.path.join(home, "etc/org.apache.karaf.shell.cfg"), "a") as f: f.write(f"\nsshPort = {port + 1}\n")
    # the load is one subject: lift its rate limit so that the load measures the pipeline, not the 429 answer
    with open(os.path.join(home, "etc/io.toka.ratelimit.cfg"), "a") as f: f.write("\nrequestsPerMinute = 100000000\nburst = 1000000\n")

    ms, t0 = start(home); res["start"].append(ms)
    t = now(); req("/health"); res["probe"].append((now() - t) * 1000)
    pid = pid_of(home)
    tf = os.path.join(home, "data/toka/admin.token")
    until(lambda: os.path.exists(tf) and os.path.getsize(tf) > 0, "data/toka/admin.token", 30)
    with open(tf) as f: token = f.read().strip()
    time.sleep(max(0.0, idle_s - (now() - t0)))
    rss, threads = status(pid); res["rss"].append(rss); res["threads"].append(threads)
    # the same JVM flags, with nothing to run: the floor under the idle figures
    with open(f"/proc/{pid}/cmdline") as f: flags = [a for a in f.read().split("\0") if a.startswith("-X")]
    bare = subprocess.Popen(["java", *flags, "-cp", work, "Idle"], stdout=subprocess.PIPE)
    bare.stdout.readline(); time.sleep(2)
    r, n = status(bare.pid); res["bare_rss"].append(r); res["bare_threads"].append(n); bare.kill(); bare.wait()

    deploy = os.path.join(home, "deploy")
    t = now(); drop(hello, deploy); until(lambda: answers("1.0.0"), "hello 1.0.0"); res["drop"].append((now() - t) * 1000)
    t = now(); drop(os.path.join(work, "hello-1.0.1.jar"), deploy); until(lambda: answers("1.0.1"), "hello 1.0.1"); res["swap"].append((now() - t) * 1000)
    t = now(); os.remove(os.path.join(deploy, "hello-tool.jar")); until(lambda: req("/tools/hello")[0] == 404, "hello gone"); res["removal"].append((now() - t) * 1000)

    if load_s > 0 and shutil.which("wrk"):
        drop(hello, deploy); until(lambda: answers("1.0.0"), "hello 1.0.0")
        out = subprocess.run(["wrk", "-t2", "-c32", f"-d{load_s:g}s", "-s", os.path.join(work, "invoke.lua"), base + "/tools/hello/invoke"],
                             capture_output=True, text=True, env={**os.environ, "TOKA_TOKEN": token}).stdout
        r = next(l.split() for l in out.splitlines() if l.startswith("RESULT"))
        res["load_rps"].append(int(r[1]) / float(r[2]))
        res["load_rss"].append(status(pid)[0])

    stop(home, pid)
    token = None
    ms, _ = start(home); res["restart"].append(ms)
    stop(home, pid_of(home))
    print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in res.items() if v), flush=True)

def med(k): return statistics.median(res[k]) if res[k] else None
summary = []
def goal(name, k, limit, unit, baseline):
    m = med(k)
    if m is None: return
    line = f"{name:30s} {m:7.0f} {unit:3s} goal <= {limit} {unit} ({m / limit:.2f}x: {'met' if m <= limit else 'NOT met'})   {baseline}"
    print("  " + line); summary.append(line)
print(f"\nMedians over {runs} fresh runs ({os.cpu_count()} cores; ms unless said)")
probe = f"baseline: one health probe {med('probe'):.1f} ms"
goal("start, fresh unpack -> health", "start", 3000, "ms", f"baseline: bare JVM start (java -version) {med('java'):.0f} ms")
goal("restart (stop, start) -> health", "restart", 2000, "ms", f"baseline: bare JVM start {med('java'):.0f} ms")
goal("drop -> callable", "drop", 500, "ms", probe)
goal("swap -> new version answers", "swap", 500, "ms", probe)
goal("removal -> 404", "removal", 300, "ms", probe)
goal(f"idle RSS {idle_s:g} s after start", "rss", 250, "MiB", f"baseline: bare JVM, same -X flags, idle {med('bare_rss'):.0f} MiB")
goal(f"RSS after {load_s:g} s of load", "load_rss", 400, "MiB", f"load: {med('load_rps') or 0:.0f} calls/s (wrk -t2 -c32)")
line = f"{'threads, idle':30s} {med('threads'):7.0f}       (no goal)   baseline: bare JVM, same flags, {med('bare_threads'):.0f} threads"
print("  " + line); summary.append(line)
if os.environ.get("TOKA_BENCH_SUMMARY"):
    with open(os.environ["TOKA_BENCH_SUMMARY"], "a") as f: f.write("\n".join(summary) + "\n")
PY
