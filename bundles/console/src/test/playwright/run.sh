#!/usr/bin/env bash
# Browser test of the web console (/console/): unpacks the built distribution (karaf-assembly/target/toka-*.tar.gz)
# under bundles/console/target/playwright, and runs console.test.mjs, which starts it on its own ports next to a
# scripted OpenAI-compatible model and drives Debian's chromium (headless) through playwright-core.
# Screenshots and Toka's log end up in bundles/console/target/playwright/.
#
#   bundles/console/src/test/playwright/run.sh [toka-*.tar.gz]
#
# Environment: TOKA_CONSOLE_HTTP_PORT (28781), TOKA_CONSOLE_SSH_PORT (28701), CHROMIUM (the chromium binary).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../../.." && pwd)"
out="$root/bundles/console/target/playwright"
tarball="${1:-}"
if [ -z "$tarball" ]; then
  tarball="$(ls "$root"/karaf-assembly/target/toka-*.tar.gz 2>/dev/null | head -n 1 || true)"
fi
if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
  echo "run.sh: no distribution; build it first (mvn -B install -DskipTests -pl karaf-assembly -am)" >&2
  exit 2
fi
http_port="${TOKA_CONSOLE_HTTP_PORT:-28781}"
ssh_port="${TOKA_CONSOLE_SSH_PORT:-28701}"
chromium="${CHROMIUM:-}"
if [ -z "$chromium" ]; then
  # the real binary: Debian's /usr/bin/chromium is a wrapper script
  for c in /usr/lib/chromium/chromium "$(command -v chromium || true)" "$(command -v chromium-browser || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then chromium="$c"; break; fi
  done
fi
if [ -z "$chromium" ]; then
  echo "run.sh: chromium is not installed (apt-get install chromium)" >&2
  exit 2
fi

rm -rf "$out"
mkdir -p "$out/dist" "$out/screenshots"
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$out/"
(cd "$out" && npm ci --no-audit --no-fund --loglevel=error)

tar -xzf "$tarball" -C "$out/dist"
home="$(find "$out/dist" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
sed -i "s/^org.osgi.service.http.port = .*/org.osgi.service.http.port = $http_port/" "$home/etc/org.apache.felix.http.cfg"
sed -i "s/^sshPort = .*/sshPort = $ssh_port/" "$home/etc/org.apache.karaf.shell.cfg"
grep -q "^org.osgi.service.http.port = $http_port$" "$home/etc/org.apache.felix.http.cfg"
grep -q "^sshPort = $ssh_port$" "$home/etc/org.apache.karaf.shell.cfg"

# whatever happens to the test, the distribution is stopped
stop() { JAVA_HOME="${JAVA_HOME:-}" "$home/bin/stop" >/dev/null 2>&1 || true; }
trap stop EXIT

start=$(date +%s)
status=0
node "$out/console.test.mjs" --home "$home" --port "$http_port" --chromium "$chromium" --out "$out" || status=$?
cp "$home/data/log/karaf.log" "$out/karaf.log" 2>/dev/null || true
echo "console browser test: $([ $status = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s" \
  "(screenshots in $out/screenshots)"
exit $status
