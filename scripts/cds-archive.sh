#!/usr/bin/env bash
# Makes target/odecast.jsa, a class-data sharing archive of the classes a serving process loads, which bin/odecast
# then uses: a service starts in about 3 s instead of 5 (docs/reliability.md, "Start-up"), so a restarted instance
# forecasts again sooner. The classes are recorded from a real run: an embedded broker, `odecast serve` with the
# shipped storm forecaster, and the storm frames published to it. About a minute; run it again after a build
# (bin/odecast drops the archive whenever it rebuilds target/odecast.jar). ODECAST_CDS=0 runs without it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh > /dev/null
bin/odecast --version > /dev/null # builds target/odecast.jar when needed
work="$(mktemp -d)"
broker_pid=""
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2> /dev/null || true
  [ -n "$broker_pid" ] && kill "$broker_pid" 2> /dev/null || true
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
root="$PWD"
. scripts/embedded-broker.sh
start_embedded_broker "$work"
storm_serve_conf "$work/serve.conf" cds-archive
list="target/odecast.classes"
rm -f "$list" target/odecast.jsa
ODECAST_CDS=0 ODECAST_JAVA_OPTS="-Xmx2g -XX:DumpLoadedClassList=$list" \
  bin/odecast serve --config "$work/serve.conf" > "$work/serve.log" 2>&1 &
serve_pid=$!
wait_for "$work/serve.log" "Ctrl-C to stop" 180
ODECAST_CDS=0 bin/odecast publish --bootstrap-servers "$bootstrap" --dataset storm --stream-id storm/cds \
  > "$work/publish.log" 2>&1
sleep 10 # the frames through the engine, the model and the producers
kill -TERM "$serve_pid"
wait "$serve_pid" || true
serve_pid=""
java -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile=target/odecast.jsa \
  -cp "$PWD/target/odecast.jar:$PWD/target/lib/*" > target/odecast.jsa.log 2>&1
echo "cds-archive: target/odecast.jsa from $(wc -l < "$list") classes ($(du -m target/odecast.jsa | cut -f1) MiB)"
