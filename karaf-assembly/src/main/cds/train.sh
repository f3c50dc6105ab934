#!/usr/bin/env bash
# Makes the class-data sharing archive shipped in the distribution (data/cds/toka.jsa, see bin/setenv): starts a
# scratch copy of the assembled distribution on free ports, waits until GET /api/v1/health answers, stops it (the JVM
# writes the archive as it exits) and copies the archive, and the java it belongs to, into the assembly. Only the
# archive leaves the scratch copy (not its keys, tokens or logs). Never fails the build: without bash's /dev/tcp, a
# java, or a healthy start within 180 s, the distribution ships without an archive and makes one at its first stop.
# Usage: train.sh <assembly dir> <scratch dir>        (karaf-assembly/pom.xml runs it at prepare-package)
set -u
assembly=$1
scratch=$2
warn() { echo "[cds] no class-data sharing archive in the distribution: $*" >&2; exit 0; }
[ -x "$assembly/bin/start" ] || warn "no $assembly/bin/start"
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || warn "no java"
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}
healthy() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /api/v1/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local status
  read -r _ status _ <&3
  exec 3<&-
  [ "$status" = 200 ]
}
http=$(free_port) && ssh=$(free_port) || warn "no free port"

rm -rf "$scratch"
mkdir -p "$scratch"
cp -a "$assembly" "$scratch/toka" || warn "cannot copy $assembly"
home="$scratch/toka"
rm -rf "$home/data/cds"
sed -i.bak "s/^org.osgi.service.http.port *=.*/org.osgi.service.http.port = $http/" "$home/etc/org.apache.felix.http.cfg"
sed -i.bak "s/^sshPort *=.*/sshPort = $ssh/" "$home/etc/org.apache.karaf.shell.cfg"
chmod +x "$home"/bin/*
# the jars' times as bin/setenv sets them on every start (the archive records them)
TZ=UTC touch -c -t 200001010000.00 "$home"/lib/boot/*.jar "$home"/lib/jdk9plus/*.jar "$home"/lib/endorsed/*.jar

unset EXTRA_JAVA_OPTS TOKA_CDS KARAF_DATA KARAF_HOME KARAF_BASE KARAF_ETC
t0=$SECONDS
"$home/bin/start" >/dev/null 2>&1 || warn "bin/start failed"
up=
while [ $(( SECONDS - t0 )) -lt 180 ]; do
  if healthy "$http" 2>/dev/null; then up=1; break; fi
  sleep 0.5
done
pid=$(cat "$home/karaf.pid" 2>/dev/null || true)
if [ -n "$up" ]; then sleep 2; fi   # what Toka starts right after it answers belongs in the archive too
"$home/bin/stop" >/dev/null 2>&1 || true
for _ in $(seq 1 120); do { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; } || break; sleep 0.5; done
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill -9 "$pid" 2>/dev/null
  warn "the scratch Toka did not stop within 60 s (killed; its log: $home/data/log/karaf.log)"
fi
[ -n "$up" ] || warn "the scratch Toka did not answer on port $http within 180 s (see $home/data/log/karaf.log)"
[ -s "$home/data/cds/toka.jsa.new" ] || warn "the JVM wrote no archive (see $home/data/log/karaf.log)"
mkdir -p "$assembly/data/cds"
cp "$home/data/cds/toka.jsa.new" "$assembly/data/cds/toka.jsa"
cp "$home/data/cds/toka.jdk" "$assembly/data/cds/toka.jdk"
echo "[cds] data/cds/toka.jsa: $(( $(wc -c < "$assembly/data/cds/toka.jsa") / 1048576 )) MiB for $(cat "$assembly/data/cds/toka.jdk"), made in $(( SECONDS - t0 )) s"
rm -rf "$scratch"
