#!/usr/bin/env bash
# A camera that goes silent: 20 live frames of a 10 fps video stream, then nothing for two minutes. The service
# sends PROVISIONAL frames for overdue ticks up to the rule's max-gap (10 s in conf/application.conf), then stops;
# the CPU it spends while the stream is silent is printed per interval (it must not grow with the silence).
set -u
cd "$(dirname "$0")/.."
out=target/silent-camera; rm -rf "$out"; mkdir -p "$out"
bin/odecast kafka --port 19292 --dir $out/kafka-data > $out/kafka.log 2>&1 &
KP=$!
sleep 15
bin/odecast serve --config conf/application.conf --bootstrap-servers 127.0.0.1:19292 --http-port 19564 \
  --instance-id silent-1 > $out/serve.log 2>&1 &
SP=$!
for i in $(seq 1 90); do curl -sf http://127.0.0.1:19564/health/ready >/dev/null && break; sleep 2; done
cpu() { awk '{print ($14 + $15) / 100}' /proc/$SP/stat; }
provisional() { curl -s http://127.0.0.1:19564/metrics | awk '/^odecast_regular_frames_total.*provisional/{print $2}'; }
bin/odecast publish --bootstrap-servers 127.0.0.1:19292 --stream-id video/silent --video data/video/vtest.avi --size 64x48 --max-frames 20 \
  --time-start "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" --time-step 100ms > $out/publish.log 2>&1
echo "published 20 frames at $(date -u +%T); service CPU $(cpu) s"
last=$(cpu)
for t in 5 15 30 60 120; do
  sleep $((t - ${prev:-0})); prev=$t
  now=$(cpu)
  echo "silent ${t}s: provisional frames $(provisional), service CPU since the last line $(awk -v a="$now" -v b="$last" 'BEGIN{printf "%.2f", a-b}') s"
  last=$now
done
kill $SP; wait $SP 2>/dev/null; kill $KP; wait $KP 2>/dev/null
