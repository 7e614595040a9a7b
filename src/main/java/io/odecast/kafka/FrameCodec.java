package io.odecast.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import io.odecast.data.TimedFrame;
import io.odecast.proto.Frame;
import io.odecast.proto.GridShape;
import java.time.DateTimeException;
import java.time.Instant;

/**
 * Converts between the wire {@link Frame} and {@link FrameMessage}, validating what arrives: a frame that
 * cannot be used raises a {@link FrameDecodeException} whose reason goes to the dead-letter topic.
 */
public final class FrameCodec {
    private FrameCodec() {
    }

    /** Serialized {@link Frame} bytes of {@code frame}. */
    public static byte[] encode(FrameMessage frame) {
        return toProto(frame).toByteArray();
    }

    /** The wire form; the mask is left empty when every cell is valid. */
    public static Frame toProto(FrameMessage frame) {
        return Frame.newBuilder()
                .setStreamId(frame.streamId())
                .setEventTime(ProtoTime.toTimestamp(frame.eventTime()))
                .addAllChannels(frame.channels())
                .setShape(GridBytes.shape(frame.shape()))
                .setData(GridBytes.floatsToBytes(frame.data()))
                .setValidMask(GridBytes.maskToBytes(frame.valid()))
                .putAllAttributes(frame.attributes())
                .addAllUnits(frame.units())
                .build();
    }

    /** Parses and validates serialized {@link Frame} bytes. */
    public static FrameMessage decode(byte[] bytes) throws FrameDecodeException {
        if (bytes == null) {
            throw new FrameDecodeException(DeadLetterReason.MALFORMED, "record has no value (null); expected a Frame");
        }
        Frame frame;
        try {
            frame = Frame.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new FrameDecodeException(DeadLetterReason.MALFORMED,
                    "value of " + bytes.length + " bytes is not a protobuf odecast.v1.Frame: " + e.getMessage());
        }
        return fromProto(frame);
    }

    /**
     * Validates a wire frame: stream id and event time present, positive shape, one channel name and one unit per
     * channel (or none), 4 bytes per cell of data, one mask byte per cell (or no mask), and at least one valid finite cell.
     * Non-finite cells become invalid.
     */
    public static FrameMessage fromProto(Frame frame) throws FrameDecodeException {
        String id = frame.getStreamId();
        if (id.isEmpty()) {
            throw new FrameDecodeException(DeadLetterReason.MALFORMED, "frame has no stream_id");
        }
        if (!frame.hasEventTime()) {
            throw new FrameDecodeException(DeadLetterReason.MALFORMED, "frame of stream " + id + " has no event_time",
                    id);
        }
        Instant eventTime;
        try {
            eventTime = ProtoTime.toInstant(frame.getEventTime());
        } catch (DateTimeException | ArithmeticException e) {
            // ArithmeticException: nanos past a second added to seconds near Long.MAX_VALUE overflow.
            throw new FrameDecodeException(DeadLetterReason.MALFORMED, "frame of stream " + id + " has event_time "
                    + frame.getEventTime().getSeconds() + " s + " + frame.getEventTime().getNanos()
                    + " ns since the epoch, outside the representable range", id);
        }
        GridShape shape = frame.getShape();
        int c = shape.getChannels();
        int h = shape.getHeight();
        int w = shape.getWidth();
        if (c <= 0 || h <= 0 || w <= 0) {
            throw new FrameDecodeException(DeadLetterReason.WRONG_SHAPE, "frame of stream " + id
                    + ": shape must be positive channels x height x width, got " + c + "x" + h + "x" + w, id);
        }
        long cells = (long) c * h * w;
        if (cells * Float.BYTES > Integer.MAX_VALUE) {
            throw new FrameDecodeException(DeadLetterReason.WRONG_SHAPE, "frame of stream " + id + ": shape "
                    + c + "x" + h + "x" + w + " is too large for one message", id);
        }
        if (frame.getData().size() != cells * Float.BYTES) {
            throw new FrameDecodeException(DeadLetterReason.WRONG_SHAPE, "frame of stream " + id + ": shape "
                    + c + "x" + h + "x" + w + " needs " + cells * Float.BYTES + " data bytes (float32), got "
                    + frame.getData().size(), id);
        }
        int maskBytes = frame.getValidMask().size();
        if (maskBytes != 0 && maskBytes != cells) {
            throw new FrameDecodeException(DeadLetterReason.WRONG_SHAPE, "frame of stream " + id + ": valid_mask needs "
                    + cells + " bytes (one per cell) or none, got " + maskBytes, id);
        }
        if (frame.getChannelsCount() != 0 && frame.getChannelsCount() != c) {
            throw new FrameDecodeException(DeadLetterReason.WRONG_SHAPE, "frame of stream " + id + ": " + c
                    + " channels but " + frame.getChannelsCount() + " channel names " + frame.getChannelsList(), id);
        }
        if (frame.getUnitsCount() != 0 && frame.getUnitsCount() != c) {
            throw new FrameDecodeException(DeadLetterReason.WRONG_SHAPE, "frame of stream " + id + ": " + c
                    + " channels but " + frame.getUnitsCount() + " units " + frame.getUnitsList(), id);
        }
        float[] data = GridBytes.bytesToFloats(frame.getData());
        boolean[] valid = GridBytes.validity(frame.getValidMask(), data);
        boolean any = false;
        for (boolean v : valid) {
            if (v) {
                any = true;
                break;
            }
        }
        if (!any) {
            throw new FrameDecodeException(DeadLetterReason.ALL_INVALID, "frame of stream " + id + " at " + eventTime
                    + " has no valid finite cell", id);
        }
        TimedFrame grid = new TimedFrame(eventTime, frame.getChannelsList(), new io.odecast.data.GridShape(c, h, w),
                data, valid, false);
        return new FrameMessage(id, grid, frame.getUnitsList(), frame.getAttributesMap());
    }
}
