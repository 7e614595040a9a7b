package io.odecast.cli;

import io.odecast.data.ChannelNormalization;
import io.odecast.data.FrameSequence;
import io.odecast.data.TimeScale;
import io.odecast.model.Checkpoint;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.train.Augmentation;
import io.odecast.train.Trainer;
import io.odecast.train.TrainingOptions;
import io.odecast.train.TrainingWindows;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code odecast train}: trains a forecaster or an interpolator on the first part of a data set. */
@Command(name = "train", description = "Train a Vid-ODE model (extrapolate or interpolate) and save it under models/.")
final class TrainCommand implements Callable<Integer> {

    /** Model time of one typical data step: a frame of the reference's 10-frame windows. */
    static final double MODEL_TIME_PER_STEP = 0.1;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    DataSourceOptions data;

    @Option(names = "--task", required = true, description = "extrapolate (forecaster) or interpolate (gap filler).")
    String task;

    @Option(names = "--name", required = true, description = "Checkpoint name: the folder under --models-dir.")
    String name;

    @Option(names = "--models-dir", defaultValue = "models", description = "Where checkpoints live (default ${DEFAULT-VALUE}).")
    Path modelsDir;

    @Option(names = "--train-frames", defaultValue = "0",
            description = "Train on the first N frames only (0: all); evaluation uses the rest.")
    int trainFrames;

    @Option(names = "--init-dim", defaultValue = "16", description = "First encoder width (reference 32; default ${DEFAULT-VALUE}).")
    int initDim;

    @Option(names = "--n-downs", defaultValue = "2", description = "Down-samplings (default ${DEFAULT-VALUE}).")
    int nDowns;

    @Option(names = "--n-layers", defaultValue = "2", description = "Hidden convs per ODE function (default ${DEFAULT-VALUE}).")
    int nLayers;

    @Option(names = "--solver", defaultValue = "rk4", description = "Encoder and decoder ODE solver: euler, midpoint, rk4, dopri5 (default ${DEFAULT-VALUE}).")
    String solver;

    @Option(names = "--max-step", defaultValue = "0.1", description = "Largest solver sub-step in model time (default ${DEFAULT-VALUE}).")
    double maxStep;

    @Option(names = "--disc-width", defaultValue = "0.25", description = "Critic width multiplier (reference 1; default ${DEFAULT-VALUE}).")
    double discWidth;

    @Option(names = "--inputs", defaultValue = "4", description = "Frames seen before forecasting (default ${DEFAULT-VALUE}).")
    int inputs;

    @Option(names = "--length", defaultValue = "8", description = "Frames per training window (default ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--max-gap", defaultValue = "3", description = "Longest hidden block for interpolation (default ${DEFAULT-VALUE}).")
    int maxGap;

    @Option(names = "--dropout", defaultValue = "0.25", description = "Probability of hiding a further input frame (default ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--batch", defaultValue = "8", description = "Windows per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--steps", defaultValue = "2000", description = "Optimiser steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--max-minutes", defaultValue = "0", description = "Stop and save after this many minutes (0: no limit).")
    double maxMinutes;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Initial learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--lambda-adv", defaultValue = "0.003", description = "Adversarial weight; 0 disables the critics (default ${DEFAULT-VALUE}).")
    double lambdaAdv;

    @Option(names = "--flow-weight", defaultValue = "0", paramLabel = "W",
            description = "Weight of flow supervision: G's warp flows pulled towards the dense optical flow between the"
                    + " true frames (a motion prior; 0 = none, as the reference; default ${DEFAULT-VALUE}).")
    double flowWeight;

    @Option(names = "--clip", defaultValue = "10", description = "Gradient-norm clip (default ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Steps between checkpoints (default ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--validation-frames", defaultValue = "0",
            description = "Hold out the last N training frames as validation targets and keep the best weights (0: off).")
    int validationFrames;

    @Option(names = "--validation-windows", defaultValue = "32", paramLabel = "N",
            description = "At least N validation windows: the validation starts are visited again with new"
                    + " observation patterns (dropped inputs, gap positions) until there are N (default"
                    + " ${DEFAULT-VALUE}; 1: each start once).")
    int validationWindows;

    @Option(names = "--validate-every", defaultValue = "50", description = "Steps between validations (default ${DEFAULT-VALUE}).")
    int validateEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation and sampling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--resume", description = "Continue from the checkpoint and trainer state in the output folder.")
    boolean resume;

