package io.odecast.ode;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * The states at the requested times (the first is the initial state itself) and what the solve cost.
 *
 * @param states             one array per requested time, same shape as the initial state
 * @param functionEvaluations number of calls of the ODE function (each call covers the whole batch)
 * @param acceptedSteps      steps taken (for fixed-step solvers, all of them)
 * @param rejectedSteps      adaptive steps rejected by the error controller (0 for fixed-step solvers)
 */
public record OdeSolution(List<NDArray> states, int functionEvaluations, int acceptedSteps, int rejectedSteps) {

    /** The state at the last requested time. */
    public NDArray last() {
        return states.get(states.size() - 1);
    }
}
