package io.odecast.kafka;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One observed frame, decoded: {@code data} holds {@code c * h * w} floats, row-major C x H x W, and
 * {@code valid} says per cell whether the value may be used (NaN cells are always invalid).
 * The arrays are shared, not copied; treat them as read-only.
 *
 * @param channels channel names in data order; empty or {@code c} names
 */
public record FrameMessage(String streamId, Instant eventTime, List<String> channels, int c, int h, int w,
                           float[] data, boolean[] valid, Map<String, String> attributes) {

    public FrameMessage {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(eventTime, "eventTime");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(valid, "valid");
        channels = channels == null ? List.of() : List.copyOf(channels);
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        if (c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("frame of stream " + streamId + ": shape must be positive, got "
                    + c + "x" + h + "x" + w);
        }
        long cells = (long) c * h * w;
        if (data.length != cells || valid.length != cells) {
            throw new IllegalArgumentException("frame of stream " + streamId + ": shape " + c + "x" + h + "x" + w
                    + " needs " + cells + " values and mask cells, got " + data.length + " and " + valid.length);
        }
        if (!channels.isEmpty() && channels.size() != c) {
            throw new IllegalArgumentException("frame of stream " + streamId + ": " + c
                    + " channels but " + channels.size() + " channel names " + channels);
        }
    }

    /** A frame whose cells are all valid except the non-finite ones. */
    public static FrameMessage of(String streamId, Instant eventTime, List<String> channels, int c, int h, int w,
                                  float[] data) {
        boolean[] valid = new boolean[data.length];
        for (int i = 0; i < data.length; i++) {
            valid[i] = Float.isFinite(data[i]);
        }
        return new FrameMessage(streamId, eventTime, channels, c, h, w, data, valid, Map.of());
    }

    /** Number of cells, {@code c * h * w}. */
    public int cells() {
        return data.length;
    }

    /** Number of cells that are valid. */
    public int validCount() {
        int n = 0;
        for (boolean v : valid) {
            if (v) {
                n++;
            }
        }
        return n;
    }

    /** Value equality, arrays compared bit for bit. */
    @Override
    public boolean equals(Object o) {
        return o instanceof FrameMessage f && streamId.equals(f.streamId) && eventTime.equals(f.eventTime)
                && channels.equals(f.channels) && c == f.c && h == f.h && w == f.w
                && Arrays.equals(data, f.data) && Arrays.equals(valid, f.valid) && attributes.equals(f.attributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(streamId, eventTime, channels, c, h, w, Arrays.hashCode(data), Arrays.hashCode(valid),
                attributes);
    }

    @Override
    public String toString() {
        return "FrameMessage[" + streamId + " @ " + eventTime + ", " + channels + " " + c + "x" + h + "x" + w
                + ", " + validCount() + "/" + cells() + " valid]";
    }
}
