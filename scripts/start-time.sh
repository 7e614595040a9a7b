#!/usr/bin/env bash
# Times `odecast serve` from launch to consuming ("Ctrl-C to stop") against one embedded broker, with the storm
# forecaster, and prints each start's warm-up line. With several checkouts (each built, sharing this one's models),
# they start in turn, ROUNDS times (default 3), so that an A/B compares the same minutes of a shared machine.
#   scripts/start-time.sh [CHECKOUT...]        (default: this checkout; ODECAST_CDS=1 uses the archives)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
checkouts=("$@")
[ ${#checkouts[@]} -gt 0 ] || checkouts=("$here")
work="$(mktemp -d)"
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2> /dev/null || true
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
root="$here" # the broker and the models come from this checkout
. "$here/scripts/embedded-broker.sh"
start_embedded_broker "$work" || { echo "start-time: the broker did not start" >&2; exit 1; }
for round in $(seq 1 "${ROUNDS:-3}"); do
  for checkout in "${checkouts[@]}"; do
    storm_serve_conf "$work/serve.conf" "start-time-$round-$RANDOM"
    t0=$(date +%s%N)
    ODECAST_CDS="${ODECAST_CDS:-0}" ODECAST_JAVA_OPTS="-Xmx2g" "$checkout/bin/odecast" serve --config "$work/serve.conf" \
      > "$work/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 2400); do grep -q "Ctrl-C to stop" "$work/serve.log" && break; sleep 0.05; done
    t1=$(date +%s%N)
    printf '%s  %s  consuming after %d ms; %s\n' "$round" "$checkout" $(((t1 - t0) / 1000000)) \
      "$(grep -o 'warmed up in.*' "$work/serve.log" || echo 'not started')"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    sleep 2
  done
done
