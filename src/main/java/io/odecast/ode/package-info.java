/**
 * ODE solvers on DJL NDArrays with torchdiffeq's semantics: fixed-step euler, midpoint and rk4 (3/8 rule) with
 * optional sub-stepping, and adaptive dopri5 with dense output. All solvers are differentiable (they are built
 * from NDArray operations only) and report how many function evaluations they used.
 */
package io.odecast.ode;
