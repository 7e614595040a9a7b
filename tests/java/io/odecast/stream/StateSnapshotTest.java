package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.StreamState;
import io.odecast.proto.StateSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** State snapshots on the state topic and restore at start, against a real in-process broker. */
class StateSnapshotTest extends BrokerTestBase {
    private static final float STATE_TOLERANCE = 1e-6f;
    private static final float FORECAST_TOLERANCE = 1e-5f;
    private static final Duration STEP = Duration.ofHours(6);

    @Test
    void everySecondFrameTheStateTopicGetsTheModelsOwnStateWithTheOffsetOfTheLastFrameIncluded() throws Exception {
        String prefix = "snap";
        List<FrameMessage> frames = sixHourly("plain/a", 5, new Random(11));
        StreamingService service = startService(snapshotting(prefix), model);
        try {
            List<RecordMetadata> sent = send(prefix, frames);
            StateSnapshot snapshot = awaitSnapshot(prefix, "plain/a", 4);
            StreamState restored = StateSnapshotCodec.decode(snapshot, model).state();
            StreamState expected = statesAlone(model, frames).get(3);
            assertTrue(maxAbsDiff(expected.hidden(), restored.hidden()) <= STATE_TOLERANCE, "hidden state differs");
            assertTrue(maxAbsDiff(expected.lastFrame(), restored.lastFrame()) <= STATE_TOLERANCE);
            assertTrue(maxAbsDiff(expected.lastEncoded(), restored.lastEncoded()) <= STATE_TOLERANCE);
            assertEquals(List.of(prefix + ".frames", sent.get(3).partition(), sent.get(3).offset(), "storm",
                    model.version(), frames.get(3).eventTime()), List.of(snapshot.getInputTopic(),
                    snapshot.getInputPartition(), snapshot.getInputOffset(), snapshot.getModelName(),
                    snapshot.getModelVersion(), time(snapshot.getLastEventTime())));
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void afterARestartTheForecastsContinueThoseOfAnUninterruptedRun() throws Exception {
        String prefix = "resume";
        List<FrameMessage> frames = sixHourly("plain/r", 9, new Random(12));
        StreamingService first = startService(snapshotting(prefix), model);
        send(prefix, frames.subList(0, 5));
        await(() -> first.metrics().forecastsEmitted() >= 5, Duration.ofSeconds(30));
        first.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);

        StreamingService second = startService(snapshotting(prefix), model);
        try {
            send(prefix, frames.subList(5, 9));
            Instant lastTime = frames.get(8).eventTime();
            List<ForecastMessage> forecasts = readUntil(kafka.bootstrapServers(), prefix + ".forecasts", Duration.ofSeconds(30),
                    records -> records.stream().anyMatch(r -> forecast(r).basedOnTime().equals(lastTime)),
                    Duration.ofSeconds(1)).stream().map(StreamFixtures::forecast).toList();
            Map<Instant, ForecastMessage> latest = new HashMap<>();
            forecasts.forEach(f -> latest.put(f.basedOnTime(), f));
            // A clean stop committed frames 0-4: the restart emits only 5-8, each once.
            assertEquals(9, latest.size(), "one forecast per frame");
            assertEquals(9, forecasts.size(), "none repeated after the restart");
            List<StreamState> states = statesAlone(model, frames);
            for (int i = 5; i < 9; i++) {
                ForecastMessage f = latest.get(frames.get(i).eventTime());
                List<Instant> grid = ForecastGrid.after(frames.get(i).eventTime(), STEP, 4);
                float[][] expected = forecastAlone(model, states.get(i), grid);
                for (int k = 0; k < grid.size(); k++) {
                    float diff = maxRelDiff(expected[k], f.leads().get(k).data());
                    assertTrue(diff <= FORECAST_TOLERANCE, "frame " + i + " lead " + k + " differs by " + diff
                            + " (restored streams: " + second.metrics().streamsRestored() + ")");
                }
            }
        } finally {
            second.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aReplayedFrameAlreadyInTheRestoredSnapshotIsSkippedNotAbsorbedTwice() throws Exception {
        String prefix = "replay";
        List<FrameMessage> frames = sixHourly("plain/z", 6, new Random(13));
        StreamingService first = startService(snapshotting(prefix), model);
        send(prefix, frames.subList(0, 4));
        awaitSnapshot(prefix, "plain/z", 4);
        first.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        rewindGroup(prefix);

        StreamingService second = startService(snapshotting(prefix), model);
        try {
            send(prefix, frames.subList(4, 6));
            StreamState state = StateSnapshotCodec.decode(awaitSnapshot(prefix, "plain/z", 6), model).state();
            StreamState expected = statesAlone(model, frames).get(5);
            assertTrue(maxAbsDiff(expected.hidden(), state.hidden()) <= STATE_TOLERANCE, "hidden state differs");
            assertEquals(List.of(4L, 0L), List.of(second.metrics().framesSkipped(), second.metrics().deadLettered()));
        } finally {
            second.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void anIdleStreamIsSnapshottedWhenItIsEvicted() throws Exception {
        String prefix = "evict";
        List<FrameMessage> frames = sixHourly("plain/e", 3, new Random(14));
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        StreamingService service = StreamingService.builder(ConfigFactory.parseString(
                        "odecast { idle-timeout = 1h, provisional-check-every = 100ms }")
                        .withFallback(snapshotting(prefix)))
                .models(Map.of("storm", model)).clock(clock).start();
        try {
            send(prefix, frames);
            await(() -> service.metrics().forecastsEmitted() >= 3, Duration.ofSeconds(30));
            clock.set(clock.instant().plus(Duration.ofHours(2)));
            StreamState state = StateSnapshotCodec.decode(awaitSnapshot(prefix, "plain/e", 3), model).state();
            assertTrue(maxAbsDiff(statesAlone(model, frames).get(2).hidden(), state.hidden()) <= STATE_TOLERANCE);
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStreamGoneForTheRetentionIsForgottenOnTheStateTopicAndARestartedInstanceStartsItAfresh() throws Exception {
        String prefix = "forget";
        Random rng = new Random(15);
        List<FrameMessage> gone = sixHourly("plain/gone", 4, rng);
        List<FrameMessage> stays = sixHourly("plain/stays", 5, rng);
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        Config config = ConfigFactory.parseString("odecast { delivery = exactly-once, idle-timeout = 1h,"
                + " state-retention = 8h, provisional-check-every = 0s }").withFallback(snapshotting(prefix));
        StreamingService first = StreamingService.builder(config).models(Map.of("storm", model)).clock(clock).start();
        try {
            send(prefix, gone.subList(0, 3));
            send(prefix, stays.subList(0, 3));
            await(() -> first.metrics().forecastsEmitted() >= 6, Duration.ofSeconds(30));
            // Both idle: evicted, snapshots dated now (T + 90 min).
            clock.set(clock.instant().plus(Duration.ofMinutes(90)));
            await(() -> first.metrics().streamsEvicted() >= 2, Duration.ofSeconds(30));
            // plain/stays comes back; plain/gone does not.
            send(prefix, stays.subList(3, 4));
            await(() -> first.metrics().forecastsEmitted() >= 7, Duration.ofSeconds(30));
            // Past plain/gone's retention (its snapshot is 8 h 1 min old); plain/stays is idle again and evicted.
            clock.set(clock.instant().plus(Duration.ofMinutes(481)));
            await(() -> first.metrics().streamsForgotten() >= 1, Duration.ofSeconds(30));
            // The whole topic (5 s of reading after the tombstone's step): one tombstone, none for plain/stays.
            await(() -> readUntil(kafka.bootstrapServers(), prefix + ".state", Duration.ofSeconds(2), rs -> rs.stream()
                    .anyMatch(r -> r.value() == null)).stream().anyMatch(r -> r.value() == null), Duration.ofSeconds(30));
            List<ConsumerRecord<String, byte[]>> state = readUntil(kafka.bootstrapServers(), prefix + ".state",
                    Duration.ofSeconds(5), rs -> false);
            assertEquals(List.of("plain/gone"), state.stream().filter(r -> r.value() == null).map(ConsumerRecord::key)
                    .toList(), "one tombstone, for the stream gone for longer than the retention");
            assertEquals(1, first.metrics().streamsForgotten());
        } finally {
            first.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        // A new instance restores from the state topic: plain/stays' snapshot (dated by the service's clock, so
        // still within the retention after the restore), nothing for plain/gone.
        clock.set(clock.instant().plus(Duration.ofMinutes(1)));
        StreamingService second = StreamingService.builder(config).models(Map.of("storm", model)).clock(clock).start();
        try {
            send(prefix, List.of(gone.get(3), stays.get(4)));
            List<ForecastMessage> forecasts = readUntil(kafka.bootstrapServers(), prefix + ".forecasts",
                    Duration.ofSeconds(30), rs -> rs.stream().map(StreamFixtures::forecast)
                            .filter(f -> f.basedOnTime().equals(gone.get(3).eventTime()) && f.streamId().equals("plain/gone")
                                    || f.basedOnTime().equals(stays.get(4).eventTime()))
                            .count() >= 2).stream().map(StreamFixtures::forecast).toList();
            assertForecastOf(gone.subList(3, 4), basedOn(forecasts, gone.get(3)));
            assertForecastOf(stays, basedOn(forecasts, stays.get(4)));
            assertEquals(0, second.metrics().streamsForgotten());
        } finally {
            second.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCleanlyStoppedInstanceReadsOnlyTheStateWrittenSinceItsCheckpoint() throws Exception {
        String prefix = "ckpt";
        Random rng = new Random(16);
        Map<String, List<FrameMessage>> byStream = new HashMap<>();
        for (int s = 0; s < 4; s++) {
            byStream.put("plain/c" + s, sixHourly("plain/c" + s, 7, rng));
        }
        // One consumer loop each, so that a's loop owns every partition in both of its runs (checkpoints are per loop).
        Config a = ConfigFactory.parseString("odecast { instance-id = ckpt-a, engine.threads = 1 }")
                .withFallback(snapshotting(prefix));
        Config b = ConfigFactory.parseString("odecast { instance-id = ckpt-b, engine.threads = 1 }")
                .withFallback(snapshotting(prefix));
        run(a, byStream, 0, 3);
        long afterA = readUntil(kafka.bootstrapServers(), prefix + ".state", Duration.ofSeconds(5), rs -> false).size();
        // Another instance (its own local store) takes the partitions over and writes snapshots of its own.
        run(b, byStream, 3, 5);
        long onTopic = readUntil(kafka.bootstrapServers(), prefix + ".state", Duration.ofSeconds(5), rs -> false).size();
        // a again: its folders are checkpointed at its clean stop, so it reads only what b wrote since.
        StreamingService again = startService(a, model);
        try {
            send(prefix, frames(byStream, 5, 7));
            List<ForecastMessage> forecasts = readUntil(kafka.bootstrapServers(), prefix + ".forecasts",
                    Duration.ofSeconds(60), rs -> rs.size() >= 4 * 7).stream().map(StreamFixtures::forecast).toList();
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model, byStream, forecasts);
            assertTrue(onTopic > afterA && afterA > 0, afterA + " then " + onTopic);
            assertEquals(onTopic - afterA, again.metrics().stateRecordsRestored(), "a read only the " + (onTopic - afterA)
                    + " state records b wrote, of " + onTopic);
        } finally {
            again.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /** Starts a service, sends frames [from, to) of every stream, waits for their forecasts, stops it cleanly. */
    private void run(Config config, Map<String, List<FrameMessage>> byStream, int from, int to) throws Exception {
        StreamingService service = startService(config, model);
        try {
            send(config.getString("odecast.kafka.topics.frames").replace(".frames", ""), frames(byStream, from, to));
            await(() -> service.metrics().forecastsEmitted() >= (long) byStream.size() * (to - from),
                    Duration.ofSeconds(60));
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private static List<FrameMessage> frames(Map<String, List<FrameMessage>> byStream, int from, int to) {
        List<FrameMessage> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            for (List<FrameMessage> mine : byStream.values()) {
                out.add(mine.get(i));
            }
        }
        return out;
    }

    private static ForecastMessage basedOn(List<ForecastMessage> forecasts, FrameMessage frame) {
        return forecasts.stream().filter(f -> f.streamId().equals(frame.streamId())
                && f.basedOnTime().equals(frame.eventTime())).reduce((a, b) -> b).orElseThrow();
    }

    /** The forecast equals the model's own from the state after exactly {@code frames} (a fresh state before). */
    private static void assertForecastOf(List<FrameMessage> frames, ForecastMessage f) {
        StreamFixtures.assertForecastOf(model, frames, f);
    }

    private static Config snapshotting(String prefix) {
        return ConfigFactory.parseString("odecast.snapshot.every-frames = 2")
                .withFallback(config(kafka.bootstrapServers(), prefix));
    }


    private List<RecordMetadata> send(String prefix, List<FrameMessage> frames) throws Exception {
        List<RecordMetadata> sent = new ArrayList<>();
        for (FrameMessage f : frames) {
            sent.add(producer.send(new ProducerRecord<>(prefix + ".frames", f.streamId(), FrameCodec.encode(f)))
                    .get(30, TimeUnit.SECONDS));
        }
        return sent;
    }

    /** The stream's snapshot including {@code frames} frames, waiting for it. */
    private static StateSnapshot awaitSnapshot(String prefix, String stream, long frames) {
        List<ConsumerRecord<String, byte[]>> records = readUntil(kafka.bootstrapServers(), prefix + ".state",
                Duration.ofSeconds(30), rs -> find(rs, stream, frames).isPresent());
        return find(records, stream, frames).orElseThrow(() -> new AssertionError("no snapshot of " + stream
                + " with " + frames + " frames on " + prefix + ".state"));
    }

    private static Optional<StateSnapshot> find(List<ConsumerRecord<String, byte[]>> records, String stream,
                                                long frames) {
        return records.stream().filter(r -> stream.equals(r.key())).map(r -> parse(r.value()))
                .filter(s -> s.getFramesSeen() == frames).findFirst();
    }

    /** Sets the group's committed offsets back to 0, as if the commits had not happened before a crash. */
    private static void rewindGroup(String prefix) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
            admin.describeTopics(List.of(prefix + ".frames")).allTopicNames().get().values().forEach(d ->
                    d.partitions().forEach(p -> zero.put(new TopicPartition(d.name(), p.partition()),
                            new OffsetAndMetadata(0))));
            // Offsets can only be altered in an empty group. A stop that raced a rebalance of the service's two
            // consumer loops can leave a join pending until the session timeout (6 s here), so try for a while, as
            // an operator resetting offsets would.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    admin.alterConsumerGroupOffsets(prefix + "-group", zero).all().get(30, TimeUnit.SECONDS);
                    return;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownMemberIdException)
                            || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(500);
                }
            }
        }
    }

    private static StateSnapshot parse(byte[] bytes) {
        try {
            return StateSnapshot.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static float maxAbsDiff(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            return Float.POSITIVE_INFINITY;
        }
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }
}
