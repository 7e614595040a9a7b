package io.odecast.train.actor;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The training actor's settings ({@code odecast.trainer}), read once.
 *
 * @param enabled     whether {@code odecast serve} runs the training actor beside serving
 * @param models      model names to record and fine-tune (empty: every forecaster a stream rule names)
 * @param dir         folder of the training sets ({@code <dir>/<model>/}) and candidates
 * @param groupId     consumer group of the frame recorder (its own: serving's offsets are untouched)
 * @param limits      size and age limits of each model's training set
 * @param every       time between scheduled rounds (0: on command only)
 * @param minFrames   frames a round needs to train on (besides the gate's held-out frames)
 * @param steps       optimiser steps per round
 * @param batch       windows per step
 * @param inputs      frames seen before forecasting, in training and at the gate
 * @param length      frames per training window
 * @param learningRate fine-tuning learning rate (lower than from scratch: it starts from the serving weights)
 * @param maxMinutes  wall-clock budget of one round's training (0: none)
 * @param gate        the gate's settings
 * @param keepCandidates candidate checkpoints kept per model ({@code <dir>/<model>/candidates/}, the newest; older
 *                    ones are deleted after each round, so a service that trains for months does not fill its disk)
 */
public record TrainerSettings(boolean enabled, List<String> models, Path dir, String groupId,
                              TrainingSet.Limits limits, Duration every, int minFrames, int steps, int batch,
                              int inputs, int length, double learningRate, double maxMinutes, Gate.Settings gate,
                              int keepCandidates) {

    /** Candidates kept per model when not configured. */
    public static final int KEEP_CANDIDATES = 20;

    public TrainerSettings {
        models = List.copyOf(models);
        if (inputs < 1 || length <= inputs || steps < 1 || batch < 1) {
            throw new IllegalArgumentException("odecast.trainer needs 1 <= inputs < length, steps >= 1 and batch >= 1,"
                    + " got inputs=" + inputs + " length=" + length + " steps=" + steps + " batch=" + batch);
        }
        if (keepCandidates < 1) {
            throw new IllegalArgumentException("odecast.trainer.keep-candidates must be at least 1, got "
                    + keepCandidates);
        }
    }

    /** Settings keeping the default number of candidates. */
    public TrainerSettings(boolean enabled, List<String> models, Path dir, String groupId, TrainingSet.Limits limits,
                           Duration every, int minFrames, int steps, int batch, int inputs, int length,
                           double learningRate, double maxMinutes, Gate.Settings gate) {
        this(enabled, models, dir, groupId, limits, every, minFrames, steps, batch, inputs, length, learningRate,
                maxMinutes, gate, KEEP_CANDIDATES);
    }

    /** Reads {@code trainer} of the resolved {@code odecast} section. */
    public static TrainerSettings fromConfig(Config odecast) {
        Config c = odecast.getConfig("trainer");
        Config set = c.getConfig("training-set");
        Config g = c.getConfig("gate");
        return new TrainerSettings(c.getBoolean("enabled"), c.getStringList("models"), Path.of(c.getString("dir")),
                c.getString("group-id"),
                new TrainingSet.Limits(set.getMemorySize("max-bytes").toBytes(), set.getDuration("max-age"),
                        set.getMemorySize("segment-bytes").toBytes(), set.getDuration("segment-age")),
                c.getDuration("every"), c.getInt("min-frames"), c.getInt("steps"), c.getInt("batch"),
                c.getInt("inputs"), c.getInt("length"), c.getDouble("learning-rate"), c.getDouble("max-minutes"),
                new Gate.Settings(Gate.Metric.parse(g.getString("metric")), g.getDouble("margin"),
                        g.getInt("holdout-frames"), g.getInt("leads")), c.getInt("keep-candidates"));
    }
}
