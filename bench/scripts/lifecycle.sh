#!/usr/bin/env bash
# Starts the built distribution fresh N times (default 5) and prints medians of:
#   start      fresh unpack + bin/start -> GET /api/v1/health answers 200
#   drop       hello-tool jar renamed into deploy/ -> its first successful call
#   swap       jar replaced by version 1.0.1 -> the first call answered by 1.0.1
#   removal    jar deleted -> GET /api/v1/tools/hello answers 404
# Each figure includes the cost of the HTTP poll that observes it (polled every 5 ms); that probe's own cost is
# measured in the same run and printed as the baseline. Ratios are against the goals of issue 2.
# Usage: bench/scripts/lifecycle.sh [runs]   (build first: mvn -B install -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)
tarball="karaf-assembly/target/toka-${version}.tar.gz"
hello="examples/hello-tool/target/hello-tool-1.0.0.jar"
[ -f "$tarball" ] && [ -f "$hello" ] || { echo "build first: mvn -B install -DskipTests" >&2; exit 1; }
port=${TOKA_BENCH_PORT:-28281}
work=$(mktemp -d)
trap 'for d in "$work"/run*/toka-*; do [ -x "$d/bin/stop" ] && "$d/bin/stop" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT

python3 bench/scripts/rever.py "$hello" "$work/hello-1.0.1.jar" 1.0.1

exec python3 - "$work" "$tarball" "$hello" "$port" "$runs" <<'PY'
import json, os, shutil, statistics, subprocess, sys, tarfile, time, urllib.request, urllib.error
work, tarball, hello, port, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
base = f"http://127.0.0.1:{port}/api/v1"

def now(): return time.perf_counter()
def req(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    r = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(r, timeout=2) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except Exception:
        return None, None
def until(pred, limit=60):
    t0 = now()
    while now() - t0 < limit:
        if pred(): return (now() - t0) * 1000
        time.sleep(0.005)
    raise SystemExit("timed out")
def drop(src, deploy):
    shutil.copy(src, os.path.join(deploy, ".staging")); os.replace(os.path.join(deploy, ".staging"), os.path.join(deploy, "hello-tool.jar"))
def answers(version):
    s, b = req("/tools/hello/invoke", {"arguments": {"name": "b"}})
    return s == 200 and b and b.get("success") and b.get("toolVersion") == version

res = {"start": [], "drop": [], "swap": [], "removal": [], "probe": []}
for i in range(runs):
    d = os.path.join(work, f"run{i}")
    os.makedirs(d)
    with tarfile.open(tarball) as t: t.extractall(d)
    home = os.path.join(d, os.listdir(d)[0])
    with open(os.path.join(home, "etc/org.apache.felix.http.cfg"), "a") as f: f.write(f"\norg.osgi.service.http.port = {port}\n")
    with open(os.path.join(home, "etc/org.apache.karaf.shell.cfg"), "a") as f: f.write(f"\nsshPort = {port + 1}\n")
    t0 = now(); subprocess.run([os.path.join(home, "bin/start")], check=True, env={**os.environ, "KARAF_DEBUG": ""})
    until(lambda: req("/health")[0] == 200); res["start"].append((now() - t0) * 1000)
    t = now(); req("/health"); res["probe"].append((now() - t) * 1000)
    deploy = os.path.join(home, "deploy")
    t = now(); drop(hello, deploy); until(lambda: answers("1.0.0")); res["drop"].append((now() - t) * 1000)
    t = now(); drop(os.path.join(work, "hello-1.0.1.jar"), deploy); until(lambda: answers("1.0.1")); res["swap"].append((now() - t) * 1000)
    t = now(); os.remove(os.path.join(deploy, "hello-tool.jar")); until(lambda: req("/tools/hello")[0] == 404); res["removal"].append((now() - t) * 1000)
    subprocess.run([os.path.join(home, "bin/stop")], check=False, capture_output=True)
    until(lambda: req("/health")[0] is None, 30)
    print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.0f} ms" for k, v in res.items()), flush=True)

goals = {"start": 4000, "drop": 500, "swap": 500, "removal": 300}
probe = statistics.median(res["probe"])
print(f"\nMedians over {runs} fresh runs (HTTP probe cost, the baseline: {probe:.1f} ms per poll)")
for k, goal in goals.items():
    m = statistics.median(res[k])
    print(f"  {k:8s} {m:7.0f} ms   goal <= {goal} ms ({m / goal:.2f}x the goal: {'met' if m <= goal else 'NOT met'})")
PY
