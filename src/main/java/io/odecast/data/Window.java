package io.odecast.data;

import java.time.Instant;
import java.util.List;

/**
 * One training or evaluation sample: a window of normalised frames with model times, which positions the
 * encoder observes and which it must predict.
 *
 * @param shape         frame shape
 * @param sourceIndices position in the source sequence of each window position
 * @param instants      real time of each window position
 * @param frames        normalised frames, one per position (invalid cells and missing frames are 0); these are
 *                      the ground truth, the encoder must only read the observed ones
 * @param valid         per-cell validity of each frame ({@code null} entry: all valid)
 * @param times         model time of each position
 * @param observed      whether the encoder sees each position (false for frames flagged missing)
 * @param targets       positions to predict and score, increasing (missing frames are never targets)
 */
public record Window(GridShape shape, int[] sourceIndices, List<Instant> instants, float[][] frames,
                     boolean[][] valid, double[] times, boolean[] observed, int[] targets) {

    /** Checks that the per-position arrays have the same length. */
    public Window {
        int n = sourceIndices.length;
        instants = List.copyOf(instants);
        if (instants.size() != n || frames.length != n || valid.length != n || times.length != n
                || observed.length != n) {
            throw new IllegalArgumentException("window arrays must all have " + n + " positions");
        }
    }

    /** Number of positions. */
    public int length() {
        return times.length;
    }

    /** Number of observed positions. */
    public int observedCount() {
        int n = 0;
        for (boolean o : observed) {
            if (o) {
                n++;
            }
        }
        return n;
    }

    /** Positions the encoder sees, increasing. */
    public int[] observedIndices() {
        int[] out = new int[observedCount()];
        int k = 0;
        for (int i = 0; i < observed.length; i++) {
            if (observed[i]) {
                out[k++] = i;
            }
        }
        return out;
    }
}
