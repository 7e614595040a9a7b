package io.odecast.kafka;

import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.proto.RegularFrame;
import java.time.Instant;

/** Converts between the wire {@link RegularFrame} and {@link RegularFrameMessage}, checking what it reads. */
public final class RegularFrameCodec {
    private RegularFrameCodec() {
    }

    /** Serialized {@link RegularFrame} bytes. */
    public static byte[] encode(RegularFrameMessage frame) {
        return toProto(frame).toByteArray();
    }

    /** The wire form; the mask is left empty when every cell is valid. */
    public static RegularFrame toProto(RegularFrameMessage m) {
        TimedFrame f = m.frame();
        return RegularFrame.newBuilder()
                .setStreamId(m.streamId())
                .setTime(ProtoTime.toTimestamp(f.time()))
                .setData(GridBytes.floatsToBytes(f.data()))
                .setValidMask(f.valid() == null ? com.google.protobuf.ByteString.EMPTY
                        : GridBytes.maskToBytes(f.valid()))
                .setFlag(m.flag())
                .setModelVersion(m.modelVersion())
                .addAllChannels(f.channels())
                .setShape(GridBytes.shape(f.shape()))
                .build();
    }

    /**
     * Parses and checks serialized {@link RegularFrame} bytes.
     *
     * @throws IllegalArgumentException naming the stream and what does not fit, or saying the bytes are not a
     *                                  regular frame
     */
    public static RegularFrameMessage decode(byte[] bytes) {
        return fromProto(Wire.parse(bytes, RegularFrame.parser(), "RegularFrame"));
    }

    /**
     * Checks a wire regular frame: stream id and time present (within {@link Instant}'s range), positive shape, 4
     * bytes and one mask byte (or none) per cell; missing channel names become {@code ch0}, {@code ch1}...
     *
     * @throws IllegalArgumentException naming the stream and what does not fit the shape, or the time out of range
     */
    public static RegularFrameMessage fromProto(RegularFrame f) {
        String id = f.getStreamId();
        if (id.isEmpty() || !f.hasTime()) {
            throw new IllegalArgumentException("regular frame without stream_id or time");
        }
        String what = "regular frame of stream " + id;
        GridShape shape = Wire.shape(what, f.getShape());
        if (f.getChannelsCount() != 0 && f.getChannelsCount() != shape.channels()) {
            throw new IllegalArgumentException(what + ": " + f.getChannelsCount() + " channel names for "
                    + shape.channels() + " channels");
        }
        Instant time = ProtoTime.checkedInstant(what + ": time", f.getTime());
        TimedFrame grid = Wire.grid(what + " at " + time, time,
                Wire.channelNames(f.getChannelsList(), shape.channels()), shape, f.getData(), f.getValidMask());
        return new RegularFrameMessage(id, grid, f.getFlag(), f.getModelVersion());
    }
}
