#!/usr/bin/env bash
# Trains the four shipped checkpoints exactly as they were trained (CPU, 2 cores; the runs were capped by
# --max-minutes and, for the video models, stopped by hand at the step recorded in their model.json; they ran
# concurrently, one intra-op thread each). Not part of the tests: this takes hours.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
export ODECAST_JAVA_OPTS="${ODECAST_JAVA_OPTS:--Xmx3g -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1}"
bin/odecast train --dataset storm --task extrapolate --name storm-forecast --train-frames 48 --validation-frames 8 \
  --validate-every 25 --inputs 4 --length 8 --steps 1000 --max-minutes 20 --checkpoint-every 100 --seed 1
bin/odecast train --dataset storm --task interpolate --name storm-interp --train-frames 48 --validation-frames 10 \
  --validate-every 25 --length 7 --max-gap 3 --dropout 0.2 --steps 1500 --max-minutes 20 --checkpoint-every 100 --seed 2
bin/odecast train --dataset vtest --size 64x48 --task extrapolate --name vtest-forecast --train-frames 600 --inputs 5 \
  --length 10 --steps 6000 --max-minutes 80 --checkpoint-every 100 --seed 3
bin/odecast train --dataset vtest --size 64x48 --task interpolate --name vtest-interp --train-frames 600 --length 7 \
  --max-gap 2 --dropout 0.2 --steps 6000 --max-minutes 45 --checkpoint-every 100 --seed 4
bin/odecast train --dataset vtest --size 64x48 --task interpolate --name vtest-interp --train-frames 600 --length 7 \
  --max-gap 2 --dropout 0.2 --steps 6000 --max-minutes 22 --checkpoint-every 50 --seed 4 --resume
rm -rf models/*/trainer
