package io.odecast.model;

/**
 * One frame in physical units at a model time.
 *
 * @param time  model time (see {@link ModelCard#modelTime})
 * @param data  C x H x W row-major values
 * @param valid per-cell validity (same length), or null when every cell is valid; invalid cells and NaN are
 *              treated as missing (0 after normalisation)
 */
public record Observation(double time, float[] data, boolean[] valid) {
}