    @Option(names = "--init-from", paramLabel = "DIR",
            description = "Fine-tune: start from the weights of this checkpoint (its architecture, normalisation and"
                    + " time unit are kept; the data must have its channels and shape).")
    Path initFrom;

    @Option(names = "--composition", paramLabel = "paper|residual|residual-motion|motion",
            description = "How a frame is made of G's outputs: paper (the reference's M W + (1-M) D), residual"
                    + " (W + (1-M) D: static regions pass through), residual-motion (residual, the warp adding the"
                    + " optical flow of the last two frames, or of a gap's neighbours, to G's, so zero outputs are the"
                    + " flow extrapolation or interpolation) or motion (that warp alone: G corrects the motion, no D)."
                    + " Default: paper, or the --init-from model's.")
    String composition;

    @Option(names = "--augment", paramLabel = "KINDS", defaultValue = "none",
            description = "Training-window augmentation, comma-separated: flip-x, flip-y (mirrors; the vector"
                    + " component across the mirror changes sign), rotate180 (both), reverse (extrapolation windows"
                    + " backwards in time, vector components negated), gap-at-end (interpolation windows hide the frames"
                    + " just before their last one, as a stream's fill sees a gap); each with probability 1/2 (default"
                    + " ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--vector-channels", paramLabel = "X,Y",
            description = "The channels holding a vector field's x (width) and y (height) components, whose signs"
                    + " --augment changes; 'none' for no vector field. Default: u,v when the data has both.")
    String vectorChannels;

