package io.odecast.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.odecast.ode.Dopri5Solver;
import io.odecast.ode.FixedStepSolver;
import io.odecast.ode.OdeFunction;
import io.odecast.ode.OdeSolver;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Training backpropagates through the solvers: d y(1) / d y0 of y' = -y is e^-1. */
class OdeGradientTest {

    private static double gradient(OdeSolver solver) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray y0 = m.create(new double[] {2.0});
            y0.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y1 = solver.solve(OdeFunction.autonomous(NDArray::neg), y0, new double[] {0, 0.5, 1}).last();
                gc.backward(y1);
            }
            return y0.getGradient().getDouble(0);
        }
    }

    @Test
    void rk4IsDifferentiable() {
        assertEquals(Math.exp(-1), gradient(FixedStepSolver.rk4(0.05)), 1e-6);
    }

    @Test
    void dopri5IsDifferentiable() {
        assertEquals(Math.exp(-1), gradient(new Dopri5Solver(1e-7, 1e-9)), 1e-6);
    }
}
