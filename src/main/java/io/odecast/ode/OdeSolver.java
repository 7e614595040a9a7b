package io.odecast.ode;

import ai.djl.ndarray.NDArray;

/** Integrates an ODE from {@code times[0]} through increasing requested times, like torchdiffeq's odeint. */
public interface OdeSolver {

    /**
     * Solves {@code dy/dt = f(t, y)}, {@code y(times[0]) = y0}, returning the state at every requested time.
     *
     * @param times strictly increasing model times; {@code times[0]} is the time of {@code y0}
     */
    OdeSolution solve(OdeFunction f, NDArray y0, double[] times);

    /** The method's name as used in configuration (euler, midpoint, rk4, dopri5). */
    String name();

    /** Builds a solver from its configuration name. */
    static OdeSolver named(String method, double maxStep, double rtol, double atol) {
        return switch (method) {
            case "euler" -> FixedStepSolver.euler(maxStep);
            case "midpoint" -> FixedStepSolver.midpoint(maxStep);
            case "rk4" -> FixedStepSolver.rk4(maxStep);
            case "dopri5" -> new Dopri5Solver(rtol, atol);
            default -> throw new IllegalArgumentException(
                    "unknown ODE solver '" + method + "': expected one of euler, midpoint, rk4, dopri5");
        };
    }

    static void checkIncreasing(double[] times) {
        if (times.length < 1) {
            throw new IllegalArgumentException("at least one time is needed (the initial time)");
        }
        for (int i = 1; i < times.length; i++) {
            if (!(times[i] > times[i - 1])) {
                throw new IllegalArgumentException("times must be strictly increasing, but times[" + i + "] = "
                        + times[i] + " follows " + times[i - 1]);
            }
        }
    }
}