    @Override
    public Integer call() throws Exception {
        DataSourceOptions.Loaded loaded = data.read("64x48");
        FrameSequence all = loaded.frames();
        int n = trainFrames > 0 ? Math.min(trainFrames, all.size()) : all.size();
        FrameSequence train = all.slice(0, n);
        int fitEnd = n - validationFrames;
        if (validationFrames < 0 || fitEnd < length) {
            throw new IllegalArgumentException("--validation-frames " + validationFrames + " leaves " + fitEnd
                    + " frames to train on, fewer than one window of " + length);
        }
        Checkpoint.Metadata parent = initFrom == null ? null : Checkpoint.readMetadata(initFrom);
        Path out = modelsDir.resolve(name);
        // A resumed run keeps the normalisation, time scale and architecture its checkpoint was trained with; so
        // does a fine-tune (its parent's). A new model fits its normalisation on the frames it fits on (the
        // validation frames stay unseen by the fit, statistics included).
        Checkpoint.Metadata base = resume && java.nio.file.Files.exists(out.resolve(Checkpoint.METADATA))
                ? Checkpoint.readMetadata(out) : parent;
        ChannelNormalization norm = base == null ? ChannelNormalization.fit(train.slice(0, fitEnd).frames())
                : ChannelNormalization.of(base.card().mean(), base.card().std());
        Duration unit = base == null ? loaded.timeUnit() : Duration.parse(base.card().timeUnit());
        TimeScale scale = new TimeScale(unit, base == null ? MODEL_TIME_PER_STEP : base.card().timeScale());
        ModelConfig config = base != null ? base.config() : new ModelConfig(all.shape().channels(),
                all.shape().height(), all.shape().width(), initDim, nDowns, nLayers, solver, maxStep, solver, maxStep,
                1e-3, 1e-4, discWidth);
        if (base != null && base != parent && (config.channels() != all.shape().channels()
                || config.height() != all.shape().height() || config.width() != all.shape().width()
                || !base.card().channels().equals(all.channels()) || !base.card().task().equals(task))) {
            throw new IllegalArgumentException("--resume: " + out + " holds a " + base.card().task() + " model of "
                    + base.card().channels() + " " + config.channels() + "x" + config.height() + "x" + config.width()
                    + "; the data is " + all.channels() + " " + all.shape() + " and --task is " + task);
        }
        if (composition != null) {
            config = config.withComposition(composition);
        }
        Augmentation augmentation = Augmentation.parse(augment, vectorChannels, all.channels());
        if (parent != null && (config.channels() != all.shape().channels() || config.height() != all.shape().height()
                || config.width() != all.shape().width() || !parent.card().channels().equals(all.channels())
                || !parent.card().task().equals(task))) {
            throw new IllegalArgumentException("--init-from " + initFrom + " is a " + parent.card().task() + " model of "
                    + parent.card().channels() + " " + config.channels() + "x" + config.height() + "x" + config.width()
                    + "; the data is " + all.channels() + " " + all.shape() + " and --task is " + task);
        }
        float[] mean = new float[norm.channels()];
        float[] std = new float[norm.channels()];
        for (int c = 0; c < mean.length; c++) {
            mean[c] = (float) norm.mean()[c];
            std[c] = (float) norm.std()[c];
        }
        Double fill = Double.isNaN(all.fillValue()) ? null : all.fillValue();
        ModelCard card = new ModelCard(name, task, all.channels(), mean, std, fill, unit.toString(), scale.scale(),
                null, null, all.units() == null ? List.of() : Arrays.asList(all.units()));
        TrainingOptions options = new TrainingOptions(task, inputs, length, maxGap, dropout, batch, steps, maxMinutes, lr,
                lambdaAdv, clip, checkpointEvery, validateEvery, seed, out, flowWeight);
        TrainingWindows windows = new TrainingWindows(train.slice(0, fitEnd), norm, scale, task, inputs, length, maxGap,
                dropout, seed, augmentation);
        List<TrainingWindows.Sample> validation = validationFrames == 0 ? List.of()
                : validationWindows(train, norm, scale, fitEnd);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("command", Odecast.commandText(spec));
        record.put("data", loaded.description());
        record.put("frames", all.size());
        record.put("train_frames", List.of(0, n));
        record.put("test_frames", List.of(n, all.size()));
        record.put("composition", config.composition());
        record.put("augmentation", augmentation.describe(all.channels()));
        record.put("normalization", base == parent && parent != null ? "the parent's (--init-from)"
                : base != null ? "the resumed checkpoint's" : "fitted on frames 0.." + fitEnd);
        if (validationFrames > 0) {
            record.put("fit_frames", List.of(0, fitEnd));
            record.put("validation_frames", List.of(fitEnd, n));
            record.put("validation_windows", validation.size() + " (observation patterns drawn with seed "
                    + VALIDATION_SEED + ", whatever --seed is)");
        }
        long started = System.nanoTime();
        try (Trainer trainer = new Trainer(config, card, windows, validation, options, System.err)) {
            if (resume && trainer.resumeIfPossible()) {
                System.err.println("resuming " + out + " at step " + trainer.step());
            } else if (parent != null) {
                trainer.network().parameters().load(initFrom.resolve(Checkpoint.PARAMETERS));
                record.put("init_from", initFrom + " (version " + trainer.network().parameters().version() + ")");
                System.err.println("fine-tuning from " + initFrom);
            }
            if (config.motionPrior() && !(resume && trainer.step() > 0)
                    && (parent == null || !parent.config().motionPrior())) {
                // A new motion-prior model (or one of another composition) starts with G silent: it is then the flow
                // baseline (extrapolation or interpolation), and training learns the correction from there.
                trainer.network().silenceDecoderOutput();
                record.put("decoder_output", "zeroed at the start (the untrained model is the flow baseline)");
            }
            if (trainer.step() == 0 && (parent != null || config.motionPrior())) {
                // A start that is already a model (a parent, or the flow baseline) is scored first and kept unless a
                // step validates better.
                trainer.keepStartUnlessBeaten();
            }
            Trainer.Result r = trainer.run(record);
            System.out.printf("trained %s to step %d (%d skipped) in %.1f min; the checkpoint holds step %s: version"
                    + " %s in %s%n", name, r.lastStep(), r.skippedSteps(), (System.nanoTime() - started) / 60e9,
                    r.keptStep() < 0 ? "(none this run)" : r.keptStep(), r.version(), out);
        }
        return 0;
    }

    /**
     * The seed of the validation windows' observation patterns (dropped inputs, gap positions). It is fixed, not
     * derived from {@code --seed}: runs with different seeds are then scored on the same windows, so that choosing
     * among them by validation compares models, not draws. (Until 2026-12-03 it was {@code --seed + 1000}; runs
     * with seed 0 drew the same windows as now.)
     */
    static final long VALIDATION_SEED = 1000;

    /** Most validation windows: each is a whole window of frames held in memory for every score. */
    static final int MAX_VALIDATION_WINDOWS = 1024;

    /** The validation windows: those whose targets lie in frames {@code fitEnd..}, with fixed observation patterns. */
    List<TrainingWindows.Sample> validationWindows(FrameSequence train, ChannelNormalization norm, TimeScale scale,
                                                   int fitEnd) {
        if (validationWindows < 1 || validationWindows > MAX_VALIDATION_WINDOWS) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--validation-windows must be 1.."
                    + MAX_VALIDATION_WINDOWS + ", got " + validationWindows);
        }
        return new TrainingWindows(train, norm, scale, task, inputs, length, maxGap, dropout, VALIDATION_SEED)
                .fixedFrom(fitEnd, validationWindows);
    }
}
