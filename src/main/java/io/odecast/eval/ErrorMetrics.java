package io.odecast.eval;

import io.odecast.data.GridShape;

/**
 * Masked per-channel errors between a predicted and a true frame, in the frames' own (physical) units.
 * Cells whose mask entry is false are left out of every sum; a null mask means all cells count.
 */
public final class ErrorMetrics {

    private ErrorMetrics() {
    }

    /**
     * Per-channel error sums of {@code prediction} against {@code truth}.
     *
     * @return one {@link ErrorSums} per channel, in channel order
     */
    public static ErrorSums[] perChannel(GridShape shape, float[] truth, float[] prediction,
            boolean[] valid) {
        shape.requireSize("truth frame", truth.length);
        shape.requireSize("predicted frame", prediction.length);
        shape.requireMask(valid);
        ErrorSums[] result = new ErrorSums[shape.channels()];
        int plane = shape.planeSize();
        for (int c = 0; c < shape.channels(); c++) {
            double sumSq = 0;
            double sumAbs = 0;
            long n = 0;
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                if (valid != null && !valid[i]) {
                    continue;
                }
                double d = (double) prediction[i] - truth[i];
                sumSq += d * d;
                sumAbs += Math.abs(d);
                n++;
            }
            result[c] = new ErrorSums(sumSq, sumAbs, n);
        }
        return result;
    }

    /** Masked mean squared error of one channel. */
    public static double mse(GridShape shape, float[] truth, float[] prediction, boolean[] valid,
            int channel) {
        return perChannel(shape, truth, prediction, valid)[channel].mse();
    }

    /** Masked root mean squared error of one channel. */
    public static double rmse(GridShape shape, float[] truth, float[] prediction, boolean[] valid,
            int channel) {
        return perChannel(shape, truth, prediction, valid)[channel].rmse();
    }

    /** Masked mean absolute error of one channel. */
    public static double mae(GridShape shape, float[] truth, float[] prediction, boolean[] valid,
            int channel) {
        return perChannel(shape, truth, prediction, valid)[channel].mae();
    }

    /**
     * Cells valid in both masks (null = all valid), so that systems whose outputs have different holes
     * (a baseline keeps its inputs' holes) are scored on the same cells.
     *
     * @return null when both masks are null
     */
    public static boolean[] jointMask(boolean[] a, boolean[] b) {
        if (a == null) {
            return b == null ? null : b.clone();
        }
        if (b == null) {
            return a.clone();
        }
        if (a.length != b.length) {
            throw new IllegalArgumentException(
                    "masks differ in length: " + a.length + " vs " + b.length);
        }
        boolean[] both = new boolean[a.length];
        for (int i = 0; i < a.length; i++) {
            both[i] = a[i] && b[i];
        }
        return both;
    }
}
