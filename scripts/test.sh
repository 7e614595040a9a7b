#!/usr/bin/env bash
# The README's test command: fetch the real data (Debian packages), then build and run every default test
# offline (no network at run time: DJL loads the PyTorch natives shipped in its Maven artifact).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
exec mvn -B -ntp verify "$@"
