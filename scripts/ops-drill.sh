#!/usr/bin/env bash
# Operator drill for the state tools, with the shipped storm model and data on a local broker:
#   1. six storm streams and one stream no rule names, exactly-once, on 3 partitions; SIGTERM;
#   2. odecast dead-letters (the unknown stream's frames, by reason);
#   3. odecast repartition --partitions 6 (dry run, then for real);
#   4. the service again on 6 partitions with a rule for the unknown stream; the storm streams go on from their
#      states (restored, not restarted), and odecast dead-letters --replay brings the rejected frames back.
# Prints the figures; exits non-zero when a check fails. About 3 minutes. Output in target/ops-drill.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/ops-drill
rm -rf "$OUT"
mkdir -p "$OUT"
HTTP=19478
SERVE=""
KAFKA=""
cleanup() {
  [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null || true
  [ -n "$KAFKA" ] && kill "$KAFKA" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

bin/odecast kafka --port 0 --dir "$OUT/kafka" > "$OUT/kafka.out" 2> "$OUT/kafka.log" &
KAFKA=$!
for _ in $(seq 1 120); do [ -s "$OUT/kafka.out" ] && break; sleep 1; done
B=$(head -1 "$OUT/kafka.out")
echo "broker $B"

cat > "$OUT/three.conf" <<EOF
include file("$(pwd)/conf/application.conf")
odecast { delivery = "exactly-once", state-dir = "$(pwd)/$OUT/state", instance-id = "drill" }
EOF
cat > "$OUT/six.conf" <<EOF
include file("$(pwd)/$OUT/three.conf")
odecast.kafka.partitions = 6
odecast.streams = \${odecast.streams} [
  { pattern = "radar/*", model = "storm-forecast", forecast { step = 6h, horizon = 24h } }
]
EOF

metric() {  # metric NAME: its value (sum over labels) from the service's /metrics
  curl -s "http://127.0.0.1:$HTTP/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {print s + 0}'
}
serve() {  # serve CONF LOG
  bin/odecast serve --config "$1" --bootstrap-servers "$B" --http-port "$HTTP" > "$2" 2>&1 &
  SERVE=$!
  for _ in $(seq 1 180); do
    curl -sf "http://127.0.0.1:$HTTP/health/ready" > /dev/null 2>&1 && return 0
    sleep 1
  done
  echo "the service did not become ready: $2" >&2
  exit 1
}
settle() {  # settle N: wait until accepted + dead-lettered frames reach N
  for _ in $(seq 1 240); do
    local n
    n=$(awk "BEGIN {print $(metric odecast_frames_accepted_total) + $(metric odecast_frames_dead_lettered_total)}")
    [ "${n%.*}" -ge "$1" ] && return 0
    sleep 1
  done
  echo "only $n of $1 frames handled" >&2
  exit 1
}
stop() {
  kill -TERM "$SERVE"
  wait "$SERVE" || true
  SERVE=""
}
publish() {  # publish STREAM [--time-shift D]
  local id=$1
  shift
  bin/odecast publish --bootstrap-servers "$B" --stream-id "$id" --netcdf data/storm/Ustorm.cdf:u \
    --netcdf data/storm/Vstorm.cdf:v --netcdf data/storm/Pstorm.cdf:p:p:0.01:hPa \
    --time-start 1996-01-05T00:00:00Z --time-step 6h "$@" >> "$OUT/publish.log" 2>&1
}

echo "== 1. six storm streams and radar/x (no rule) on 3 partitions, exactly-once"
serve "$OUT/three.conf" "$OUT/serve1.log"
for s in 0 1 2 3 4 5; do publish "storm/d$s"; done
publish radar/x
# "published stream ... sent 62, dropped 0, skipped 2 missing, ...": 62 frames over 64 six-hourly steps.
FRAMES=$(head -1 "$OUT/publish.log" | sed -E 's/.*sent ([0-9]+),.*/\1/')
STEPS=$((FRAMES + $(head -1 "$OUT/publish.log" | sed -E 's/.*skipped ([0-9]+) missing.*/\1/')))
echo "frames per stream: $FRAMES over $STEPS steps"
settle $((7 * FRAMES))
echo "accepted $(metric odecast_frames_accepted_total), dead-lettered $(metric odecast_frames_dead_lettered_total)," \
  "forecasts $(metric odecast_forecasts_emitted_total)"
stop

echo "== 2. dead letters"
bin/odecast dead-letters --config "$OUT/three.conf" --bootstrap-servers "$B" | tee "$OUT/dlq.txt"
grep -q "UNKNOWN_STREAM=$FRAMES" "$OUT/dlq.txt"

echo "== 3. repartition to 6"
bin/odecast repartition --config "$OUT/three.conf" --bootstrap-servers "$B" --partitions 6 --dry-run | tee "$OUT/plan.txt"
bin/odecast repartition --config "$OUT/three.conf" --bootstrap-servers "$B" --partitions 6 | tee "$OUT/repartition.txt"

echo "== 4. 6 partitions, a rule for radar/*; the storm streams go on, the rejected frames come back"
serve "$OUT/six.conf" "$OUT/serve2.log"
# The same analyses again, moved on by the whole sequence: each stream continues 6 h after its last frame.
SHIFT="PT$((6 * STEPS))H"
for s in 0 1 2 3 4 5; do publish "storm/d$s" --time-shift "$SHIFT"; done
bin/odecast dead-letters --config "$OUT/six.conf" --bootstrap-servers "$B" --reason unknown_stream --stream 'radar/*' \
  --replay | tee "$OUT/replay.txt"
settle $((7 * FRAMES))
sleep 5
ACCEPTED=$(metric odecast_frames_accepted_total)
RESTORED=$(metric odecast_streams_restored_total)
RESTARTS=$(metric odecast_stream_restarts_total)
DLQ=$(metric odecast_frames_dead_lettered_total)
echo "accepted $ACCEPTED, streams restored $RESTORED, stream restarts $RESTARTS, dead-lettered $DLQ," \
  "forecasts $(metric odecast_forecasts_emitted_total), state records read $(metric odecast_state_records_restored_total)"
if grep -q 'snapshot is of input partition' "$OUT/serve2.log"; then echo "a stream lost its state" >&2; exit 1; fi
stop
[ "${ACCEPTED%.*}" -eq $((7 * FRAMES)) ] || { echo "expected $((7 * FRAMES)) accepted" >&2; exit 1; }
[ "${RESTORED%.*}" -eq 6 ] || { echo "expected the 6 storm streams restored" >&2; exit 1; }
[ "${DLQ%.*}" -eq 0 ] || { echo "expected no dead letter" >&2; exit 1; }
echo "PASS"
