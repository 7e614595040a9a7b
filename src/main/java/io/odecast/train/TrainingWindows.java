package io.odecast.train;

import io.odecast.data.ChannelNormalization;
import io.odecast.data.FrameSequence;
import io.odecast.data.TimeScale;
import io.odecast.data.TimedFrame;

import java.util.Random;

/**
 * Draws training windows for the two tasks from a sequence (the training part only).
 *
 * <p>Extrapolation: {@code inputs + outputs} consecutive frames; the forward encoder sees the inputs (each
 * input but the last dropped with probability {@code dropout}, so the model learns irregular arrivals) and the
 * decoder predicts the outputs from the last input. Interpolation: {@code length} consecutive frames; the
 * first and last are observed, a random block of 1 to {@code maxGap} interior frames is hidden, other interior
 * frames are hidden with probability {@code dropout}, and every frame is a target, so the model is trained on
 * exactly what gap filling asks of it (the reference only reconstructs observed frames). Interpolation windows
 * are run backwards in time half of the time (see {@link #reversed}).
 */
public final class TrainingWindows {

    /** One window: normalised frames, 0/1 validity per cell, observed flags and model times. */
    public record Sample(float[][] frames, float[][] valid, boolean[] observed, double[] times) {
    }

    private final FrameSequence sequence;
    private final ChannelNormalization normalization;
    private final TimeScale timeScale;
    private final String task;
    private final int inputs;
    private final int length;
    private final int maxGap;
    private final double dropout;
    private final Random random;
    private final Augmentation augmentation;

    public TrainingWindows(FrameSequence sequence, ChannelNormalization normalization, TimeScale timeScale, String task,
                           int inputs, int length, int maxGap, double dropout, long seed) {
        this(sequence, normalization, timeScale, task, inputs, length, maxGap, dropout, seed, Augmentation.NONE);
    }

    /** Windows augmented by {@code augmentation} (see {@link Augmentation}; never use it for validation windows). */
    public TrainingWindows(FrameSequence sequence, ChannelNormalization normalization, TimeScale timeScale, String task,
                           int inputs, int length, int maxGap, double dropout, long seed, Augmentation augmentation) {
        if (sequence.size() < length) {
            throw new IllegalArgumentException(sequence.name() + " has " + sequence.size()
                    + " frames, fewer than one window of " + length);
        }
        if (!"extrapolate".equals(task) && !"interpolate".equals(task)) {
            throw new IllegalArgumentException("task must be extrapolate or interpolate, got " + task);
        }
        this.sequence = sequence;
        this.normalization = normalization;
        this.timeScale = timeScale;
        this.task = task;
        this.inputs = inputs;
        this.length = length;
        this.maxGap = maxGap;
        this.dropout = dropout;
        this.random = new Random(seed);
        this.augmentation = augmentation;
    }

    /** Number of distinct window starts (one epoch visits each once on average). */
    public int starts() {
        return sequence.size() - length + 1;
    }

    public int length() {
        return length;
    }

