#!/usr/bin/env bash
# Evaluates the four shipped checkpoints on their held-out frames against the baselines and records the
# results in each model.json (docs/results.md quotes these reports). Outputs: out/eval/<model>/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
bin/odecast evaluate --model models/storm-forecast --dataset storm --leads 4 --out out/eval/storm-forecast --update-card
bin/odecast evaluate --model models/storm-interp --dataset storm --gaps 1,3 --out out/eval/storm-interp --update-card
bin/odecast evaluate --model models/vtest-forecast --dataset vtest --size 64x48 --leads 5 --out out/eval/vtest-forecast --update-card
bin/odecast evaluate --model models/vtest-interp --dataset vtest --size 64x48 --gaps 1,2 --out out/eval/vtest-interp --update-card
