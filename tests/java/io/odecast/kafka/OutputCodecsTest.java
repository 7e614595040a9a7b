package io.odecast.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.proto.Forecast;
import io.odecast.proto.RegularFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The forecast, regular-frame and dead-letter codecs: both directions, bit for bit, and what they refuse. */
class OutputCodecsTest {
    private static final Instant T0 = Instant.parse("1996-01-05T06:00:00.5Z");
    private static final GridShape SHAPE = new GridShape(2, 2, 3);
    private static final List<String> CHANNELS = List.of("u", "p");

    private static float[] values(int seed) {
        float[] v = new float[SHAPE.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(seed * 31 + i) * 1e3f;
        }
        v[1] = -0.0f;
        v[2] = Float.MIN_VALUE;
        return v;
    }

    private static ForecastMessage forecast(boolean[] valid) {
        List<ForecastMessage.Lead> leads = List.of(
                new ForecastMessage.Lead(Duration.ofHours(6), new TimedFrame(T0.plus(Duration.ofHours(6)), CHANNELS,
                        SHAPE, values(1), valid, false)),
                new ForecastMessage.Lead(Duration.ofHours(12), new TimedFrame(T0.plus(Duration.ofHours(12)),
                        CHANNELS, SHAPE, values(2), valid, false)));
        return new ForecastMessage("storm/a", T0, T0.plusSeconds(5), "storm", "abc123", CHANNELS, List.of("m s-1",
                "hPa"), SHAPE, leads, List.of(Forecast.Flag.WARMING_UP, Forecast.Flag.REPLAYED), 3, 42);
    }

    @Test
    void aForecastRoundTripsEveryFieldAndEveryBit() {
        boolean[] valid = new boolean[SHAPE.size()];
        java.util.Arrays.fill(valid, true);
        valid[4] = false;
        ForecastMessage f = forecast(valid);
        ForecastMessage back = ForecastCodec.decode(ForecastCodec.encode(f));
        assertEquals(List.of(f.streamId(), f.basedOnTime(), f.issuedAt(), f.modelName(), f.modelVersion(),
                f.channels(), f.units(), f.shape(), f.flags(), f.inputPartition(), f.inputOffset()),
                List.of(back.streamId(), back.basedOnTime(), back.issuedAt(), back.modelName(), back.modelVersion(),
                        back.channels(), back.units(), back.shape(), back.flags(), back.inputPartition(),
                        back.inputOffset()));
        for (int k = 0; k < 2; k++) {
            ForecastMessage.Lead a = f.leads().get(k);
            ForecastMessage.Lead b = back.leads().get(k);
            assertEquals(a.lead(), b.lead());
            assertEquals(a.validTime(), b.validTime());
            assertArrayEquals(a.valid(), b.valid());
            for (int i = 0; i < a.data().length; i++) {
                assertEquals(Float.floatToRawIntBits(a.data()[i]), Float.floatToRawIntBits(b.data()[i]));
            }
        }
        assertEquals(new ForecastCodec.InputPosition(3, 42), ForecastCodec.inputPosition(ForecastCodec.encode(f)));
    }

    @Test
    void anAllValidForecastCarriesNoMaskAndUnnamedChannelsGetNames() {
        Forecast wire = ForecastCodec.toProto(forecast(null)).toBuilder().clearChannels().clearUnits().build();
        assertTrue(wire.getLeadsList().stream().allMatch(l -> l.getValidMask().isEmpty()));
        ForecastMessage back = ForecastCodec.fromProto(wire);
        assertEquals(List.of("ch0", "ch1"), back.channels());
        assertEquals("", back.unit(1));
        assertTrue(back.leads().get(0).valid()[4]);
    }