    /** A random window whose decoder start frame exists (not flagged missing). */
    public Sample next() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            Sample s = at(random.nextInt(starts()));
            if (s != null) {
                return s;
            }
        }
        throw new IllegalStateException(sequence.name() + ": no usable training window (too many missing frames)");
    }

    /**
     * Fixed validation windows: every start whose scored frames (outputs for extrapolation, the whole window
     * for interpolation) lie at or after {@code firstTarget}, with observation patterns drawn once from the seed.
     */
    public java.util.List<Sample> fixedFrom(int firstTarget) {
        return fixedFrom(firstTarget, 1);
    }

    /**
     * As {@link #fixedFrom(int)}, with the starts visited again, each time with new observation patterns, until
     * there are at least {@code minWindows} windows (or once, when the patterns cannot differ: extrapolation
     * without dropout). A few starts with one draw each score a model on a handful of gap positions; several
     * draws make the score a property of the model rather than of the draw.
     */
    public java.util.List<Sample> fixedFrom(int firstTarget, int minWindows) {
        java.util.List<Sample> out = new java.util.ArrayList<>();
        int earliest = "extrapolate".equals(task) ? firstTarget - inputs : firstTarget;
        boolean redraws = !"extrapolate".equals(task) || dropout > 0;
        do {
            int before = out.size();
            for (int start = Math.max(0, earliest); start < starts(); start++) {
                Sample s = at(start);
                if (s != null) {
                    out.add(s);
                }
            }
            if (out.size() == before) {
                break;
            }
        } while (redraws && out.size() < minWindows);
        return out;
    }

    /** The window starting at {@code start} with a random observation pattern, or null if unusable. */
    Sample at(int start) {
        float[][] frames = new float[length][];
        float[][] valid = new float[length][];
        boolean[] present = new boolean[length];
        double[] times = new double[length];
        TimedFrame first = sequence.frame(start);
        for (int i = 0; i < length; i++) {
            TimedFrame f = sequence.frame(start + i);
            frames[i] = normalization.normalize(f);
            valid[i] = new float[frames[i].length];
            for (int j = 0; j < valid[i].length; j++) {
                valid[i][j] = !f.missing() && f.isValid(j) && Float.isFinite(f.data()[j]) ? 1f : 0f;
            }
            present[i] = !f.missing();
            times[i] = timeScale.modelTime(first.time(), f.time());
        }
        if (augmentation.any()) {
            augment(frames, valid, present, times);
        }
        boolean[] observed = new boolean[length];
        if ("extrapolate".equals(task)) {
            if (!present[inputs - 1]) {
                return null;
            }
            for (int i = 0; i < inputs; i++) {
                observed[i] = present[i] && (i == inputs - 1 || random.nextDouble() >= dropout);
            }
        } else {
            if (!present[0] || !present[length - 1]) {
                return null;
            }
            int gap = 1 + random.nextInt(Math.min(maxGap, length - 2));
            int gapStart = augmentation.has("gap-at-end") && random.nextBoolean() ? length - 1 - gap
                    : 1 + random.nextInt(length - 1 - gap);
            for (int i = 0; i < length; i++) {
                boolean hidden = i >= gapStart && i < gapStart + gap;
                boolean interior = i > 0 && i < length - 1;
                observed[i] = present[i] && !hidden && !(interior && random.nextDouble() < dropout);
            }
        }
        if (!"extrapolate".equals(task) && random.nextBoolean()) {
            return reversed(new Sample(frames, valid, observed, times));
        }
        return new Sample(frames, valid, observed, times);
    }

    /** Applies the augmentation drawn for this window to its frames, validity, presence and times in place. */
    private void augment(float[][] frames, float[][] valid, boolean[] present, double[] times) {
        boolean rotate = augmentation.has("rotate180") && random.nextBoolean();
        boolean mirrorX = rotate ^ (augmentation.has("flip-x") && random.nextBoolean());
        boolean mirrorY = rotate ^ (augmentation.has("flip-y") && random.nextBoolean());
        boolean reverse = "extrapolate".equals(task) && augmentation.has("reverse") && random.nextBoolean();
        if (reverse) {
            int n = times.length;
            double end = times[n - 1];
            for (int i = 0, j = n - 1; i < j; i++, j--) {
                float[] f = frames[i];
                frames[i] = frames[j];
                frames[j] = f;
                float[] v = valid[i];
                valid[i] = valid[j];
                valid[j] = v;
                boolean p = present[i];
                present[i] = present[j];
                present[j] = p;
                double t = times[i];
                times[i] = times[j];
                times[j] = t;
            }
            for (int i = 0; i < n; i++) {
                times[i] = end - times[i];
            }
        }
        if (!mirrorX && !mirrorY && !reverse) {
            return;
        }
        var shape = sequence.shape();
        for (int i = 0; i < frames.length; i++) {
            frames[i] = Augmentation.transform(frames[i], valid[i], shape.channels(), shape.height(), shape.width(),
                    mirrorX, mirrorY, mirrorX ^ reverse, mirrorY ^ reverse, augmentation.uChannel(),
                    augmentation.vChannel(), normalization);
            valid[i] = Augmentation.mirror(valid[i], shape.channels(), shape.height(), shape.width(), mirrorX, mirrorY);
        }
    }

    /**
     * The window run backwards in time. Interpolation windows are reversed half of the time so that the
     * interpolator also learns to render a gap from its right neighbour: {@code VidOdeModel.interpolate} blends
     * a forward and a time-reversed pass.
     */
    static Sample reversed(Sample s) {
        int n = s.times().length;
        float[][] frames = new float[n][];
        float[][] valid = new float[n][];
        boolean[] observed = new boolean[n];
        double[] times = new double[n];
        for (int i = 0; i < n; i++) {
            frames[i] = s.frames()[n - 1 - i];
            valid[i] = s.valid()[n - 1 - i];
            observed[i] = s.observed()[n - 1 - i];
            times[i] = s.times()[n - 1] - s.times()[n - 1 - i];
        }
        return new Sample(frames, valid, observed, times);
    }
}
