package io.odecast.ode;

import ai.djl.ndarray.NDArray;

import java.util.function.UnaryOperator;

/** The right-hand side {@code dy/dt = f(t, y)} of an ODE on an NDArray state. */
@FunctionalInterface
public interface OdeFunction {

    /** The derivative at time {@code t} (model time units) of state {@code y}. */
    NDArray evaluate(double t, NDArray y);

    /**
     * Whether {@code f} ignores {@code t}. Only autonomous functions can be integrated with a different time
     * step per batch element ({@link FixedStepSolver#solvePerSample}), because the batch then has no common time.
     */
    default boolean isAutonomous() {
        return false;
    }

    /** Wraps a time-independent vector field (the Vid-ODE networks are all autonomous). */
    static OdeFunction autonomous(UnaryOperator<NDArray> field) {
        return new OdeFunction() {
            @Override
            public NDArray evaluate(double t, NDArray y) {
                return field.apply(y);
            }

            @Override
            public boolean isAutonomous() {
                return true;
            }
        };
    }
}
