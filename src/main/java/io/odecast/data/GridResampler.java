package io.odecast.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Resamples every frame of a sequence to a model's {@code height x width} by area averaging
 * ({@link AreaResampler}), so that a grid of any size can feed a small model. Invalid cells do not contribute:
 * an output cell is the mean of the valid area it covers, and is valid when more than half of its area is.
 * Lat/lon axes are averaged the same way.
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

    private static double[] axis(double[] values, int size) {
        if (values == null) {
            return null;
        }
        float[] asFloat = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            asFloat[i] = (float) values[i];
        }
        float[] resized = AreaResampler.resize(asFloat, new GridShape(1, 1, values.length), 1, size);
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = resized[i];
        }
        return out;
    }
}
