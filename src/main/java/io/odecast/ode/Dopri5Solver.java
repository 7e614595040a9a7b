package io.odecast.ode;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Adaptive Dormand-Prince 5(4) with torchdiffeq's semantics (spec section 6): Hairer's initial step selection,
 * an RMS error norm over every element of the whole batched state (so one step size is shared by the batch),
 * the controller {@code dt * min(10, max(0.9 r^(-1/5), 0.2 or 1))}, first-same-as-last, and quartic dense
 * output: steps are never shortened to hit a requested time; the solver overshoots and interpolates.
 *
 * <p>Deliberate difference from torchdiffeq 0.0.1: the step-size controller works on detached doubles (as in
 * torchdiffeq's later releases), so gradients flow through the stages and the interpolant but not through the
 * choice of step size.
 */
public final class Dopri5Solver implements OdeSolver {

    private static final double[] C = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1};
    private static final double[][] A = {
        {},
        {1.0 / 5},
        {3.0 / 40, 9.0 / 40},
        {44.0 / 45, -56.0 / 15, 32.0 / 9},
        {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
        {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
        {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
    };
    /** b - b_hat, for the seven stages (the 5th-order weights are A[6] with 0 for stage 7). */
    private static final double[] ERR = {
        35.0 / 384 - 1951.0 / 21600, 0, 500.0 / 1113 - 22642.0 / 50085, 125.0 / 192 - 451.0 / 720,
        -2187.0 / 6784 + 12231.0 / 42400, 11.0 / 84 - 649.0 / 6300, -1.0 / 60,
    };
    /** Dense-output weights for the midpoint of the step (already halved, as torchdiffeq's DPS_C_MID). */
    private static final double[] MID = {
        6025192743.0 / 30085553152.0 / 2, 0, 51252292925.0 / 65400821598.0 / 2, -2691868925.0 / 45128329728.0 / 2,
        187940372067.0 / 1594534317056.0 / 2, -1776094331.0 / 19743644256.0 / 2, 11237099.0 / 235043384 / 2,
    };
    private static final double SAFETY = 0.9;
    private static final double IFACTOR = 10.0;
    private static final double DFACTOR = 0.2;

    private final double rtol;
    private final double atol;
    private final int maxSteps;

    public Dopri5Solver(double rtol, double atol) {
        this(rtol, atol, 100_000);
    }

    public Dopri5Solver(double rtol, double atol, int maxSteps) {
        if (!(rtol >= 0) || !(atol >= 0) || rtol + atol == 0) {
            throw new IllegalArgumentException("dopri5 needs rtol >= 0 and atol >= 0, not both 0; got rtol="
                    + rtol + " atol=" + atol);
        }
        this.rtol = rtol;
        this.atol = atol;
        this.maxSteps = maxSteps;
    }

    @Override
    public String name() {
        return "dopri5";
    }

    @Override
    public OdeSolution solve(OdeFunction f, NDArray y0, double[] times) {
        OdeSolver.checkIncreasing(times);
        List<NDArray> out = new ArrayList<>(times.length);
        out.add(y0);
        if (times.length == 1) {
            return new OdeSolution(out, 0, 0, 0);
        }
        int nfe = 0;
        double t0 = times[0];
        NDArray y = y0;
        NDArray f0 = f.evaluate(t0, y0);
        nfe++;
        // Initial step (Hairer, Norsett & Wanner II.4, order 4 as in torchdiffeq).
        NDArray scale = y0.abs().mul(Scalars.of(y0, rtol)).add(Scalars.of(y0, atol));
        double d0 = rms(y0.div(scale));
        double d1 = rms(f0.div(scale));
        double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
        NDArray f1 = f.evaluate(t0 + h0, y0.add(f0.mul(Scalars.of(y0, h0))));
        nfe++;
        double d2 = rms(f1.sub(f0).div(scale)) / h0;
        double h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / Math.max(d1, d2), 1.0 / 5);
        double dt = Math.min(100 * h0, h1);

        Step last = null;
        int accepted = 0;
        int rejected = 0;
        for (int i = 1; i < times.length; i++) {
            while (last == null || times[i] > last.t1) {
                if (accepted + rejected >= maxSteps) {
                    throw new IllegalStateException("dopri5 took more than " + maxSteps + " steps before t="
                            + times[i] + " (stiff problem or tolerances too tight?)");
                }
                if (!(t0 + dt > t0)) {
                    throw new IllegalStateException("dopri5 step size underflow at t=" + t0 + " (dt=" + dt + ")");
                }
                NDArray[] k = new NDArray[7];
                k[0] = f0;
                NDArray stage = null;
                for (int s = 1; s < 7; s++) {
                    stage = y;
                    for (int j = 0; j < s; j++) {
                        if (A[s][j] != 0) {
                            stage = stage.add(k[j].mul(Scalars.of(y, dt * A[s][j])));
                        }
                    }
                    k[s] = f.evaluate(t0 + C[s] * dt, stage);
                    nfe++;
                }
                NDArray y1 = stage; // FSAL: the seventh stage's input is the 5th-order solution
                NDArray err = combine(null, k, ERR, dt);
                NDArray tol = y.abs().maximum(y1.abs()).mul(Scalars.of(y, rtol)).add(Scalars.of(y, atol));
                double ratio = rms(err.div(tol));
                if (!Double.isFinite(ratio)) {
                    throw new IllegalStateException("dopri5 state became non-finite at t=" + t0);
                }
                boolean accept = ratio <= 1;
                double factor = ratio == 0 ? IFACTOR
                        : Math.min(IFACTOR, Math.max(SAFETY * Math.pow(ratio, -1.0 / 5), ratio >= 1 ? DFACTOR : 1));
                if (accept) {
                    NDArray mid = combine(y, k, MID, dt);
                    last = new Step(t0, t0 + dt, y, y1, mid, f0, k[6]);
                    t0 = t0 + dt;
                    y = y1;
                    f0 = k[6];
                    accepted++;
                } else {
                    rejected++;
                }
                dt = dt * factor;
            }
            out.add(last.at(times[i]));
        }
        return new OdeSolution(out, nfe, accepted, rejected);
    }

    private static NDArray combine(NDArray base, NDArray[] k, double[] weights, double dt) {
        NDArray sum = base;
        for (int j = 0; j < weights.length; j++) {
            if (weights[j] != 0) {
                NDArray term = k[j].mul(Scalars.of(k[j], dt * weights[j]));
                sum = sum == null ? term : sum.add(term);
            }
        }
        return sum;
    }

    private static double rms(NDArray x) {
        return Math.sqrt(x.square().mean().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble());
    }

    /** An accepted step with what its quartic interpolant needs. */
    private record Step(double t0, double t1, NDArray y0, NDArray y1, NDArray mid, NDArray f0, NDArray f1) {

        /** torchdiffeq's fourth-order polynomial through y0, y_mid, y1 with end slopes f0, f1. */
        NDArray at(double t) {
            double dt = t1 - t0;
            double x = (t - t0) / dt;
            double x2 = x * x;
            double x3 = x2 * x;
            double x4 = x3 * x;
            double wy0 = 1 - 11 * x2 + 18 * x3 - 8 * x4;
            double wy1 = -5 * x2 + 14 * x3 - 8 * x4;
            double wMid = 16 * x2 - 32 * x3 + 16 * x4;
            double wf0 = dt * (x - 4 * x2 + 5 * x3 - 2 * x4);
            double wf1 = dt * (x2 - 3 * x3 + 2 * x4);
            return y0.mul(Scalars.of(y0, wy0))
                    .add(y1.mul(Scalars.of(y0, wy1)))
                    .add(mid.mul(Scalars.of(y0, wMid)))
                    .add(f0.mul(Scalars.of(y0, wf0)))
                    .add(f1.mul(Scalars.of(y0, wf1)));
        }
    }
}
