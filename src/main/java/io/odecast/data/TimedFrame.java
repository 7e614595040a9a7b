package io.odecast.data;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One frame at one instant: values in physical units, row-major {@code C x H x W}, with per-cell validity. The
 * one grid type of odecast: readers produce it, the wire messages ({@code FrameMessage}, {@code ForecastMessage},
 * {@code RegularFrameMessage} in {@code io.odecast.kafka}) carry it, renderers and evaluators read it.
 *
 * <p>Arrays are shared, not copied: treat them as read-only. Record equality on the arrays is by identity.
 *
 * @param time     the frame's time (for video, {@link Instant#EPOCH} plus the presentation timestamp)
 * @param channels channel names, one per channel, or empty when the sender named none (channels in the model's
 *                 order)
 * @param shape    frame shape
 * @param data     values, length {@code shape.size()}; invalid cells hold the source's value (fill or NaN)
 * @param valid    per-cell validity, same length as {@code data}; {@code null} means every cell is valid
 * @param missing  true when the whole frame is absent (every cell invalid); such frames are placeholders
 */
public record TimedFrame(Instant time, List<String> channels, GridShape shape, float[] data, boolean[] valid,
                         boolean missing) {

    /** Checks that names, data and mask agree with the shape. */
    public TimedFrame {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        channels = List.copyOf(channels);
        if (!channels.isEmpty() && channels.size() != shape.channels()) {
            throw new IllegalArgumentException(
                    "frame at " + time + " has " + channels.size() + " channel names for shape " + shape);
        }
        if (data.length != shape.size()) {
            throw new IllegalArgumentException(
                    "frame at " + time + " has " + data.length + " values, expected " + shape.size() + " for " + shape);
        }
        if (valid != null && valid.length != data.length) {
            throw new IllegalArgumentException(
                    "frame at " + time + " has a validity mask of " + valid.length + " cells, expected " + data.length);
        }
    }

    /** A frame where every cell is valid. */
    public static TimedFrame of(Instant time, List<String> channels, GridShape shape, float[] data) {
        return new TimedFrame(time, channels, shape, data, null, false);
    }

    /** A placeholder for a frame that is entirely absent: values NaN, every cell invalid. */
    public static TimedFrame absent(Instant time, List<String> channels, GridShape shape) {
        float[] data = new float[shape.size()];
        java.util.Arrays.fill(data, Float.NaN);
        return new TimedFrame(time, channels, shape, data, new boolean[shape.size()], true);
    }

    /** A frame whose cells are valid where the values are finite. */
    public static TimedFrame finite(Instant time, List<String> channels, GridShape shape, float[] data) {
        boolean[] valid = new boolean[data.length];
        for (int i = 0; i < data.length; i++) {
            valid[i] = Float.isFinite(data[i]);
        }
        return new TimedFrame(time, channels, shape, data, valid, false);
    }

    /** The same grid at another time. */
    public TimedFrame at(Instant other) {
        return new TimedFrame(other, channels, shape, data, valid, missing);
    }

    /** The validity mask as an array, one entry per cell (a fresh all-true array when {@link #valid} is null). */
    public boolean[] mask() {
        if (valid != null) {
            return valid;
        }
        boolean[] all = new boolean[data.length];
        java.util.Arrays.fill(all, true);
        return all;
    }

    /** The mask, or null when every cell is valid: the form the model's observations take. */
    public boolean[] maskOrNull() {
        return invalidCount() == 0 ? null : valid;
    }

    /** Number of valid cells over all channels. */
    public int validCount() {
        return data.length - invalidCount();
    }

    /** Whether flat cell {@code i} holds a valid value. */
    public boolean isValid(int i) {
        return valid == null || valid[i];
    }

    /** Value of cell ({@code c}, {@code y}, {@code x}). */
    public float value(int c, int y, int x) {
        return data[shape.index(c, y, x)];
    }

    /** Number of invalid cells over all channels. */
    public int invalidCount() {
        if (valid == null) {
            return 0;
        }
        int n = 0;
        for (boolean v : valid) {
            if (!v) {
                n++;
            }
        }
        return n;
    }

    /** Whether channel {@code c} has no valid cell at all (e.g. v at index 17 of the storm data). */
    public boolean channelMissing(int c) {
        if (valid == null) {
            return false;
        }
        int plane = shape.planeSize();
        for (int i = c * plane; i < (c + 1) * plane; i++) {
            if (valid[i]) {
                return false;
            }
        }
        return true;
    }
}
