#!/usr/bin/env bash
# Trains the shipped checkpoints exactly as they were trained (CPU, 2 cores; the runs were capped by
# --max-minutes and, for the first video models, stopped by hand at the step recorded in their model.json; two ran
# concurrently, one intra-op thread each, under nice). Not part of the tests: this takes hours.
# Stage 1 (the first checkpoints, paper composition) writes models/ directly; stage 2 (issue 11 part 3) fine-tunes
# them into the residual composition with augmentation, each into out/cand-*/ from where the checkpoint was copied to
# models/ after `odecast evaluate` showed it better on the held-out frames than the one it replaced (the cards'
# commands name those folders).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
export ODECAST_JAVA_OPTS="${ODECAST_JAVA_OPTS:--Xmx3g -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1}"
bin/odecast train --dataset storm --task extrapolate --name storm-forecast --train-frames 48 --validation-frames 8 \
  --validate-every 25 --inputs 4 --length 8 --steps 1000 --max-minutes 20 --checkpoint-every 100 --seed 1
# The demo's swap target: storm-forecast fine-tuned (its card's command).
bin/odecast train --dataset storm --task extrapolate --name storm-forecast-v2 --init-from models/storm-forecast \
  --train-frames 48 --validation-frames 8 --validate-every 25 --inputs 4 --length 8 --steps 150 --lr 3e-4 \
  --max-minutes 6 --checkpoint-every 50 --seed 2
bin/odecast train --dataset storm --task interpolate --name storm-interp --train-frames 48 --validation-frames 10 \
  --validate-every 25 --length 7 --max-gap 3 --dropout 0.2 --steps 1500 --max-minutes 20 --checkpoint-every 100 --seed 2
bin/odecast train --dataset vtest --size 64x48 --task extrapolate --name vtest-forecast --train-frames 600 --inputs 5 \
  --length 10 --steps 6000 --max-minutes 80 --checkpoint-every 100 --seed 3
bin/odecast train --dataset vtest --size 64x48 --task interpolate --name vtest-interp --train-frames 600 --length 7 \
  --max-gap 2 --dropout 0.2 --steps 6000 --max-minutes 45 --checkpoint-every 100 --seed 4
bin/odecast train --dataset vtest --size 64x48 --task interpolate --name vtest-interp --train-frames 600 --length 7 \
  --max-gap 2 --dropout 0.2 --steps 6000 --max-minutes 22 --checkpoint-every 50 --seed 4 --resume

# Stage 2: residual composition (W + (1-M) D) and augmentation.
promote() {  # promote CANDIDATE_DIR NAME: the candidate's checkpoint replaces models/NAME
  rm -rf "models/$2" && mkdir -p "models/$2" && cp "$1/$2/model.json" "$1/$2/parameters.bin" "models/$2/"
}
bin/odecast train --dataset vtest --size 64x48 --task extrapolate --name vtest-forecast --models-dir out/cand-vf2 \
  --init-from models/vtest-forecast --composition residual --augment flip-x --train-frames 600 --validation-frames 50 \
  --validate-every 100 --inputs 5 --length 10 --steps 6000 --lr 5e-4 --max-minutes 35 --checkpoint-every 100 --seed 5
bin/odecast train --dataset vtest --size 64x48 --task extrapolate --name vtest-forecast --models-dir out/cand-vf3 \
  --init-from out/cand-vf2/vtest-forecast --augment flip-x --train-frames 600 --validation-frames 50 \
  --validate-every 100 --inputs 5 --length 10 --steps 6000 --lr 5e-4 --max-minutes 17 --checkpoint-every 100 --seed 7
promote out/cand-vf3 vtest-forecast
bin/odecast train --dataset storm --task interpolate --name storm-interp --models-dir out/cand-si1 \
  --init-from models/storm-interp --composition residual --train-frames 48 --validation-frames 10 --validate-every 10 \
  --length 7 --max-gap 3 --dropout 0.2 --steps 400 --lr 3e-4 --max-minutes 8 --checkpoint-every 100 --seed 2
bin/odecast train --dataset storm --task interpolate --name storm-interp --models-dir out/cand-si2 \
  --init-from out/cand-si1/storm-interp --augment rotate180 --train-frames 48 --validation-frames 10 --validate-every 10 \
  --length 7 --max-gap 3 --dropout 0.2 --steps 400 --lr 3e-4 --max-minutes 7 --checkpoint-every 100 --seed 3
