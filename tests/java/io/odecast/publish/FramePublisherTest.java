package io.odecast.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.kafka.ProtoTime;
import io.odecast.proto.Frame;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Pacing, dropout, time shifts and masks, against a mock producer and a fake clock. */
class FramePublisherTest {
    private static final GridShape SHAPE = new GridShape(2, 2, 3);
    private static final List<String> CHANNELS = List.of("u", "v");
    private static final Instant T0 = Instant.parse("1996-01-05T00:00:00Z");

    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    private final List<Duration> sleeps = new ArrayList<>();
    private long fakeNanos;
    private final FramePublisher publisher = new FramePublisher(producer, d -> {
        sleeps.add(d);
        fakeNanos += d.toNanos();
    }, () -> fakeNanos);

    private static TimedFrame frame(int hours) {
        float[] data = new float[SHAPE.size()];
        for (int i = 0; i < data.length; i++) {
            data[i] = hours + i / 10f;
        }
        return TimedFrame.of(T0.plus(Duration.ofHours(hours)), CHANNELS, SHAPE, data);
    }

    private PublishSummary publish(List<TimedFrame> frames, PublishSettings settings) {
        return publisher.publish(frames.iterator(), List.of("m s-1", "m s-1"), -9999, settings);
    }

    private List<Frame> sent() throws Exception {
        List<Frame> out = new ArrayList<>();
        for (var r : producer.history()) {
            out.add(Frame.parseFrom(r.value()));
        }
        return out;
    }

    @Test
    void scaledTimingSleepsTheRealGapsDividedByTheFactor() {
        publish(List.of(frame(0), frame(6), frame(18)), PublishSettings.of("t", "s").withTiming(Timing.scaled(3600)));
        assertEquals(List.of(Duration.ofSeconds(6), Duration.ofSeconds(12)), sleeps);
    }

    @Test
    void fastTimingNeverSleeps() {
        publish(List.of(frame(0), frame(6), frame(18)), PublishSettings.of("t", "s"));
        assertEquals(List.of(), sleeps);
    }

    @Test
    void aDroppedFrameLeavesItsGapInThePacing() {
        // Seed 2's draws are 0.731 (frame 1: below 0.8, dropped) and 0.901 (frame 2: kept).
        PublishSummary s = publish(List.of(frame(0), frame(1), frame(2)),
                PublishSettings.of("t", "s").withTiming(Timing.real()).withDropout(0.8, 2));
        assertEquals(List.of(T0, T0.plus(Duration.ofHours(2))), s.sentTimes());
        assertEquals(1, s.dropped());
        assertEquals(List.of(Duration.ofHours(2)), sleeps, "frame 2 waits out the dropped frame's hour too");
    }

    @Test
    void theFirstFrameIsNeverDropped() throws Exception {
        for (long seed = 0; seed < 20; seed++) {
            producer.clear();
            PublishSummary s = publish(List.of(frame(0), frame(6)), PublishSettings.of("t", "s")
                    .withDropout(0.999, seed));
            assertEquals(T0, s.sentTimes().get(0));
            assertEquals(T0, ProtoTime.toInstant(sent().get(0).getEventTime()));
        }
    }

    @Test
    void rebasingMovesTheFirstFrameToTheGivenInstantAndKeepsTheGaps() throws Exception {
        Instant now = Instant.parse("2030-06-01T12:00:00Z");
        PublishSummary s = publish(List.of(frame(0), frame(6)), PublishSettings.of("t", "s").withFirstEventTime(now));
        assertEquals(List.of(now, now.plus(Duration.ofHours(6))), s.sentTimes());
        assertEquals(now.plus(Duration.ofHours(6)), ProtoTime.toInstant(sent().get(1).getEventTime()));
    }

    @Test
    void missingFramesAreSkippedAndCounted() {
        PublishSummary s = publish(List.of(frame(0), TimedFrame.absent(T0.plus(Duration.ofHours(6)), CHANNELS, SHAPE),
                frame(12)), PublishSettings.of("t", "s"));
        assertEquals(2, s.sent());
        assertEquals(1, s.skippedMissing());
    }

    @Test
    void aFrameWithOneWholeChannelMissingIsSentOnlyWhenPartialFramesAreAllowed() throws Exception {
        TimedFrame f = frame(0);
        boolean[] valid = new boolean[SHAPE.size()];
        java.util.Arrays.fill(valid, 0, SHAPE.planeSize(), true);
        TimedFrame partial = new TimedFrame(f.time(), CHANNELS, SHAPE, f.data(), valid, false);
        assertEquals(0, publish(List.of(partial), PublishSettings.of("t", "s")).sent());
        assertEquals(1, publish(List.of(partial), PublishSettings.of("t", "s").withPartialFrames(true)).sent());
        assertEquals(SHAPE.size(), sent().get(0).getValidMask().size());
    }

