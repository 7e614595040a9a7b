package io.odecast.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.odecast.data.TimedFrame;
import io.odecast.proto.Frame;
import io.odecast.proto.GridShape;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static final Instant T0 = Instant.parse("1996-01-05T00:00:00.123456789Z");

    /** 2 channels x 3 x 4 with awkward values: negative zero, subnormals, extremes and one invalid cell. */
    static FrameMessage sample() {
        float[] data = new float[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) Math.sin(i) * 1000f + i / 7f;
        }
        data[1] = -0.0f;
        data[2] = Float.MIN_VALUE;
        data[3] = Float.MAX_VALUE;
        boolean[] valid = new boolean[data.length];
        java.util.Arrays.fill(valid, true);
        valid[5] = false;
        return new FrameMessage("storm", new TimedFrame(T0, List.of("U850", "PSL"), new io.odecast.data.GridShape(2, 3, 4),
                data, valid, false), List.of("m s-1", "Pa"), Map.of("source", "Ustorm.cdf"));
    }

    private static Frame.Builder validProto() {
        return FrameCodec.toProto(sample()).toBuilder();
    }

    private static DeadLetterReason reasonOf(Frame frame) {
        return assertThrows(FrameDecodeException.class, () -> FrameCodec.decode(frame.toByteArray())).reason();
    }

    @Test
    void roundTripKeepsEveryFieldAndFloatBitsExactly() throws Exception {
        FrameMessage frame = sample();
        FrameMessage back = FrameCodec.decode(FrameCodec.encode(frame));
        assertEquals(frame, back);
        for (int i = 0; i < frame.data().length; i++) {
            assertEquals(Float.floatToRawIntBits(frame.data()[i]), Float.floatToRawIntBits(back.data()[i]), "cell " + i);
        }
    }

    @Test
    void wireDataIsLittleEndianFloat32RowMajor() {
        float[] data = {1f, 2f, 3f, 4f, 5f, 6f};
        Frame proto = FrameCodec.toProto(FrameMessage.of("s", T0, List.of(), new io.odecast.data.GridShape(1, 2, 3), data));
        ByteString bytes = proto.getData();
        assertEquals(24, bytes.size());
        // 2.0f = 0x40000000, little-endian at cell 1.
        assertArrayEquals(new byte[] {0, 0, 0, 0x40}, bytes.substring(4, 8).toByteArray());
        assertTrue(proto.getValidMask().isEmpty(), "all-valid frames carry no mask");
    }

    @Test
    void nanCellsBecomeInvalidAndKeepTheirBits() throws Exception {
        float[] data = {1f, Float.NaN, 3f, Float.POSITIVE_INFINITY};
        Frame proto = Frame.newBuilder().setStreamId("cam").setEventTime(ProtoTime.toTimestamp(T0))
                .setShape(GridShape.newBuilder().setChannels(1).setHeight(2).setWidth(2))
                .setData(GridBytes.floatsToBytes(data)).build();
        FrameMessage back = FrameCodec.fromProto(proto);
        assertArrayEquals(new boolean[] {true, false, true, false}, back.valid());
        assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(back.data()[1]));
    }

    @Test
    void maskZeroBytesMarkCellsInvalid() throws Exception {
        Frame proto = validProto().setValidMask(ByteString.copyFrom(maskWithOneValid(24, 7))).build();
        FrameMessage back = FrameCodec.fromProto(proto);
        assertEquals(1, back.frame().validCount());
        assertTrue(back.valid()[7]);
        assertFalse(back.valid()[6]);
    }

    private static byte[] maskWithOneValid(int n, int index) {
        byte[] mask = new byte[n];
        mask[index] = 1;
        return mask;
    }

    @Test
    void unparsableBytesAreMalformed() {
        var e = assertThrows(FrameDecodeException.class, () -> FrameCodec.decode(new byte[] {(byte) 0xff, 1, 2}));
        assertEquals(DeadLetterReason.MALFORMED, e.reason());
    }

    @Test
    void nullValueIsMalformed() {
        assertEquals(DeadLetterReason.MALFORMED,
                assertThrows(FrameDecodeException.class, () -> FrameCodec.decode(null)).reason());
    }

    @Test
    void missingStreamIdOrEventTimeIsMalformed() {
        assertEquals(DeadLetterReason.MALFORMED, reasonOf(validProto().clearStreamId().build()));
        assertEquals(DeadLetterReason.MALFORMED, reasonOf(validProto().clearEventTime().build()));
        assertEquals(DeadLetterReason.MALFORMED, reasonOf(validProto()
                .setEventTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(Long.MAX_VALUE)).build()));
        // Nanos past a second on top of the largest seconds overflow a long (ArithmeticException, not
        // DateTimeException): still a malformed frame, never an exception that fails the service's step.
        assertEquals(DeadLetterReason.MALFORMED, reasonOf(validProto().setEventTime(com.google.protobuf.Timestamp
                .newBuilder().setSeconds(Long.MAX_VALUE).setNanos(1_500_000_000)).build()));
    }

    @Test
    void dataLengthNotMatchingShapeIsWrongShape() {
        Frame proto = validProto().setShape(GridShape.newBuilder().setChannels(2).setHeight(3).setWidth(5)).build();
        var e = assertThrows(FrameDecodeException.class, () -> FrameCodec.fromProto(proto));
        assertEquals(DeadLetterReason.WRONG_SHAPE, e.reason());
        assertEquals("storm", e.streamId().orElseThrow());
        assertTrue(e.getMessage().contains("needs 120 data bytes"), e.getMessage());
    }

    @Test
    void maskLengthNotOneBytePerCellIsWrongShape() {
        assertEquals(DeadLetterReason.WRONG_SHAPE, reasonOf(validProto().setValidMask(ByteString.copyFrom(new byte[3]))
                .build()));
    }

    @Test
    void nonPositiveShapeOrChannelNameCountIsWrongShape() {
        assertEquals(DeadLetterReason.WRONG_SHAPE, reasonOf(validProto().clearShape().build()));
        assertEquals(DeadLetterReason.WRONG_SHAPE, reasonOf(validProto().addChannels("extra").build()));
    }

    @Test
    void frameWithoutAnyValidFiniteCellIsAllInvalid() {
        float[] data = {Float.NaN, 2f};
        Frame proto = Frame.newBuilder().setStreamId("cam").setEventTime(ProtoTime.toTimestamp(T0))
                .setShape(GridShape.newBuilder().setChannels(1).setHeight(1).setWidth(2))
                .setData(GridBytes.floatsToBytes(data)).setValidMask(ByteString.copyFrom(new byte[] {1, 0})).build();
        assertEquals(DeadLetterReason.ALL_INVALID, reasonOf(proto));
    }

    @Test
    void unitsRoundTripAndAWrongUnitCountIsAWrongShape() throws Exception {
        assertEquals(List.of("m s-1", "Pa"), FrameCodec.decode(FrameCodec.encode(sample())).units());
        assertEquals(DeadLetterReason.WRONG_SHAPE, reasonOf(validProto().addUnits("K").build()));
    }
}
