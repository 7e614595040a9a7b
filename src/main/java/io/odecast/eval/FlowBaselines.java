package io.odecast.eval;

import io.odecast.data.GridShape;
import io.odecast.flow.Bilinear;
import io.odecast.flow.MotionField;
import io.odecast.model.Observation;

/**
 * The optical-flow baselines forecasters and video engineers use: extrapolation as the pySTEPS
 * "extrapolation" nowcast does it (a motion field from the last two frames, then semi-Lagrangian backward
 * advection of the last frame to each lead), and, for gap filling, flow-based interpolation from both
 * neighbours. Values at positions traced outside the grid are taken from its nearest edge.
 */
public final class FlowBaselines {

    private final GridShape shape;

    /** Baselines for frames of {@code shape}. */
    public FlowBaselines(GridShape shape) {
        this.shape = shape;
    }

    /**
     * How far from a whole number of intervals a lead may be and still count as that many (times in model units,
     * as differences of large absolute times, carry rounding of about 1e-8 of an interval for fine time units; the
     * solvers use the same tolerance).
     */
    static final double WHOLE_TOLERANCE = io.odecast.ode.FixedStepSolver.STEP_TOLERANCE;

    /**
     * The last frame advected to {@code time} along the motion from {@code previous} to {@code last}, taken as
     * steady: the value at x is the last frame's value at the point whose path reaches x, traced backward in
     * {@code ceil(lead)} sub-steps (lead in units of the {@code previous -> last} interval). The mask is the
     * last frame's.
     */
    public Observation extrapolate(Observation previous, Observation last, double time) {
        return extrapolate(previous, last, new double[] {time}).get(0);
    }

    /** {@link #extrapolate(Observation, Observation, double)} at several times, the motion field computed once. */
    public java.util.List<Observation> extrapolate(Observation previous, Observation last, double[] times) {
        MotionField motion = MotionField.between(shape, previous.data(), previous.valid(), last.data(), last.valid());
        float[] source = finite(last.data(), last.valid());
        java.util.List<Observation> out = new java.util.ArrayList<>(times.length);
        // Whole leads in increasing order (the usual forecast grid) continue one traced path: lead k's k unit steps
        // are lead k-1's plus one, the same arithmetic in the same order as tracing each lead on its own.
        Paths paths = new Paths();
        for (double time : times) {
            double lead = (time - last.time()) / (last.time() - previous.time());
            long whole = Math.round(lead);
            float[] values = whole >= paths.steps && whole >= 1 && Math.abs(lead - whole) < WHOLE_TOLERANCE
                    ? paths.sampleAfter((int) whole, source, motion)
                    : advectFinite(source, motion, lead);
            out.add(new Observation(time, values, last.valid() == null ? null : last.valid().clone()));
        }
        return out;
    }

    /** Every cell's backward path in unit steps, advanced on demand. */
    private final class Paths {
        final double[] py = new double[shape.height() * shape.width()];
        final double[] px = new double[py.length];
        int steps;

        Paths() {
            int w = shape.width();
            for (int i = 0; i < py.length; i++) {
                py[i] = i / w;
                px[i] = i % w;
            }
        }

        float[] sampleAfter(int k, float[] source, MotionField motion) {
            for (; steps < k; steps++) {
                for (int i = 0; i < py.length; i++) {
                    double vy = motion.dyAt(py[i], px[i]);
                    double vx = motion.dxAt(py[i], px[i]);
                    py[i] -= vy;
                    px[i] -= vx;
                }
            }
            return sample(source, py, px);
        }
    }

    /**
     * The frame at {@code time} between {@code before} and {@code after}: each neighbour warped along the flow
     * towards the other by the query's share of the gap, blended with the weights of linear interpolation.
     * Cells invalid in either neighbour are invalid.
     */
    public Observation interpolate(Observation before, Observation after, double time) {
        return interpolate(before, after, new double[] {time}).get(0);
    }

    /** {@link #interpolate(Observation, Observation, double)} at several times, both motion fields computed once. */
    public java.util.List<Observation> interpolate(Observation before, Observation after, double[] times) {
        MotionField forward = MotionField.between(shape, before.data(), before.valid(), after.data(), after.valid());
        MotionField backward = MotionField.between(shape, after.data(), after.valid(), before.data(), before.valid());
        boolean[] valid = ErrorMetrics.jointMask(before.valid(), after.valid());
        float[] beforeFinite = finite(before.data(), before.valid());
        float[] afterFinite = finite(after.data(), after.valid());
        java.util.List<Observation> list = new java.util.ArrayList<>(times.length);
        for (double time : times) {
            double alpha = (time - before.time()) / (after.time() - before.time());
            float[] fromBefore = advectFinite(beforeFinite, forward, alpha);
            float[] fromAfter = advectFinite(afterFinite, backward, 1 - alpha);
            float[] out = new float[fromBefore.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = valid == null || valid[i] ? (float) ((1 - alpha) * fromBefore[i] + alpha * fromAfter[i])
                        : Float.NaN;
            }
            list.add(new Observation(time, out, valid == null ? null : valid.clone()));
        }
        return list;
    }

    /**
     * {@code values} moved {@code steps} times along {@code motion} by semi-Lagrangian backward tracing; cells
     * without a finite value count as their channel's mean, so that holes do not spread.
     */
    float[] advect(float[] values, MotionField motion, double steps) {
        return advectFinite(finite(values, null), motion, steps);
    }

    private float[] advectFinite(float[] source, MotionField motion, double steps) {
        int w = shape.width();
        int substeps = Math.max(1, (int) Math.ceil(Math.abs(steps) - WHOLE_TOLERANCE));
        double dt = steps / substeps;
        double[] py = new double[shape.planeSize()];
        double[] px = new double[py.length];
        for (int i = 0; i < py.length; i++) {
            double y = i / w;
            double x = i % w;
            for (int s = 0; s < substeps; s++) {
                double vy = motion.dyAt(y, x);
                double vx = motion.dxAt(y, x);
                y -= dt * vy;
                x -= dt * vx;
            }
            py[i] = y;
            px[i] = x;
        }
        return sample(source, py, px);
    }

    /** Every channel of {@code source} sampled bilinearly at each cell's traced point ({@code py[i], px[i]}). */
    private float[] sample(float[] source, double[] py, double[] px) {
        int h = shape.height();
        int w = shape.width();
        float[] out = new float[source.length];
        for (int i = 0; i < py.length; i++) {
            for (int c = 0; c < shape.channels(); c++) {
                out[shape.index(c, i / w, i % w)] = (float) Bilinear.sample(source, c, h, w, py[i], px[i]);
            }
        }
        return out;
    }

    /**
     * {@code values} with every missing cell (not finite, or invalid in {@code valid}: masked cells often hold a
     * file's fill value such as 9.97e36) replaced by its channel's mean over the present cells, so that neither
     * holes nor fill values are advected into valid cells.
     */
    float[] finite(float[] values, boolean[] valid) {
        float[] out = values.clone();
        int plane = shape.planeSize();
        for (int c = 0; c < shape.channels(); c++) {
            double sum = 0;
            int n = 0;
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                if (present(values, valid, i)) {
                    sum += values[i];
                    n++;
                }
            }
            float mean = n == 0 ? 0f : (float) (sum / n);
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                if (!present(values, valid, i)) {
                    out[i] = mean;
                }
            }
        }
        return out;
    }

    private static boolean present(float[] values, boolean[] valid, int i) {
        return Float.isFinite(values[i]) && (valid == null || valid[i]);
    }
}
