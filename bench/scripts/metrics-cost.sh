#!/bin/bash
# Usage (under the heavy lock, after building karaf-assembly): bench/scripts/metrics-cost.sh
# REST hello tool calls (wrk -t2 -c32), the metrics bundle stopped and started in one run (same JVM, ABBA order):
# requests/s and the Toka JVM's CPU per call for each round, then the means.
set -u
cd "$(dirname "$0")/../.."; ROOT=$(pwd)
D=${TMPDIR:-/tmp}/toka-metrics-cost; rm -rf $D; mkdir -p $D; tar -xzf $ROOT/karaf-assembly/target/toka-0.1.0-SNAPSHOT.tar.gz -C $D
K=$D/toka-0.1.0-SNAPSHOT
sed -i 's/^org.osgi.service.http.port.*/org.osgi.service.http.port = 28781/' $K/etc/org.apache.felix.http.cfg
sed -i 's/^sshPort.*/sshPort = 28701/' $K/etc/org.apache.karaf.shell.cfg
printf 'requestsPerMinute = 100000000\nburst = 100000000\n' >> $K/etc/io.toka.ratelimit.cfg
echo 'bench = bench,_g_:admingroup' >> $K/etc/users.properties
cp $ROOT/examples/hello-tool/target/hello-tool-1.0.0.jar $K/deploy/
$K/bin/start
for i in $(seq 1 120); do curl -sf http://127.0.0.1:28781/api/v1/health/ready >/dev/null && break; sleep 1; done
export TOKA_TOKEN=$(cat $K/data/toka/admin.token)
for i in $(seq 1 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKA_TOKEN" -H 'Content-Type: application/json' -d '{"arguments":{"name":"hi"}}' http://127.0.0.1:28781/api/v1/tools/hello/invoke)" = 200 ] && break; sleep 1; done
PID=$(grep item.0.pid $K/instances/instance.properties | cut -d= -f2 | tr -d ' ')
sh() { echo "$1" | JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64} $K/bin/client -a 28701 -u bench -p bench -b >/dev/null 2>&1; }
cpu() { awk '{print $14+$15}' /proc/$PID/stat; }
W="wrk -t2 -c32 -s $ROOT/../shared/bench/http-peers/toka-invoke.lua http://127.0.0.1:28781/api/v1/tools/hello/invoke"
$W -d40s >/dev/null   # warm-up (metrics on)
for mode in off on on off off on on off; do
  if [ $mode = off ]; then sh "bundle:stop io.toka.metrics"; else sh "bundle:start io.toka.metrics"; fi
  sleep 2
  # the toggle must have worked: /metrics answers 200 with the bundle started, 404 without it
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKA_TOKEN" http://127.0.0.1:28781/metrics)
  if { [ $mode = on ] && [ "$code" != 200 ]; } || { [ $mode = off ] && [ "$code" = 200 ]; }; then
    echo "metrics=$mode but /metrics answered $code: the bundle did not switch" >&2; $K/bin/stop; exit 1
  fi
  c0=$(cpu); r=$($W -d15s | grep RESULT); c1=$(cpu)
  n=$(echo $r | awk '{print $2}'); s=$(echo $r | awk '{print $3}')
  echo "metrics=$mode $r  req/s=$(awk -v n=$n -v s=$s 'BEGIN{printf "%.0f", n/s}')  cpu_us/call=$(awk -v c=$((c1-c0)) -v n=$n 'BEGIN{printf "%.1f", c*10000/n}')" | tee -a $D/rounds
done
# the means of the four rounds each way, and what metrics cost (goal: at most 5 % of the hot path)
awk '{split($9,a,"="); split($10,b,"="); m=substr($1,9); r[m]+=a[2]; c[m]+=b[2]; k[m]++}
  END{ron=r["on"]/k["on"]; roff=r["off"]/k["off"]; con=c["on"]/k["on"]; coff=c["off"]/k["off"];
    printf "mean req/s: metrics off %.0f, on %.0f (%+.1f %%); CPU per call: off %.1f us, on %.1f us (%+.1f %%); goal cost <= 5 %%: %s\n",
      roff, ron, (ron-roff)/roff*100, coff, con, (con-coff)/coff*100, ((roff-ron)/roff<=0.05 && (con-coff)/coff<=0.05)?"met":"NOT met"}' $D/rounds
$K/bin/stop; sleep 3
