#!/usr/bin/env bash
# The README's run command: fetch the real data (Debian packages), build, and run `odecast demo` (embedded
# Kafka broker, the streaming service with the shipped models, the storm data and a video stream published
# with dropouts). Outputs go to out/demo/ (summary.md, summary.json, forecasts/, skill/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
exec ./bin/odecast demo "$@"
