package io.odecast.train.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.kafka.FrameMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training set stays within its size and age limits and reads back each stream in time order. */
class TrainingSetTest {

    @TempDir
    Path dir;

    @Test
    void aFlushedFrameIsOnDiskForTheNextProcessWithoutAClose() throws Exception {
        TrainingSet.Limits limits = new TrainingSet.Limits(1 << 20, Duration.ofDays(1), 1 << 18, Duration.ofHours(1));
        TrainingSet set = new TrainingSet(dir, limits, java.time.Clock.systemUTC());
        set.append(TrainingRoundTest.blob("a", 1, 1).get(0));
        TrainingSet afterAKill = new TrainingSet(dir, limits, java.time.Clock.systemUTC());
        assertEquals(Map.of(), afterAKill.frames(), "buffered, not yet in the file: what the recorder flushes");
        set.flush();
        assertEquals(List.of(TrainingRoundTest.T0), afterAKill.frames().get("a").stream()
                .map(FrameMessage::eventTime).toList());
        set.close();
    }

    @Test
    void oldestSegmentsAreDroppedBeyondTheSizeBudget() throws Exception {
        TrainingSet set = new TrainingSet(dir, new TrainingSet.Limits(4_000, Duration.ofDays(1), 1_000,
                Duration.ofHours(1)), java.time.Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        for (int t = 0; t < 100; t++) {
            set.append(TrainingRoundTest.blob("a", 1, 100).get(t));
        }
        long bytes = set.bytes();
        int frame = 4 + io.odecast.kafka.FrameCodec.encode(TrainingRoundTest.blob("a", 1, 1).get(0)).length;
        assertTrue(bytes <= 4_000 + 1_000 + frame, "set holds " + bytes + " bytes");
        List<FrameMessage> kept = set.frames().get("a");
        assertTrue(kept.get(0).eventTime().isAfter(TrainingRoundTest.T0), "oldest frames dropped");
        assertEquals(TrainingRoundTest.T0.plusSeconds(99), kept.get(kept.size() - 1).eventTime());
        set.close();
    }

    @Test
    void segmentsOlderThanTheAgeLimitAreDropped() throws Exception {
        MutableClock clock = new MutableClock();
        TrainingSet set = new TrainingSet(dir, new TrainingSet.Limits(1 << 20, Duration.ofHours(2), 1 << 19,
                Duration.ofHours(1)), clock);
        set.append(TrainingRoundTest.blob("old", 1, 1).get(0));
        clock.now = clock.now.plus(Duration.ofHours(4));
        set.append(TrainingRoundTest.blob("new", 1, 1).get(0));
        assertEquals(List.of("new"), List.copyOf(set.frames().keySet()));
        set.close();
    }

    @Test
    void aRepeatedFrameCountsOnceAndStreamsReadBackInTimeOrder() throws Exception {
        TrainingSet set = new TrainingSet(dir, new TrainingSet.Limits(1 << 20, Duration.ofDays(1), 1 << 19,
                Duration.ofHours(1)), java.time.Clock.systemUTC());
        List<FrameMessage> frames = TrainingRoundTest.blob("s", 1, 3);
        set.append(frames.get(2));
        set.append(frames.get(0));
        set.append(frames.get(1));
        set.append(frames.get(1));
        Map<String, List<FrameMessage>> read = set.frames();
        assertEquals(frames.stream().map(FrameMessage::eventTime).toList(),
                read.get("s").stream().map(FrameMessage::eventTime).toList());
        set.close();
    }

    private static final class MutableClock extends java.time.Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
