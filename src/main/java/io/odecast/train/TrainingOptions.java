package io.odecast.train;

import java.nio.file.Path;

/**
 * Everything a training run needs besides the data and the architecture.
 *
 * @param task            extrapolate or interpolate
 * @param inputs          frames the forecaster sees before predicting (extrapolation)
 * @param length          frames per window (inputs + outputs for extrapolation)
 * @param maxGap          longest hidden block in interpolation windows
 * @param dropout         probability of hiding a further input frame (irregular sampling)
 * @param batchSize       windows per step (reference 8)
 * @param steps           total optimiser steps
 * @param maxMinutes      wall-clock budget; the run stops and saves when it is spent (0 = none)
 * @param learningRate    initial learning rate (reference 1e-3)
 * @param lambdaAdv       adversarial weight for critics and generator (reference 0.003; 0 disables the critics)
 * @param clipNorm        global gradient-norm clip (steps with non-finite gradients are always skipped)
 * @param checkpointEvery steps between checkpoints
 * @param validateEvery   steps between validation scores (with validation windows; the best weights are kept)
 * @param seed            seed of initialisation and sampling
 * @param output          checkpoint folder ({@code models/<name>})
 * @param flowWeight      weight of the flow supervision (G's warp flows against dense optical flow between the true
 *                        frames; 0 = none, the reference)
 */
public record TrainingOptions(String task, int inputs, int length, int maxGap, double dropout, int batchSize,
                              int steps, double maxMinutes, double learningRate, double lambdaAdv, double clipNorm,
                              int checkpointEvery, int validateEvery, long seed, Path output, double flowWeight) {

    /** Options without flow supervision. */
    public TrainingOptions(String task, int inputs, int length, int maxGap, double dropout, int batchSize,
                           int steps, double maxMinutes, double learningRate, double lambdaAdv, double clipNorm,
                           int checkpointEvery, int validateEvery, long seed, Path output) {
        this(task, inputs, length, maxGap, dropout, batchSize, steps, maxMinutes, learningRate, lambdaAdv, clipNorm,
                checkpointEvery, validateEvery, seed, output, 0);
    }

    public TrainingOptions {
        if (batchSize < 1 || steps < 0 || length < 2 || checkpointEvery < 1 || validateEvery < 1) {
            throw new IllegalArgumentException("training needs batch >= 1, steps >= 0, window length >= 2 and"
                    + " checkpoint-every and validate-every >= 1");
        }
        if ("extrapolate".equals(task) && (inputs < 1 || inputs >= length)) {
            throw new IllegalArgumentException("extrapolation needs 1 <= inputs < window length, got inputs=" + inputs
                    + " length=" + length);
        }
        if (!(flowWeight >= 0) || Double.isInfinite(flowWeight)) {
            throw new IllegalArgumentException("flow weight must be 0 or positive, got " + flowWeight);
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
    }

    /** Frames the sequence critic sees per sequence: inputs + 1 (extrapolation) or the whole window. */
    public int sequenceFrames() {
        return "extrapolate".equals(task) ? inputs + 1 : length;
    }
}
