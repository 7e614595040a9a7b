package io.odecast.ode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Solvers against problems with known solutions, in float64 so that truncation error dominates. */
class SolverAccuracyTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** y' = -y, y(0) = 1 (autonomous, so it also runs per sample). */
    private static final OdeFunction DECAY = OdeFunction.autonomous(NDArray::neg);

    /** x' = v, v' = -x on a state of shape (2): x(t) = cos t, v(t) = -sin t from (1, 0). */
    private static final OdeFunction OSCILLATOR = OdeFunction.autonomous(y -> {
        NDArray x = y.get("0:1");
        NDArray v = y.get("1:2");
        return v.concat(x.neg());
    });

    private double decayError(OdeSolver solver) {
        NDArray y0 = manager.create(new double[] {1.0});
        OdeSolution s = solver.solve(DECAY, y0, new double[] {0, 1});
        return Math.abs(s.last().getDouble(0) - Math.exp(-1));
    }

    private double oscillatorError(OdeSolver solver, double t) {
        NDArray y0 = manager.create(new double[] {1.0, 0.0});
        OdeSolution s = solver.solve(OSCILLATOR, y0, new double[] {0, t});
        double[] y = s.last().toDoubleArray();
        return Math.hypot(y[0] - Math.cos(t), y[1] + Math.sin(t));
    }

    private void assertOrder(FixedStepSolver.Method method, double expectedRatio) {
        double coarse = decayError(new FixedStepSolver(method, 0.1));
        double fine = decayError(new FixedStepSolver(method, 0.05));
        double ratio = coarse / fine;
        assertEquals(expectedRatio, ratio, expectedRatio * 0.15,
                method + ": halving the step should divide the error by about " + expectedRatio + ", got " + ratio);
        double oscCoarse = oscillatorError(new FixedStepSolver(method, 0.2), 3.0);
        double oscFine = oscillatorError(new FixedStepSolver(method, 0.1), 3.0);
        assertEquals(expectedRatio, oscCoarse / oscFine, expectedRatio * 0.2, method + " on the oscillator");
    }

    @Test
    void eulerIsFirstOrder() {
        assertOrder(FixedStepSolver.Method.EULER, 2);
    }

    @Test
    void midpointIsSecondOrder() {
        assertOrder(FixedStepSolver.Method.MIDPOINT, 4);
    }

    @Test
    void rk4IsFourthOrder() {
        assertOrder(FixedStepSolver.Method.RK4, 16);
    }

    @Test
    void rk4StepIsTheThreeEighthsRule() {
        // One step of y' = -y with h = 1 by the 3/8 rule: k1=-1, k2=-(1-1/3), k3=-(1+k2-k1/3), k4=-(1+k1-k2+k3).
        double k1 = -1;
        double k2 = -(1 + k1 / 3);
        double k3 = -(1 + (k2 - k1 / 3));
        double k4 = -(1 + (k1 - k2 + k3));
        double expected = 1 + (k1 + 3 * (k2 + k3) + k4) / 8;
        NDArray y = FixedStepSolver.rk4(Double.POSITIVE_INFINITY)
                .solve(DECAY, manager.create(new double[] {1.0}), new double[] {0, 1}).last();
        assertEquals(expected, y.getDouble(0), 1e-15);
    }

    @Test
    void maxStepSubdividesLongIntervalsAndCountsEvaluations() {
        FixedStepSolver rk4 = FixedStepSolver.rk4(0.25);
        OdeSolution s = rk4.solve(DECAY, manager.create(new double[] {1.0}), new double[] {0, 0.1, 1.1});
        // 0.1 -> one step, 1.0 -> four steps of 0.25: 5 steps, 4 evaluations each.
        assertEquals(5, s.acceptedSteps());
        assertEquals(20, s.functionEvaluations());
        assertEquals(Math.exp(-1.1), s.last().getDouble(0), 5e-5);
    }

    @Test
    void dopri5MeetsItsTolerance() {
        for (double tol : new double[] {1e-3, 1e-6, 1e-9}) {
            Dopri5Solver solver = new Dopri5Solver(tol, tol);
            double err = oscillatorError(solver, 10.0);
            assertTrue(err < 50 * tol, "dopri5 at tol " + tol + " has error " + err);
        }
        assertTrue(oscillatorError(new Dopri5Solver(1e-9, 1e-9), 10.0) < oscillatorError(new Dopri5Solver(1e-4, 1e-4), 10.0));
    }

    @Test
    void dopri5DenseOutputBetweenStepsIsAccurate() {
        Dopri5Solver solver = new Dopri5Solver(1e-6, 1e-8);
        double[] times = new double[41];
        for (int i = 0; i < times.length; i++) {
            times[i] = i * 0.05;
        }
        OdeSolution s = solver.solve(OSCILLATOR, manager.create(new double[] {1.0, 0.0}), times);
        // Far fewer accepted steps than requested times: most outputs come from the interpolant.
        assertTrue(s.acceptedSteps() < 20, "steps: " + s.acceptedSteps());
        for (int i = 0; i < times.length; i++) {
            double[] y = s.states().get(i).toDoubleArray();
            assertEquals(Math.cos(times[i]), y[0], 1e-5, "x at t=" + times[i]);
            assertEquals(-Math.sin(times[i]), y[1], 1e-5, "v at t=" + times[i]);
        }
        // Cost: 2 start-up evaluations + 6 per attempted step.
        assertEquals(2 + 6 * (s.acceptedSteps() + s.rejectedSteps()), s.functionEvaluations());
    }

    @Test
    void dopri5IntermediateTimesDoNotChangeTheSteps() {
        Dopri5Solver solver = new Dopri5Solver(1e-5, 1e-7);
        OdeSolution coarse = solver.solve(OSCILLATOR, manager.create(new double[] {1.0, 0.0}), new double[] {0, 2});
        OdeSolution dense = solver.solve(OSCILLATOR, manager.create(new double[] {1.0, 0.0}),
                new double[] {0, 0.3, 0.7, 1.1, 2});
        assertEquals(coarse.acceptedSteps(), dense.acceptedSteps());
        assertEquals(coarse.last().getDouble(0), dense.last().getDouble(0), 1e-12);
    }

    @Test
    void perSampleStepsMatchSolvingEachSampleAlone() {
        FixedStepSolver rk4 = FixedStepSolver.rk4(0.1);
        double[] gaps = {0.05, 0.35, 0.0, 1.0};
        NDArray y0 = manager.create(new double[] {1, 2, 3, 4}, new Shape(4, 1));
        double[][] times = new double[gaps.length][];
        for (int b = 0; b < gaps.length; b++) {
            times[b] = new double[] {0, gaps[b]};
        }
        NDArray batch = rk4.solvePerSample(DECAY, y0, times).last();
        for (int b = 0; b < gaps.length; b++) {
            double alone = gaps[b] == 0 ? b + 1
                    : rk4.solve(DECAY, manager.create(new double[] {b + 1.0}), new double[] {0, gaps[b]}).last().getDouble(0);
            assertEquals(alone, batch.getDouble(b, 0), 0.0, "sample " + b);
        }
    }

    @Test
    void timesMustIncrease() {
        var e = assertThrows(IllegalArgumentException.class, () -> FixedStepSolver.euler(1)
                .solve(DECAY, manager.create(new double[] {1.0}), new double[] {0, 1, 1}));
        assertTrue(e.getMessage().contains("strictly increasing"), e.getMessage());
    }
}
