package io.odecast.eval;

import io.odecast.model.Observation;
import java.util.ArrayList;
import java.util.List;

/**
 * Reference forecasts a model must beat: persistence, linear extrapolation in time from the last two
 * observations, linear interpolation across a gap, and the two-neighbour average used for video
 * interpolation. Times are arbitrary reals. A cell invalid in any input the result depends on is
 * invalid in the result (mask false, value NaN); without masks in the inputs the result has none.
 */
public final class Baselines {

    private Baselines() {
    }

    /** The last observation repeated at {@code time}. */
    public static Observation persistence(Observation last, double time) {
        return new Observation(time, last.data().clone(),
                last.valid() == null ? null : last.valid().clone());
    }

    /** Persistence of the latest of {@code observed} at each target time. */
    public static List<Observation> persistence(List<Observation> observed, double[] times) {
        Observation last = latest(observed, 1)[0];
        List<Observation> out = new ArrayList<>(times.length);
        for (double t : times) {
            out.add(persistence(last, t));
        }
        return out;
    }

    /**
     * The straight line through {@code previous} and {@code last}, evaluated at {@code time} (usually
     * after {@code last}).
     */
    public static Observation linearExtrapolation(Observation previous, Observation last, double time) {
        requireOrdered(previous, last);
        double w = (time - previous.time()) / (last.time() - previous.time());
        return combine(previous, last, w, time);
    }

    /** Linear extrapolation from the latest two of {@code observed} at each target time. */
    public static List<Observation> linearExtrapolation(List<Observation> observed, double[] times) {
        Observation[] lastTwo = latest(observed, 2);
        List<Observation> out = new ArrayList<>(times.length);
        for (double t : times) {
            out.add(linearExtrapolation(lastTwo[0], lastTwo[1], t));
        }
        return out;
    }

    /** Linear interpolation in time between the neighbours of a gap, {@code before <= time <= after}. */
    public static Observation linearInterpolation(Observation before, Observation after, double time) {
        requireOrdered(before, after);
        if (time < before.time() || time > after.time()) {
            throw new IllegalArgumentException("interpolation time " + time + " is outside the gap ["
                    + before.time() + ", " + after.time() + "]; use linearExtrapolation");
        }
        double w = (time - before.time()) / (after.time() - before.time());
        return combine(before, after, w, time);
    }

    /** Linear interpolation at each time of the gap between {@code before} and {@code after}. */
    public static List<Observation> fillGap(Observation before, Observation after, double[] times) {
        List<Observation> out = new ArrayList<>(times.length);
        for (double t : times) {
            out.add(linearInterpolation(before, after, t));
        }
        return out;
    }

    /**
     * The cell-wise average of the two neighbours, stamped at their mid time: the video-interpolation
     * baseline, which ignores where in the gap the missing frame lies.
     */
    public static Observation neighbourAverage(Observation before, Observation after) {
        requireSameSize(before, after);
        float[] a = before.data();
        float[] b = after.data();
        boolean[] valid = ErrorMetrics.jointMask(before.valid(), after.valid());
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = valid == null || valid[i] ? (float) (((double) a[i] + b[i]) / 2) : Float.NaN;
        }
        return new Observation((before.time() + after.time()) / 2, out, valid);
    }

    /** {@code (1 - w) * first + w * second} per cell; w outside [0,1] extrapolates. */
    private static Observation combine(Observation first, Observation second, double w, double time) {
        requireSameSize(first, second);
        float[] a = first.data();
        float[] b = second.data();
        boolean[] valid = ErrorMetrics.jointMask(first.valid(), second.valid());
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = valid == null || valid[i] ? (float) (a[i] + w * ((double) b[i] - a[i])) : Float.NaN;
        }
        return new Observation(time, out, valid);
    }

    private static Observation[] latest(List<Observation> observed, int n) {
        if (observed.size() < n) {
            throw new IllegalArgumentException("baseline needs at least " + n + " observed frames, got "
                    + observed.size());
        }
        for (int i = 1; i < observed.size(); i++) {
            requireOrdered(observed.get(i - 1), observed.get(i));
        }
        return observed.subList(observed.size() - n, observed.size()).toArray(new Observation[0]);
    }

    private static void requireOrdered(Observation earlier, Observation later) {
        if (!(earlier.time() < later.time())) {
            throw new IllegalArgumentException("observation times must increase strictly, got "
                    + earlier.time() + " then " + later.time());
        }
    }

    private static void requireSameSize(Observation a, Observation b) {
        if (a.data().length != b.data().length) {
            throw new IllegalArgumentException("frames at t=" + a.time() + " and t=" + b.time()
                    + " differ in size: " + a.data().length + " vs " + b.data().length);
        }
    }
}
