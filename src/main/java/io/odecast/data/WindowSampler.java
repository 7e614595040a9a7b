package io.odecast.data;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Cuts {@link Window}s out of a {@link FrameSequence} as the Vid-ODE reference does (spec 2.4 and 2.5), with
 * sample size S (default 10) and irregular window size W (default 20).
 *
 * <ul>
 *   <li>Regular interpolation, train: every 2nd frame of S consecutive frames, all observed and all targets,
 *       times {@code k/(S/2)}. Test: S consecutive frames, even positions observed, odd positions except the
 *       last are targets, times {@code k/S}.</li>
 *   <li>Regular extrapolation: S consecutive frames, times {@code k/S}, the first S/2 observed, the last S/2
 *       targets.</li>
 *   <li>Irregular interpolation: W consecutive frames, times {@code k/W}; positions 0 and W-1 plus S-2 random
 *       interior positions observed; targets are the observed positions (reconstruction, as the reference
 *       trains).</li>
 *   <li>Irregular extrapolation: W frames, times {@code k/W}; position 0 and S/2-1 random positions of
 *       {@code [1, W/2)} observed; S/2-1 random positions of {@code [W/2, W-1)} and position W-1 are targets.</li>
 * </ul>
 *
 * <p>Train windows start at a random position (regular: uniform in {@code [0, n-S]}; irregular: uniform in
 * {@code [0, n-W-1]} when {@code n > W}); test windows start at 0 unless a start is given. Real gaps: a frame
 * flagged {@link TimedFrame#missing() missing} is never observed and never a target. With a {@link TimeScale},
 * model times come from the frames' real timestamps relative to the window's first frame instead of the
 * index.
 */
public final class WindowSampler {

    /** What the window is for. */
    public enum Task {
        /** Fill frames between observed ones on a regular grid. */
        REGULAR_INTERPOLATION,
        /** Predict the next S/2 frames from S/2 regular ones. */
        REGULAR_EXTRAPOLATION,
        /** Reconstruct randomly observed frames of a W-frame window. */
        IRREGULAR_INTERPOLATION,
        /** Predict random frames of the second half from random frames of the first half. */
        IRREGULAR_EXTRAPOLATION
    }

    /** Training (random start) or testing (start 0, evaluation targets). */
    public enum Phase {
        /** Random window start; regular interpolation reconstructs its inputs. */
        TRAIN,
        /** Start 0 unless given; regular interpolation predicts the in-between frames. */
        TEST
    }

    private final int sampleSize;
    private final int windowSize;
    private final ChannelNormalization normalization;
    private final TimeScale timeScale;
    private final Random random;

    /**
     * A sampler.
     *
     * @param sampleSize    S, even and at least 4
     * @param windowSize    W, at least S
     * @param normalization applied to every frame
     * @param timeScale     maps real timestamps to model time; {@code null} for the reference's index / length
     * @param seed          seed of the window starts and irregular positions
     */
    public WindowSampler(int sampleSize, int windowSize, ChannelNormalization normalization, TimeScale timeScale,
                         long seed) {
        if (sampleSize < 4 || sampleSize % 2 != 0 || windowSize < sampleSize) {
            throw new IllegalArgumentException("need an even sample size >= 4 and window size >= sample size, got S="
                    + sampleSize + " W=" + windowSize);
        }
        this.sampleSize = sampleSize;
        this.windowSize = windowSize;
        this.normalization = normalization;
        this.timeScale = timeScale;
        this.random = new Random(seed);
    }

    /** The reference defaults S = 10, W = 20, with index-based times. */
    public static WindowSampler defaults(ChannelNormalization normalization, long seed) {
        return new WindowSampler(10, 20, normalization, null, seed);
    }

    /** Number of consecutive source frames a window of {@code task} spans. */
    public int span(Task task) {
        return switch (task) {
            case REGULAR_INTERPOLATION, REGULAR_EXTRAPOLATION -> sampleSize;
            case IRREGULAR_INTERPOLATION, IRREGULAR_EXTRAPOLATION -> windowSize;
        };
    }

    /** A window at the phase's start (random for training, 0 for testing). */
    public Window sample(FrameSequence seq, Task task, Phase phase) {
        requireLength(seq, task);
        int start = 0;
        if (phase == Phase.TRAIN) {
            int n = seq.size();
            boolean regular = task == Task.REGULAR_INTERPOLATION || task == Task.REGULAR_EXTRAPOLATION;
            if (regular) {
                start = random.nextInt(n - sampleSize + 1);
            } else if (n > windowSize) {
                start = random.nextInt(n - windowSize);
            }
        }
        return sampleAt(seq, task, phase, start);
    }

    /** A window starting at source frame {@code start}. */
    public Window sampleAt(FrameSequence seq, Task task, Phase phase, int start) {
        requireLength(seq, task);
        if (start < 0 || start + span(task) > seq.size()) {
            throw new IllegalArgumentException(task + " window of " + span(task) + " frames cannot start at " + start
                    + " in " + seq.name() + " of " + seq.size() + " frames");
        }
        int half = sampleSize / 2;
        return switch (task) {
            case REGULAR_INTERPOLATION -> phase == Phase.TRAIN
                    ? build(seq, stride(start, half, 2), all(half), all(half), half)
                    : build(seq, stride(start, sampleSize, 1), evenPositions(sampleSize),
                            oddPositionsButLast(sampleSize), sampleSize);
            case REGULAR_EXTRAPOLATION -> build(seq, stride(start, sampleSize, 1), range(0, half),
                    range(half, sampleSize), sampleSize);
            case IRREGULAR_INTERPOLATION -> {
                int[] obs = union(new int[] {0, windowSize - 1}, choose(1, windowSize - 1, sampleSize - 2));
                yield build(seq, stride(start, windowSize, 1), obs, obs, windowSize);
            }
            case IRREGULAR_EXTRAPOLATION -> build(seq, stride(start, windowSize, 1),
                    union(new int[] {0}, choose(1, windowSize / 2, half - 1)),
                    union(new int[] {windowSize - 1}, choose(windowSize / 2, windowSize - 1, half - 1)), windowSize);
        };
    }

    private Window build(FrameSequence seq, int[] source, int[] observedPositions, int[] targetPositions,
                         int timeDivisor) {
        int n = source.length;
        List<Instant> instants = new ArrayList<>(n);
        float[][] frames = new float[n][];
        boolean[][] valid = new boolean[n][];
        double[] times = new double[n];
        boolean[] present = new boolean[n];
        Instant origin = seq.frame(source[0]).time();
        for (int k = 0; k < n; k++) {
            TimedFrame f = seq.frame(source[k]);
            instants.add(f.time());
            frames[k] = normalization.normalize(f);
            valid[k] = f.valid() == null ? null : f.valid().clone();
            times[k] = timeScale == null ? (double) k / timeDivisor : timeScale.modelTime(origin, f.time());
            present[k] = !f.missing();
        }
        boolean[] observed = new boolean[n];
        for (int p : observedPositions) {
            observed[p] = present[p];
        }
        int[] targets = Arrays.stream(targetPositions).filter(p -> present[p]).toArray();
        return new Window(seq.shape(), source, instants, frames, valid, times, observed, targets);
    }

    /** {@code count} distinct sorted positions drawn uniformly from {@code [from, to)}. */
    private int[] choose(int from, int to, int count) {
        int[] pool = range(from, to);
        if (count > pool.length) {
            throw new IllegalArgumentException("cannot draw " + count + " positions from [" + from + ", " + to + ")");
        }
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(pool.length - i);
            int tmp = pool[i];
            pool[i] = pool[j];
            pool[j] = tmp;
        }
        int[] out = Arrays.copyOf(pool, count);
        Arrays.sort(out);
        return out;
    }

    private void requireLength(FrameSequence seq, Task task) {
        if (seq.size() < span(task)) {
            throw new IllegalArgumentException(seq.name() + " has " + seq.size() + " frames, a " + task
                    + " window needs " + span(task));
        }
    }

    private static int[] stride(int start, int count, int step) {
        int[] out = new int[count];
        for (int k = 0; k < count; k++) {
            out[k] = start + k * step;
        }
        return out;
    }

    private static int[] range(int from, int to) {
        return stride(from, to - from, 1);
    }

    private static int[] all(int n) {
        return range(0, n);
    }

    private static int[] evenPositions(int n) {
        return stride(0, (n + 1) / 2, 2);
    }

    private static int[] oddPositionsButLast(int n) {
        return Arrays.stream(stride(1, n / 2, 2)).filter(p -> p != n - 1).toArray();
    }

    private static int[] union(int[] a, int[] b) {
        return java.util.stream.IntStream.concat(Arrays.stream(a), Arrays.stream(b)).distinct().sorted().toArray();
    }
}
