#!/usr/bin/env bash
# A 14-day gap (beyond the storm rule's max-gap of 7 d) and a year-2100 frame into a live storm stream; RSS watched.
set -u
cd "$(dirname "$0")/.."
out=target/long-gap; rm -rf "$out"; mkdir -p "$out"
bin/odecast kafka --port 19192 --dir $out/kafka-data > $out/kafka.log 2>&1 &
KP=$!
sleep 15
bin/odecast serve --config conf/application.conf --bootstrap-servers 127.0.0.1:19192 --http-port 19464 --instance-id gap-1 > $out/serve.log 2>&1 &
SP=$!
for i in $(seq 1 90); do curl -sf http://127.0.0.1:19464/health/ready >/dev/null && break; sleep 2; done
rss() { awk '/VmRSS/{print $2}' /proc/$SP/status; }
echo "ready; RSS $(rss) kB" 
( while kill -0 $SP 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 1; done ) > $out/rss.txt &
P="--bootstrap-servers 127.0.0.1:19192 --stream-id storm/gap --dataset storm"
bin/odecast publish $P --time-start 1996-01-05T00:00:00Z --time-step 6h > $out/pub1.log 2>&1
echo "published 64 frames; RSS $(rss) kB"
# The same 64 analyses again, starting 30 days after the first: 14 days after the stream's last frame.
bin/odecast publish $P --time-start 1996-02-04T00:00:00Z --time-step 6h > $out/pub2.log 2>&1
echo "published 64 more after a 14-day gap; RSS $(rss) kB"
bin/odecast publish $P --time-start 2100-01-01T00:00:00Z --time-step 6h > $out/pub3.log 2>&1
echo "published 64 frames dated 2100; RSS $(rss) kB"
sleep 30
curl -s http://127.0.0.1:19464/metrics | grep -E '^odecast_(frames_accepted|forecasts_emitted|frames_dead_lettered|stream_restarts|frames_received)' > $out/metrics.txt
echo "RSS before stop $(rss) kB"
kill -TERM $SP; wait $SP; kill -TERM $KP; wait $KP
echo done
