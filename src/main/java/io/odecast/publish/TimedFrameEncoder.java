package io.odecast.publish;

import io.odecast.data.TimedFrame;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Turns a reader's {@link TimedFrame} into the {@link FrameMessage} to publish: the values bit for bit, and a
 * validity mask that marks the reader's invalid cells, cells equal to the source's fill value and non-finite cells.
 * {@link io.odecast.kafka.FrameCodec} writes it.
 */
public final class TimedFrameEncoder {
    private TimedFrameEncoder() {
    }

    /**
     * The message to publish.
     *
     * @param streamId   stream id
     * @param frame      the frame as read
     * @param eventTime  event time to publish (the frame's own time, possibly shifted)
     * @param units      one per channel, or empty; blank entries are sent as empty strings
     * @param fillValue  the source's fill value, or NaN when it has none
     * @param attributes free metadata
     */
    public static FrameMessage message(String streamId, TimedFrame frame, Instant eventTime, List<String> units,
                                       double fillValue, Map<String, String> attributes) {
        if (!units.isEmpty() && units.size() != frame.shape().channels()) {
            throw new IllegalArgumentException("stream " + streamId + ": " + units.size() + " units for "
                    + frame.shape().channels() + " channels " + frame.channels());
        }
        TimedFrame grid = new TimedFrame(eventTime, frame.channels(), frame.shape(), frame.data(),
                validity(frame, fillValue), frame.missing());
        return new FrameMessage(streamId, grid, units.stream().map(u -> u == null ? "" : u).toList(), attributes);
    }

    /** The serialized {@code odecast.v1.Frame} of {@link #message}. */
    public static byte[] encode(String streamId, TimedFrame frame, Instant eventTime, List<String> units,
                                double fillValue, Map<String, String> attributes) {
        return FrameCodec.encode(message(streamId, frame, eventTime, units, fillValue, attributes));
    }
    /** Per cell: valid in the reader's mask, finite, and not the fill value. */
    static boolean[] validity(TimedFrame frame, double fillValue) {
        float[] data = frame.data();
        boolean hasFill = !Double.isNaN(fillValue);
        float fill = (float) fillValue;
        boolean[] valid = new boolean[data.length];
        for (int i = 0; i < data.length; i++) {
            valid[i] = frame.isValid(i) && Float.isFinite(data[i]) && !(hasFill && data[i] == fill);
        }
        return valid;
    }

    /** Whether the frame is absent, or one of its channels has no valid cell. */
    static boolean hasMissingChannel(TimedFrame frame) {
        if (frame.missing()) {
            return true;
        }
        for (int c = 0; c < frame.shape().channels(); c++) {
            if (frame.channelMissing(c)) {
                return true;
            }
        }
        return false;
    }
}
