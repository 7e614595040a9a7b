package io.odecast.kafka;

import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An observed frame as it travels on {@code odecast.frames} ({@code odecast.v1.Frame}): the grid of one stream at its
 * event time, with the sender's units and free attributes. {@link FrameCodec} converts it both ways.
 *
 * @param frame      the grid; its mask is always present (NaN cells are invalid)
 * @param units      one per channel, or empty when the sender gave none
 * @param attributes free metadata
 */
public record FrameMessage(String streamId, TimedFrame frame, List<String> units, Map<String, String> attributes) {

    /** Checks the id and the units; gives the frame an explicit mask. */
    public FrameMessage {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(frame, "frame");
        units = units == null ? List.of() : List.copyOf(units);
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        if (!units.isEmpty() && units.size() != frame.shape().channels()) {
            throw new IllegalArgumentException("frame of stream " + streamId + ": " + units.size() + " units for "
                    + frame.shape().channels() + " channels");
        }
        if (frame.valid() == null) {
            frame = new TimedFrame(frame.time(), frame.channels(), frame.shape(), frame.data(), frame.mask(),
                    frame.missing());
        }
    }

    /** A frame whose cells are all valid except the non-finite ones, without units or attributes. */
    public static FrameMessage of(String streamId, Instant eventTime, List<String> channels, GridShape shape,
                                  float[] data) {
        return new FrameMessage(streamId, TimedFrame.finite(eventTime, channels, shape, data), List.of(), Map.of());
    }

    /** The frame's event time. */
    public Instant eventTime() {
        return frame.time();
    }

    /** Channel names in data order; empty when the sender named none. */
    public List<String> channels() {
        return frame.channels();
    }

    /** The grid's shape. */
    public GridShape shape() {
        return frame.shape();
    }

    /** Values, row-major C x H x W. */
    public float[] data() {
        return frame.data();
    }

    /** Per-cell validity, never null. */
    public boolean[] valid() {
        return frame.valid();
    }

    /** The same message with another grid (reordered channels, a shifted time). */
    public FrameMessage withFrame(TimedFrame other) {
        return new FrameMessage(streamId, other, units, attributes);
    }

    /** Value equality, arrays compared bit for bit. */
    @Override
    public boolean equals(Object o) {
        return o instanceof FrameMessage f && streamId.equals(f.streamId) && eventTime().equals(f.eventTime())
                && channels().equals(f.channels()) && shape().equals(f.shape())
                && Arrays.equals(data(), f.data()) && Arrays.equals(valid(), f.valid()) && units.equals(f.units)
                && attributes.equals(f.attributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(streamId, eventTime(), channels(), shape(), Arrays.hashCode(data()),
                Arrays.hashCode(valid()), units, attributes);
    }

    @Override
    public String toString() {
        return "FrameMessage[" + streamId + " @ " + eventTime() + ", " + channels() + " " + shape() + ", "
                + frame.validCount() + "/" + data().length + " valid]";
    }
}
