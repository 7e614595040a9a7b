# Sourced by scripts that time or record a real `odecast serve` against a throwaway broker (cds-archive.sh,
# start-time.sh). Expects `root` (the checkout whose bin/odecast starts the broker) and `set -u`.

# wait_for FILE PATTERN SECONDS: until PATTERN appears in FILE; prints the file's tail and fails after SECONDS.
wait_for() {
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q "$2" "$1" 2> /dev/null && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): no \"$2\" in $1 after $3 s:" >&2
  tail -20 "$1" >&2
  return 1
}

# start_embedded_broker DIR: an in-process KRaft broker on a free port, logging to DIR/broker.log; sets broker_pid
# and bootstrap (host:port). The caller kills broker_pid.
start_embedded_broker() {
  ODECAST_CDS=0 "$root/bin/odecast" kafka --port 0 > "$1/broker.log" 2>&1 &
  broker_pid=$!
  wait_for "$1/broker.log" "broker on" 120 || return 1
  bootstrap="$(sed -n 's/.*broker on \([^ ]*\) with.*/\1/p' "$1/broker.log" | head -1)"
}

# storm_serve_conf FILE GROUP: a service configuration for the broker at $bootstrap serving storm/* streams with
# the shipped storm forecaster (6-hourly forecasts to 24 h), consumer group GROUP, operations server on a free port.
storm_serve_conf() {
  cat > "$1" << CONF
odecast {
  kafka { bootstrap-servers = "$bootstrap", group-id = "$2" }
  models-dir = "$root/models"
  http { port = 0 }
  streams = [{ pattern = "storm/*", model = "storm-forecast", forecast { step = 6h, horizon = 24h } }]
}
CONF
}
