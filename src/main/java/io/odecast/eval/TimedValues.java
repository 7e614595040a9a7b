package io.odecast.eval;

/**
 * One frame at a real-valued time, with an optional validity mask (null = every cell valid). Invalid
 * cells carry no information; baselines write NaN there.
 *
 * @param time observation or forecast time, in the stream's own units
 * @param values row-major C x H x W values
 * @param valid per-cell validity, same length as {@code values}, or null
 */
public record TimedValues(double time, float[] values, boolean[] valid) {

    public TimedValues {
        if (valid != null && valid.length != values.length) {
            throw new IllegalArgumentException("frame at t=" + time + " has " + values.length
                    + " values but a mask of " + valid.length);
        }
    }

    /** Whether cell {@code i} is valid. */
    public boolean isValid(int i) {
        return valid == null || valid[i];
    }
}
