#!/usr/bin/env bash
# Operator drill: the local state store's disk fills up under a live service, then space comes back.
# Needs root (a 1 MiB tmpfs holds the state store). Six storm streams are published while the disk is full; the
# script prints what the service said and did (log lines, readiness, metrics), then grows the disk and checks that
# every frame got its forecast. Figures go to docs/reliability.md.
set -u
cd "$(dirname "$0")/.."
out=target/disk-full; rm -rf "$out"; mkdir -p "$out/state"
if ! mount -t tmpfs -o size=1m tmpfs "$out/state"; then
  echo "disk-full.sh: cannot mount a tmpfs on $out/state (run as root)" >&2; exit 2
fi
trap 'kill -TERM $SP $KP 2>/dev/null; wait; umount "$out/state" 2>/dev/null' EXIT
{ cat conf/application.conf; echo "odecast.state-dir = \"$PWD/$out/state\""; } > $out/app.conf
bin/odecast kafka --port 19292 --dir $out/kafka-data > $out/kafka.log 2>&1 &
KP=$!
sleep 15
bin/odecast serve --config $out/app.conf --bootstrap-servers 127.0.0.1:19292 --http-port 19564 \
  --instance-id full-1 > $out/serve.log 2>&1 &
SP=$!
for i in $(seq 1 90); do curl -sf http://127.0.0.1:19564/health/ready >/dev/null && break; sleep 2; done
m() { curl -s http://127.0.0.1:19564/metrics | grep -E "^odecast_($1)" | tr '\n' ' '; echo; }
rss() { awk '/VmRSS/{print $2}' /proc/$SP/status; }
echo "ready; RSS $(rss) kB; state store $(df -k --output=used,avail $out/state | tail -1) kB used/avail"
for s in 1 2 3 4 5 6; do
  bin/odecast publish --bootstrap-servers 127.0.0.1:19292 --stream-id storm/full-$s --dataset storm \
    --time-start 1996-01-05T00:00:00Z --time-step 6h > $out/pub$s.log 2>&1 &
done
wait $(jobs -p | grep -v -e "^$SP$" -e "^$KP$") 2>/dev/null
for t in 20 40 60; do
  sleep 20
  echo "t+${t}s: ready=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19564/health/ready)" \
    "live=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19564/health/live) RSS $(rss) kB"
  m 'forecasts_emitted|forecasts_delivered|engine_restarts|snapshots_written'
done
echo "log lines about the store: $(grep -c -i 'state store\|snapshot of stream\|No space' $out/serve.log)"
grep -i -m3 'No space\|cannot write' $out/serve.log | cut -c1-300
echo "growing the state store to 256 MiB"
mount -o remount,size=256m "$out/state"
t0=$(date +%s)
for i in $(seq 1 90); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19564/health/ready)" = 200 ] && break; sleep 2
done
echo "ready again $(( $(date +%s) - t0 )) s after the disk grew"
sleep 20
echo "after: ready=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19564/health/ready) RSS $(rss) kB"
m 'forecasts_emitted|forecasts_delivered|engine_restarts|snapshots_written'
echo "state store $(df -k --output=used,avail $out/state | tail -1) kB used/avail"
echo "forecasts on the topic (64 frames per stream published):"
java -Dlogback.configurationFile=conf/logback.xml -cp "target/classes:target/lib/*" scripts/ForecastTally.java 127.0.0.1:19292 2>&1 | grep "^storm/"
