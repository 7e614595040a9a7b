package io.odecast.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Resamples every frame of a sequence to a model's {@code height x width} by area averaging
 * ({@link AreaResampler}), so that a grid of any size can feed a small model. Invalid cells do not contribute:
 * an output cell is the mean of the valid area it covers, and is valid when more than half of its area is.
 * Lat/lon axes give each new cell the coordinate of its centre.
 */
public final class GridResampler {

    private final int height;
    private final int width;

    /** A resampler to {@code height x width}. */
    public GridResampler(int height, int width) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("resample size must be positive, got " + width + "x" + height);
        }
        this.height = height;
        this.width = width;
    }

    /** {@code sequence} at the new size; the same sequence when it already has it. */
    public FrameSequence apply(FrameSequence sequence) {
        GridShape from = sequence.shape();
        if (from.height() == height && from.width() == width) {
            return sequence;
        }
        GridShape to = new GridShape(from.channels(), height, width);
        List<TimedFrame> frames = new ArrayList<>(sequence.size());
        for (TimedFrame f : sequence.frames()) {
            frames.add(f.missing() ? TimedFrame.absent(f.time(), f.channels(), to) : resample(f, to));
        }
        return new FrameSequence(sequence.name(), sequence.channels(), to, frames, axis(sequence.lat(), height),
                axis(sequence.lon(), width), sequence.units(), sequence.fillValue(), sequence.nominalStep());
    }

    private TimedFrame resample(TimedFrame f, GridShape to) {
        GridShape from = f.shape();
        if (f.valid() == null) {
            return TimedFrame.of(f.time(), f.channels(), to, AreaResampler.resize(f.data(), from, height, width));
        }
        float[] weighted = new float[from.size()];
        float[] weight = new float[from.size()];
        for (int i = 0; i < weighted.length; i++) {
            if (f.valid()[i]) {
                weighted[i] = f.data()[i];
                weight[i] = 1;
            }
        }
        float[] sum = AreaResampler.resize(weighted, from, height, width);
        float[] fraction = AreaResampler.resize(weight, from, height, width);
        float[] data = new float[to.size()];
        boolean[] valid = new boolean[to.size()];
        boolean allValid = true;
        for (int i = 0; i < data.length; i++) {
            valid[i] = fraction[i] > 0.5f;
            data[i] = valid[i] ? sum[i] / fraction[i] : Float.NaN;
            allValid &= valid[i];
        }
        return new TimedFrame(f.time(), f.channels(), to, data, allValid ? null : valid, false);
    }

    /**
     * The axis at {@code size} cells: the coordinate at each new cell's centre, interpolated linearly between the old
     * centres (extrapolated by the end spacing beyond them). Output cell {@code i} covers old cells
     * {@code [i n / size, (i + 1) n / size)}, so its centre lies at old index {@code (i + 0.5) n / size - 0.5}; on a
     * regular axis this is the mean of the centres it covers when shrinking, and a finer regular axis when growing.
     */
    static double[] axis(double[] values, int size) {
        if (values == null) {
            return null;
        }
        int n = values.length;
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            double at = (i + 0.5) * n / size - 0.5;
            if (n == 1) {
                out[i] = values[0];
                continue;
            }
            int k = (int) Math.max(0, Math.min(n - 2, Math.floor(at)));
            out[i] = values[k] + (at - k) * (values[k + 1] - values[k]);
        }
        return out;
    }
}