    @Test
    void cellsEqualToTheFillValueAreMarkedInvalid() throws Exception {
        TimedFrame f = frame(0);
        f.data()[4] = -9999f;
        publish(List.of(f), PublishSettings.of("t", "s"));
        Frame wire = sent().get(0);
        assertEquals(0, wire.getValidMask().byteAt(4));
        assertEquals(1, wire.getValidMask().byteAt(3));
        assertEquals("s", producer.history().get(0).key());
    }

    @Test
    void aFailedSendStopsPublishingWithTheStreamAndTopicInTheMessage() {
        // The broker refuses every pending record when the publisher flushes.
        MockProducer<String, byte[]> failing =
                new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()) {
                    @Override
                    public synchronized void flush() {
                        while (errorNext(new RuntimeException("broker says no"))) {
                            Thread.onSpinWait();
                        }
                    }
                };
        FramePublisher p = new FramePublisher(failing, d -> { }, System::nanoTime);
        PublishException e = assertThrows(PublishException.class,
                () -> p.publish(List.of(frame(0)).iterator(), List.of(), Double.NaN, PublishSettings.of("topic-x", "s-1")));
        assertTrue(e.getMessage().contains("s-1") && e.getMessage().contains("topic-x")
                && e.getMessage().contains("broker says no"), e.getMessage());
    }

    @Test
    void aFailedSendNoticedLaterNamesTheFrameWhoseSendFailed() {
        // The send of frame 1 fails once frame 1 is out; the publisher notices before it sends frame 2.
        MockProducer<String, byte[]> failing =
                new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()) {
                    @Override
                    public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record,
                                                                    Callback callback) {
                        Future<RecordMetadata> sent = super.send(record, callback);
                        if (history().size() == 2) {
                            completeNext();
                            errorNext(new RuntimeException("broker says no"));
                        }
                        return sent;
                    }
                };
        FramePublisher p = new FramePublisher(failing, d -> { }, System::nanoTime);
        PublishException e = assertThrows(PublishException.class, () -> p.publish(
                List.of(frame(0), frame(1), frame(2), frame(3)).iterator(), List.of(), Double.NaN,
                PublishSettings.of("topic-x", "s-1")));
        assertTrue(e.getMessage().contains("stream s-1 at " + T0.plus(Duration.ofHours(1)) + " to topic topic-x")
                && e.getMessage().contains("broker says no"), e.getMessage());
        assertEquals(2, failing.history().size(), "frame 2 is not sent after the failure is noticed");
    }

    @Test
    void aFailedSendNoticedAtTheFinalFlushNamesTheFrameWhoseSendFailed() {
        // Of three pending sends, the broker refuses the middle one when the publisher flushes.
        MockProducer<String, byte[]> failing =
                new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()) {
                    @Override
                    public synchronized void flush() {
                        completeNext();
                        errorNext(new RuntimeException("broker says no"));
                        completeNext();
                    }
                };
        FramePublisher p = new FramePublisher(failing, d -> { }, System::nanoTime);
        PublishException e = assertThrows(PublishException.class, () -> p.publish(
                List.of(frame(0), frame(1), frame(2)).iterator(), List.of(), Double.NaN,
                PublishSettings.of("topic-x", "s-1")));
        assertTrue(e.getMessage().contains("stream s-1 at " + T0.plus(Duration.ofHours(1)) + " to topic topic-x")
                && e.getMessage().contains("broker says no"), e.getMessage());
    }

    @Test
    void anInterruptWhileWaitingFlushesThePendingSendsAndThrowsPublishException() {
        // Like KafkaProducer: flush() with the interrupt flag set throws at once, leaving the sends pending.
        MockProducer<String, byte[]> pending =
                new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()) {
                    @Override
                    public synchronized void flush() {
                        if (Thread.currentThread().isInterrupted()) {
                            throw new InterruptException("flush interrupted");
                        }
                        super.flush();
                    }
                };
        FramePublisher p = new FramePublisher(pending, d -> {
            throw new InterruptedException("stop");
        }, () -> 0L);
        try {
            PublishException e = assertThrows(PublishException.class, () -> p.publish(
                    List.of(frame(0), frame(6)).iterator(), List.of(), Double.NaN,
                    PublishSettings.of("t", "s").withTiming(Timing.scaled(3600))));
            assertTrue(e.getMessage().contains("interrupted while waiting to send"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, pending.history().size());
        assertFalse(pending.completeNext(), "the first frame's send was flushed, nothing is left pending");
    }

    @Test
    void timingParsesTheCommandLineForms() {
        assertEquals(Timing.asFastAsPossible(), Timing.parse("fast"));
        assertEquals(Timing.real(), Timing.parse("real"));
        assertEquals(Timing.scaled(60), Timing.parse("scaled:60"));
        assertThrows(IllegalArgumentException.class, () -> Timing.parse("scaled:0"));
        assertThrows(IllegalArgumentException.class, () -> Timing.parse("slow"));
    }
}
