package io.odecast.model;

/**
 * One frame's values at a model time: what the model, the baselines and the evaluators consume. (The frame with its
 * instant, channel names and shape is {@code io.odecast.data.TimedFrame}; this is its model-time view.)
 *
 * @param time  model time (see {@link ModelCard#modelTime}), or the stream's own time unit in evaluations
 * @param data  C x H x W row-major values
 * @param valid per-cell validity (same length), or null when every cell is valid; invalid cells and NaN are
 *              treated as missing (0 after normalisation; NaN in baselines)
 */
public record Observation(double time, float[] data, boolean[] valid) {

    /** Checks that the mask fits the values. */
    public Observation {
        if (valid != null && valid.length != data.length) {
            throw new IllegalArgumentException("frame at t=" + time + " has " + data.length
                    + " values but a mask of " + valid.length);
        }
    }

    /** Whether cell {@code i} is valid. */
    public boolean isValid(int i) {
        return valid == null || valid[i];
    }
}
