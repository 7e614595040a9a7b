package io.odecast.data;

import java.util.Arrays;
import java.util.List;

/**
 * Per-channel affine normalisation {@code (x - mean) / std}, fitted over the valid cells of a set of frames
 * (the training part only, so evaluation data does not leak into it). Invalid cells become 0 after
 * normalisation, as the model's validity mask expects.
 *
 * @param mean per-channel mean in physical units
 * @param std  per-channel standard deviation, positive
 */
public record ChannelNormalization(double[] mean, double[] std) {

    /** Checks the lengths and that every std is positive. */
    public ChannelNormalization {
        if (mean.length != std.length) {
            throw new IllegalArgumentException(mean.length + " means for " + std.length + " standard deviations");
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("standard deviations must be positive, got " + Arrays.toString(std));
            }
        }
    }

    /** No change: mean 0 and std 1 for each of {@code channels} channels (e.g. video already in [0,1]). */
    public static ChannelNormalization identity(int channels) {
        double[] std = new double[channels];
        Arrays.fill(std, 1.0);
        return new ChannelNormalization(new double[channels], std);
    }

    /**
     * Mean and (population) standard deviation per channel over the valid cells of {@code frames}; missing
     * frames are skipped. A channel with no spread gets std 1.
     *
     * @throws IllegalArgumentException if a channel has no valid cell
     */
    public static ChannelNormalization fit(List<TimedFrame> frames) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("cannot fit a normalisation on no frames");
        }
        GridShape shape = frames.get(0).shape();
        int channels = shape.channels();
        int plane = shape.planeSize();
        double[] sum = new double[channels];
        double[] sumSq = new double[channels];
        long[] count = new long[channels];
        double[] shift = new double[channels];
        boolean[] shiftSet = new boolean[channels];
        for (TimedFrame f : frames) {
            if (f.missing()) {
                continue;
            }
            for (int c = 0; c < channels; c++) {
                for (int i = c * plane; i < (c + 1) * plane; i++) {
                    if (!f.isValid(i)) {
                        continue;
                    }
                    if (!shiftSet[c]) {
                        // shifting by a sample value keeps the variance sum accurate for e.g. pressure in Pa
                        shift[c] = f.data()[i];
                        shiftSet[c] = true;
                    }
                    double d = f.data()[i] - shift[c];
                    sum[c] += d;
                    sumSq[c] += d * d;
                    count[c]++;
                }
            }
        }
        double[] mean = new double[channels];
        double[] std = new double[channels];
        for (int c = 0; c < channels; c++) {
            if (count[c] == 0) {
                throw new IllegalArgumentException("channel " + frames.get(0).channels().get(c)
                        + " has no valid cell to fit a normalisation on");
            }
            double m = sum[c] / count[c];
            double var = Math.max(0, sumSq[c] / count[c] - m * m);
            mean[c] = shift[c] + m;
            std[c] = var > 0 ? Math.sqrt(var) : 1.0;
        }
        return new ChannelNormalization(mean, std);
    }

    /** Number of channels. */
    public int channels() {
        return mean.length;
    }

    /** Normalised copy of {@code frame}'s values; invalid cells are 0. */
    public float[] normalize(TimedFrame frame) {
        GridShape shape = frame.shape();
        requireChannels(shape);
        int plane = shape.planeSize();
        float[] out = new float[shape.size()];
        for (int c = 0; c < shape.channels(); c++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                out[i] = frame.isValid(i) ? (float) ((frame.data()[i] - mean[c]) / std[c]) : 0f;
            }
        }
        return out;
    }

    /** The normalisation a model card records (its per-channel mean and std, as floats). */
    public static ChannelNormalization of(float[] mean, float[] std) {
        double[] m = new double[mean.length];
        double[] s = new double[std.length];
        for (int c = 0; c < m.length; c++) {
            m[c] = mean[c];
        }
        for (int c = 0; c < s.length; c++) {
            s[c] = std[c];
        }
        return new ChannelNormalization(m, s);
    }

    /** Normalised copy of physical {@code values} of shape {@code shape}, every cell. */
    public float[] normalize(float[] values, GridShape shape) {
        return perChannel(values, shape, (v, c) -> (v - mean[c]) / std[c]);
    }

    /** Physical values from normalised {@code values} of shape {@code shape}. */
    public float[] denormalize(float[] values, GridShape shape) {
        return perChannel(values, shape, (v, c) -> v * std[c] + mean[c]);
    }

    /** A copy of {@code values} with {@code f(value, channel)} applied to every cell. */
    private float[] perChannel(float[] values, GridShape shape, CellMap f) {
        requireChannels(shape);
        int plane = shape.planeSize();
        float[] out = new float[values.length];
        for (int c = 0; c < shape.channels(); c++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                out[i] = (float) f.apply(values[i], c);
            }
        }
        return out;
    }

    @FunctionalInterface
    private interface CellMap {
        double apply(double value, int channel);
    }

    private void requireChannels(GridShape shape) {
        if (shape.channels() != mean.length) {
            throw new IllegalArgumentException("normalisation has " + mean.length + " channels, frame has "
                    + shape.channels());
        }
    }
}
