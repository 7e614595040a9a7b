#!/usr/bin/env bash
# Runs the reliability harness (odecast chaos) for every scenario in both delivery modes, one after another, and
# exits non-zero if any run fails its criteria. Reports: target/chaos/<scenario>-<delivery>/report.md (and .json);
# a summary of all runs: target/chaos/summary.md. Extra arguments go to every run (e.g. --streams 8 --kills 5).
#
#   ./scripts/chaos.sh                          # 4 scenarios x 2 modes, defaults (20 streams x 64 frames)
#   SCENARIOS="kill" MODES="exactly-once" ./scripts/chaos.sh --kills 3
#
# Not part of `mvn verify`: each run starts a broker and the service as child JVMs and takes minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
scenarios=(${SCENARIOS:-kill sigterm broker-outage bad-input})
modes=(${MODES:-exactly-once at-least-once})
# The storm analyses (Debian's libncarg-data); the harness falls back to synthetic frames without them.
if [ ! -f data/storm/Ustorm.cdf ]; then ./scripts/fetch-data.sh || echo "chaos.sh: no storm data; synthetic frames" >&2; fi
# Build once up front (bin/odecast builds when needed), so that no run pays for it.
bin/odecast --version >/dev/null || { echo "chaos.sh: build failed" >&2; exit 2; }
# The harness JVM holds the reference model, the forecasts read back and (bad-input) a 60 MiB frame.
export ODECAST_JAVA_OPTS="${ODECAST_JAVA_OPTS:--Xmx1536m}"
mkdir -p target/chaos
summary=target/chaos/summary.md
{
  echo "# odecast chaos: summary ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "| scenario | delivery | result | exit | report |"
  echo "|---|---|---|---|---|"
} > "$summary"
failed=0
for scenario in "${scenarios[@]}"; do
  for mode in "${modes[@]}"; do
    out="target/chaos/$scenario-$mode"
    echo "chaos.sh: $scenario, $mode -> $out" >&2
    bin/odecast chaos --scenario "$scenario" --delivery "$mode" --out "$out" "$@"
    rc=$?
    if [ $rc -eq 0 ]; then result=PASS; else result=FAIL; failed=$((failed + 1)); fi
    echo "| $scenario | $mode | $result | $rc | $out/report.md |" >> "$summary"
  done
done
echo >&2
cat "$summary" >&2
if [ $failed -gt 0 ]; then
  echo "chaos.sh: $failed run(s) failed" >&2
  exit 1
fi
echo "chaos.sh: every run passed" >&2