promote out/cand-si2 storm-interp
bin/odecast train --dataset vtest --size 64x48 --task interpolate --name vtest-interp --models-dir out/cand-vi1 \
  --init-from models/vtest-interp --composition residual --augment flip-x --train-frames 600 --validation-frames 50 \
  --validate-every 100 --length 7 --max-gap 2 --dropout 0.2 --steps 6000 --lr 5e-4 --max-minutes 32 --checkpoint-every 100 \
  --seed 4
promote out/cand-vi1 vtest-interp
# 2026-12-03: a longer fine-tune of that checkpoint (its card names /tmp/vtest-interp.old, the copy of
# models/vtest-interp it started from).
bin/odecast train --dataset vtest --size 64x48 --task interpolate --name vtest-interp --models-dir out/cand-vctl \
  --init-from models/vtest-interp --composition residual --augment flip-x --train-frames 600 --validation-frames 50 \
  --validate-every 100 --length 7 --max-gap 2 --dropout 0.2 --steps 6000 --lr 5e-4 --max-minutes 25 \
  --checkpoint-every 100 --seed 8
promote out/cand-vctl vtest-interp
# 2026-12-03: the storm interpolator with a motion prior (docs/architecture.md), shipped beside storm-interp: first
# the residual-motion composition (G's output layer zeroed, so it starts as flow interpolation), then warp only.
bin/odecast train --dataset storm --task interpolate --name storm-interp-motion --models-dir out/cand-sim1 \
  --init-from models/storm-interp --composition residual-motion --augment rotate180 --train-frames 48 \
  --validation-frames 10 --validate-every 10 --length 7 --max-gap 3 --dropout 0.2 --steps 300 --lr 1e-4 \
  --max-minutes 5 --checkpoint-every 10 --seed 3
# Stage 2 ran with seeds 3, 4 and 5 (out/cand-sim2, out/cand-sim2-s4, -s5); seed 4 was promoted on validation L1
# (0.333 against 0.351 and 0.360), but those scores came from windows drawn with --seed + 1000, different per run, and
# from the one-sided training render. Re-scored on 2026-12-03 as train scores now (the same 32 windows for every
# run, hidden frames filled as the service fills, `train --steps 0`), the three are 0.3027 / 0.3038 / 0.3032: within
# 0.4 %, the spread of one recipe, so seed 4 stays (docs/results-notes.md, "Validation, re-scored").
bin/odecast train --dataset storm --task interpolate --name storm-interp-motion --models-dir out/cand-sim2-s4 \
  --init-from out/cand-sim1/storm-interp-motion --composition motion --augment rotate180 --train-frames 48 \
  --validation-frames 10 --validate-every 10 --length 7 --max-gap 3 --dropout 0.2 --steps 300 --lr 1e-4 \
  --max-minutes 5 --checkpoint-every 10 --seed 4
promote out/cand-sim2-s4 storm-interp-motion
# 2026-12-03: storm-interp replaced by a fine-tune of itself (seed 3, flow supervision 0.2; run on 2026-12-03 07:40
# under the old validation, which kept step 20). Re-scored as train scores now, it is 3.1 % below the checkpoint it
# started from (0.3027 against 0.3123), more than the 0.5 % margin a replacement needs; two longer fine-tunes of it
# (seeds 3 and 4, 300 steps, lr 1e-4, out/cand-si3-s3, -s4) kept their start. Rerun today, this command validates
# differently and need not keep the same step.
bin/odecast train --dataset storm --task interpolate --name storm-interp --models-dir out/cand-sif \
  --init-from models/storm-interp --augment rotate180 --train-frames 48 --validation-frames 10 --validate-every 10 \
  --length 7 --max-gap 3 --dropout 0.2 --steps 400 --lr 3e-4 --max-minutes 7 --checkpoint-every 100 --seed 3 \
  --flow-weight 0.2
promote out/cand-sif storm-interp
rm -rf models/*/trainer
# Tried and not kept (docs/results-notes.md): the storm interpolator with gaps placed where the stream's fill puts them.
# bin/odecast train --dataset storm --task interpolate --name storm-interp --models-dir out/cand-si3 \
#   --init-from models/storm-interp --augment rotate180,gap-at-end --train-frames 48 --validation-frames 10 \
#   --validate-every 10 --length 7 --max-gap 3 --dropout 0.2 --steps 400 --lr 3e-4 --max-minutes 8 --checkpoint-every 100 \
#   --seed 5