    @Test
    void aForecastWhoseDataDoesNotFitItsShapeIsRefusedNamingTheStream() {
        Forecast wire = ForecastCodec.toProto(forecast(null));
        Forecast shortData = wire.toBuilder().setLeads(1, wire.getLeads(1).toBuilder()
                .setData(ByteString.copyFrom(new byte[8]))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ForecastCodec.fromProto(shortData));
        assertTrue(e.getMessage().contains("storm/a") && e.getMessage().contains("48 data bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ForecastCodec.decode(new byte[] {1, 2, 3}));
        // A shape whose cell count overflows an int (1 x 65536 x 65536 is 0 in int arithmetic) with empty data: it
        // was taken as a grid of no cells.
        Forecast huge = wire.toBuilder().setShape(wire.getShape().toBuilder().setChannels(1).setHeight(65536)
                .setWidth(65536)).clearLeads().addLeads(wire.getLeads(0).toBuilder().setData(ByteString.EMPTY)
                .clearValidMask()).build();
        IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
                () -> ForecastCodec.fromProto(huge));
        assertTrue(overflow.getMessage().contains("cells"), overflow.getMessage());
    }

    /**
     * A time outside {@link Instant}'s range, or a lead that overflows it from the based-on time, is refused as
     * {@link IllegalArgumentException} naming the stream (not the {@code DateTimeException} or
     * {@code ArithmeticException} of {@code java.time}): readers that skip bad records catch what the codec documents.
     */
    @Test
    void aForecastWithATimeOutOfRangeIsRefusedAsAnIllegalArgument() {
        Forecast wire = ForecastCodec.toProto(forecast(null));
        com.google.protobuf.Timestamp tooLate = com.google.protobuf.Timestamp.newBuilder().setSeconds(Long.MAX_VALUE)
                .build();
        com.google.protobuf.Timestamp overflowing = com.google.protobuf.Timestamp.newBuilder()
                .setSeconds(Long.MAX_VALUE).setNanos(1_500_000_000).build();
        Forecast.Lead lead = wire.getLeads(0);
        List<Forecast> bad = List.of(
                wire.toBuilder().setBasedOnTime(tooLate).build(),
                wire.toBuilder().setBasedOnTime(overflowing).build(),
                wire.toBuilder().setIssuedAt(tooLate).build(),
                wire.toBuilder().setLeads(0, lead.toBuilder().setValidTime(tooLate)).build(),
                // No valid time: based-on + lead, past Instant.MAX.
                wire.toBuilder().setLeads(0, lead.toBuilder().clearValidTime()
                        .setLead(com.google.protobuf.Duration.newBuilder().setSeconds(Long.MAX_VALUE / 2))).build(),
                // The lead itself overflows a java.time.Duration.
                wire.toBuilder().setLeads(0, lead.toBuilder().setLead(com.google.protobuf.Duration.newBuilder()
                        .setSeconds(Long.MAX_VALUE).setNanos(1_500_000_000))).build());
        for (Forecast f : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ForecastCodec.fromProto(f));
            assertTrue(e.getMessage().contains("storm/a") && e.getMessage().contains("representable range"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ForecastCodec.decode(f.toByteArray()));
        }
    }

    @Test
    void aRegularFrameWithATimeOutOfRangeIsRefusedAsAnIllegalArgument() {
        RegularFrame wire = RegularFrameCodec.toProto(new RegularFrameMessage("storm/a", TimedFrame.finite(T0,
                CHANNELS, SHAPE, values(4)), RegularFrame.Flag.FILLED, ""));
        for (com.google.protobuf.Timestamp t : List.of(
                com.google.protobuf.Timestamp.newBuilder().setSeconds(Long.MIN_VALUE).build(),
                com.google.protobuf.Timestamp.newBuilder().setSeconds(Long.MAX_VALUE).setNanos(1_500_000_000)
                        .build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RegularFrameCodec.decode(wire.toBuilder().setTime(t).build().toByteArray()));
            assertTrue(e.getMessage().contains("storm/a"), e.getMessage());
        }
    }

    @Test
    void aRegularFrameRoundTripsWithItsFlagAndVersion() {
        float[] data = values(3);
        data[5] = Float.NaN;
        RegularFrameMessage m = new RegularFrameMessage("storm/a", TimedFrame.finite(T0, CHANNELS, SHAPE, data),
                RegularFrame.Flag.FILLED, "abc123");
        RegularFrameMessage back = RegularFrameCodec.decode(RegularFrameCodec.encode(m));
        assertEquals(List.of("storm/a", T0, CHANNELS, SHAPE, RegularFrame.Flag.FILLED, "abc123"),
                List.of(back.streamId(), back.time(), back.frame().channels(), back.frame().shape(), back.flag(),
                        back.modelVersion()));
        assertArrayEquals(m.frame().valid(), back.frame().valid());
        assertFalse(back.frame().isValid(5));
        assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(back.frame().data()[5]));
    }

    @Test
    void aRegularFrameWithoutTimeIsRefused() {
        RegularFrame wire = RegularFrameCodec.toProto(new RegularFrameMessage("s", TimedFrame.finite(T0, CHANNELS,
                SHAPE, values(4)), RegularFrame.Flag.OBSERVED, "")).toBuilder().clearTime().build();
        assertThrows(IllegalArgumentException.class, () -> RegularFrameCodec.fromProto(wire));
    }

    @Test
    void aDeadLetterRoundTrips() {
        DeadLetterMessage d = new DeadLetterMessage("odecast.frames", 2, 17, "cam-9".getBytes(), new byte[] {1, 2, 3},
                3_000_000, "ab".repeat(32), true, DeadLetterReason.OUT_OF_RANGE, "too big", Optional.of("cam-9"),
                T0, Optional.of(T0.minusSeconds(1)));
        DeadLetterMessage back = DeadLetterCodec.decode(DeadLetterCodec.encode(d));
        assertEquals(List.of(d.position(), d.originalSize(), d.originalSha256(), d.valueTruncated(), d.reason(),
                d.reasonText(), d.streamId(), d.time(), d.originalTimestamp()), List.of(back.position(),
                back.originalSize(), back.originalSha256(), back.valueTruncated(), back.reason(), back.reasonText(),
                back.streamId(), back.time(), back.originalTimestamp()));
        assertArrayEquals(d.originalKey(), back.originalKey());
        assertArrayEquals(d.originalValue(), back.originalValue());
        assertEquals("odecast.frames-2@17", back.position());
        assertEquals("odecast.frames-2@17", back.root(), "not a replay: its own position");

        DeadLetterMessage replay = new DeadLetterMessage("odecast.frames", 0, 90, new byte[0], new byte[] {1},
                1, "", false, DeadLetterReason.OUT_OF_ORDER, "", Optional.empty(), T0, Optional.empty(),
                Optional.of("odecast.frames-2@17"));
        DeadLetterMessage replayBack = DeadLetterCodec.decode(DeadLetterCodec.encode(replay));
        assertEquals(Optional.of("odecast.frames-2@17"), replayBack.replayOf());
        assertEquals("odecast.frames-2@17", replayBack.root(), "a replay stands for the record it copies");
    }
}
