package io.odecast.ode;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * Fixed-step Runge-Kutta solvers with torchdiffeq's step formulas: euler, midpoint and rk4 (the 3/8 rule, as
 * torchdiffeq's {@code rk4}).
 *
 * <p>Without a maximum step (Vid-ODE's case) each interval between requested times is one step, so outputs
 * are exact step results. With a maximum step each interval is split into {@code ceil(length / maxStep)} equal
 * sub-steps, so a long gap between two arrivals is integrated as accurately as a short one; requested times are
 * always hit exactly (torchdiffeq's {@code step_size} option instead interpolates linearly between grid points,
 * which we do not copy).
 */
public final class FixedStepSolver implements OdeSolver {

    /** The Runge-Kutta scheme and its cost in function evaluations per step. */
    public enum Method {
        EULER(1), MIDPOINT(2), RK4(4);

        private final int stages;

        Method(int stages) {
            this.stages = stages;
        }

        public int stages() {
            return stages;
        }
    }

    private final Method method;
    private final double maxStep;

    public FixedStepSolver(Method method, double maxStep) {
        if (!(maxStep > 0)) {
            throw new IllegalArgumentException("maxStep must be positive (Double.POSITIVE_INFINITY for none), got " + maxStep);
        }
        this.method = method;
        this.maxStep = maxStep;
    }

    public static FixedStepSolver euler(double maxStep) {
        return new FixedStepSolver(Method.EULER, maxStep);
    }

    public static FixedStepSolver midpoint(double maxStep) {
        return new FixedStepSolver(Method.MIDPOINT, maxStep);
    }

    public static FixedStepSolver rk4(double maxStep) {
        return new FixedStepSolver(Method.RK4, maxStep);
    }

    @Override
    public String name() {
        return method.name().toLowerCase(java.util.Locale.ROOT);
    }

    public Method method() {
        return method;
    }

    public double maxStep() {
        return maxStep;
    }

    /**
     * How far, in steps, an interval may run past a whole number of maximum steps and still take that number.
     * Intervals are differences of absolute model times (seconds since the epoch over the time unit), whose rounding
     * error grows with the times, not with the interval: one 10 s unit (scale 0.1) on 2026-06-01 is
     * 0.10000000149 model time, 1.5e-8 of a step too long. This keeps such an interval at its step count (an
     * interval of exactly k * maxStep at k steps) while one a millionth of a step longer or more takes a step more.
     */
    public static final double STEP_TOLERANCE = 1e-6;

    /**
     * {@code ceil(length / maxStep)} up to {@link #STEP_TOLERANCE}: the sub-steps of an interval of positive
     * {@code length} (at least 1 once positive; a double, as a huge gap may overflow an int).
     */
    public static double subSteps(double length, double maxStep) {
        return Math.max(1, Math.ceil(length / maxStep - STEP_TOLERANCE));
    }

    /** Number of equal sub-steps used for an interval of the given length (0 for an empty interval). */
    public int stepsFor(double length) {
        if (length <= 0) {
            return 0;
        }
        if (Double.isInfinite(maxStep)) {
            return 1;
        }
        return (int) subSteps(length, maxStep);
    }

    @Override
    public OdeSolution solve(OdeFunction f, NDArray y0, double[] times) {
        OdeSolver.checkIncreasing(times);
        List<NDArray> out = new ArrayList<>(times.length);
        out.add(y0);
        NDArray y = y0;
        int steps = 0;
        for (int j = 0; j + 1 < times.length; j++) {
            int n = stepsFor(times[j + 1] - times[j]);
            double h = (times[j + 1] - times[j]) / n;
            NDArray like = y;
            DoubleFunction<NDArray> dt = c -> Scalars.of(like, h * c);
            for (int s = 0; s < n; s++) {
                y = step(f, times[j] + s * h, h, y, dt);
            }
            steps += n;
            out.add(y);
        }
        return new OdeSolution(out, steps * method.stages, steps, 0);
    }

    /**
     * Integrates each batch element over its own times: {@code times[b]} are the times of element {@code b}
     * (same count for every element, non-decreasing; a zero-length interval is no step). Each element takes
     * exactly the sub-steps it would take alone; elements that finish an interval early take zero-size steps,
     * which leave their state bit-for-bit unchanged, so the result does not depend on the rest of the batch.
     *
     * @param f an autonomous function (the batch has no common time)
     * @return states at each time index, each of shape (B, ...)
     */
    public OdeSolution solvePerSample(OdeFunction f, NDArray y0, double[][] times) {
        if (!f.isAutonomous()) {
            throw new IllegalArgumentException("per-sample time steps need an autonomous ODE function");
        }
        int batch = times.length;
        if (batch != y0.getShape().get(0)) {
            throw new IllegalArgumentException("times for " + batch + " samples but the state has batch "
                    + y0.getShape().get(0));
        }
        int count = times[0].length;
        for (int b = 0; b < batch; b++) {
            if (times[b].length != count) {
                throw new IllegalArgumentException("every sample needs " + count + " times, sample " + b + " has "
                        + times[b].length);
            }
            for (int j = 1; j < count; j++) {
                if (!(times[b][j] >= times[b][j - 1])) {
                    throw new IllegalArgumentException("times of sample " + b + " must be non-decreasing, but "
                            + times[b][j] + " follows " + times[b][j - 1]);
                }
            }
        }
        List<NDArray> out = new ArrayList<>(count);
        out.add(y0);
        NDArray y = y0;
        int steps = 0;
        int[] n = new int[batch];
        double[] h = new double[batch];
        double[] active = new double[batch];
        for (int j = 0; j + 1 < count; j++) {
            int most = 0;
            for (int b = 0; b < batch; b++) {
                double length = times[b][j + 1] - times[b][j];
                n[b] = stepsFor(length);
                h[b] = n[b] == 0 ? 0 : length / n[b];
                most = Math.max(most, n[b]);
            }
            for (int s = 0; s < most; s++) {
                for (int b = 0; b < batch; b++) {
                    active[b] = s < n[b] ? h[b] : 0.0;
                }
                NDArray like = y;
                double[] sizes = active.clone();
                y = step(f, Double.NaN, Double.NaN, y, c -> Scalars.perSample(like, sizes, c));
            }
            steps += most;
            out.add(y);
        }
        return new OdeSolution(out, steps * method.stages, steps, 0);
    }

    /**
     * One step of size {@code h} from {@code (t, y)}; {@code dt.apply(c)} gives {@code c * h} as an NDArray that
     * broadcasts against {@code y} (a scalar, or one value per batch element).
     */
    NDArray step(OdeFunction f, double t, double h, NDArray y, DoubleFunction<NDArray> dt) {
        switch (method) {
            case EULER:
                return y.add(f.evaluate(t, y).mul(dt.apply(1)));
            case MIDPOINT: {
                NDArray k1 = f.evaluate(t, y);
                NDArray mid = y.add(k1.mul(dt.apply(0.5)));
                return y.add(f.evaluate(t + h / 2, mid).mul(dt.apply(1)));
            }
            case RK4: {
                NDArray third = dt.apply(1.0 / 3);
                NDArray full = dt.apply(1);
                NDArray k1 = f.evaluate(t, y);
                NDArray k2 = f.evaluate(t + h / 3, y.add(k1.mul(third)));
                NDArray k3 = f.evaluate(t + 2 * h / 3, y.add(k2.mul(full)).sub(k1.mul(third)));
                NDArray k4 = f.evaluate(t + h, y.add(k1.sub(k2).add(k3).mul(full)));
                NDArray eighth = dt.apply(1.0 / 8);
                NDArray threeEighths = dt.apply(3.0 / 8);
                return y.add(k1.add(k4).mul(eighth)).add(k2.add(k3).mul(threeEighths));
            }
            default:
                throw new IllegalStateException("unreachable: " + method);
        }
    }
}
