package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.await;
import static io.odecast.stream.StreamFixtures.config;
import static io.odecast.stream.StreamFixtures.sixHourly;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.DeadLetterMessage;
import io.odecast.kafka.DeadLetterPublisher;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The way back from the dead-letter topic: frames of a stream no rule named are rejected as unknown_stream; once a
 * rule is added, {@code odecast dead-letters --replay} publishes them again and the service forecasts them as if they
 * had been accepted the first time (a frame a producer sent without a key: keyed by its stream id). The letters hold
 * only a 100-byte prefix here, so the frames are read back from the frames topic. Replaying again duplicates nothing,
 * and letters of one frame count once.
 */
class DeadLetterReplayTest extends BrokerTestBase {

    @Test
    void framesRejectedAsUnknownStreamAreForecastWhenReplayedAfterARuleIsAdded() throws Exception {
        String prefix = "dlq-replay";
        List<FrameMessage> frames = sixHourly("extra/s", 4, new Random(41));
        FrameMessage unkeyed = sixHourly("extra/k", 1, new Random(42)).get(0);
        Config before = ConfigFactory.parseString("odecast.input.dead-letter-value-bytes = 100")
                .withFallback(config(kafka.bootstrapServers(), prefix));
        StreamingService first = StreamFixtures.startService(before, model);
        try {
            await(() -> first.readiness().ready(), Duration.ofSeconds(60));
            // Record timestamps falling while event times rise (a producer's clock stepped back, say): the replay
            // orders a stream's frames by event time, read from each letter's 100-byte prefix.
            long now = System.currentTimeMillis();
            for (int i = 0; i < frames.size(); i++) {
                producer.send(new ProducerRecord<>(prefix + ".frames", null, now - 1_000L * i, frames.get(i).streamId(),
                        FrameCodec.encode(frames.get(i))));
            }
            producer.flush();
            producer.send(new ProducerRecord<>(prefix + ".frames", "plain/bad",
                    "not a frame".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            // A producer that forgot the key: key_mismatch.
            producer.send(new ProducerRecord<>(prefix + ".frames", null, FrameCodec.encode(unkeyed)))
                    .get(30, TimeUnit.SECONDS);
            await(() -> first.metrics().deadLettered() >= 6, Duration.ofSeconds(60));
        } finally {
            first.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        // A letter of another topic's record (a tool of the operator's own writing the same format): never replayed.
        DeadLetterMessage elsewhere = new DeadLetterMessage("elsewhere", 0, 7, "extra/o".getBytes(StandardCharsets.UTF_8),
                FrameCodec.encode(unkeyed), FrameCodec.encode(unkeyed).length, "", false,
                DeadLetterReason.UNKNOWN_STREAM, "", Optional.of("extra/o"), Instant.now(), Optional.empty());
        producer.send(new DeadLetterPublisher(settings(before).kafka().topics().deadLetters(), java.time.Clock.systemUTC())
                .producerRecord(elsewhere)).get(30, TimeUnit.SECONDS);

        DeadLetterReplay tool = new DeadLetterReplay(settings(before));
        DeadLetterReplay.Result summary = tool.run(new DeadLetterReplay.Filter(Set.of(), null), false);
        assertEquals(7, summary.letters(), summary.toString());
        assertEquals(Map.of(DeadLetterReason.UNKNOWN_STREAM, 5, DeadLetterReason.MALFORMED, 1,
                DeadLetterReason.KEY_MISMATCH, 1), summary.byReason());
        assertEquals(Map.of("extra/s", 4, "extra/k", 1, "extra/o", 1, "", 1), summary.byStream(), summary.toString());
        assertEquals(List.of(0, 1), List.of(summary.replayed(), summary.otherTopics()), "no --replay, nothing published");
        assertEquals(1, summary.ownBytes(), "the malformed letter is counted apart: " + summary);

        Config after = ConfigFactory.parseString("odecast.streams = [{ pattern = \"plain/*\" },"
                + " { pattern = \"extra/*\" }]").withFallback(before);
        StreamingService second = StreamFixtures.startService(after, model);
        DeadLetterReplay.Filter extra = new DeadLetterReplay.Filter(EnumSet.of(DeadLetterReason.UNKNOWN_STREAM,
                DeadLetterReason.KEY_MISMATCH), "extra/*");
        try {
            await(() -> second.readiness().ready(), Duration.ofSeconds(60));
            // Batches of one letter: each read back from the topic on its own pass, the order kept across them.
            DeadLetterReplay.Result replay = new DeadLetterReplay(settings(after), 1).run(extra, true);
            assertEquals(List.of(6, 5, 5, 0, 0, 0, 1), List.of(replay.letters(), replay.replayed(), replay.reread(),
                    replay.gone(), replay.mismatch(), replay.behind(), replay.otherTopics()), replay.toString());
            List<ForecastMessage> forecasts = StreamFixtures.readUntil(kafka.bootstrapServers(), prefix + ".forecasts",
                    Duration.ofSeconds(60), rs -> rs.size() >= 5).stream().map(StreamFixtures::forecast).toList();
            assertEquals(5, forecasts.size(), "one forecast per replayed frame");
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model,
                    Map.of("extra/s", frames, "extra/k", List.of(unkeyed)), forecasts);

            // Replayed again: the copies arrive out of order and are rejected; no second forecast.
            long rejected = second.metrics().deadLettered();
            DeadLetterReplay.Result again = new DeadLetterReplay(settings(after)).run(extra, true);
            assertEquals(5, again.replayed(), again.toString());
            await(() -> second.metrics().deadLettered() >= rejected + 5, Duration.ofSeconds(60));
            // The service counts a letter when it is sent; with its step's commit it becomes readable.
            DeadLetterReplay.Filter all = new DeadLetterReplay.Filter(Set.of(), "extra/*");
            await("the five new letters on the dead-letter topic", Duration.ofSeconds(60), () -> {
                try {
                    return new DeadLetterReplay(settings(after)).run(all, false).behind() == 5;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Their letters carry the root: one frame, one letter, now marked already in and never sent again.
            DeadLetterReplay.Result third = new DeadLetterReplay(settings(after)).run(all, true);
            assertEquals(List.of(6, 0, 5, 1), List.of(third.letters(), third.replayed(), third.behind(),
                    third.otherTopics()), third.toString());
            assertEquals(Map.of(DeadLetterReason.OUT_OF_ORDER, 5, DeadLetterReason.UNKNOWN_STREAM, 1),
                    third.byReason(), third.toString());
            assertEquals(5, StreamFixtures.readUntil(kafka.bootstrapServers(), prefix + ".forecasts",
                    Duration.ofSeconds(3), rs -> false).size(), "still one forecast per frame");
        } finally {
            second.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * A frame keyed by another stream's id is replayed keyed by its own (it was sent with the same wrong key, rejected
     * again and published again on every run). Letters whose bytes are the cause (malformed, a null value among them;
     * all cells invalid; data that does not fit the frame's own declared shape, a wrong_shape by its bytes) are not
     * sent and are counted apart, unless the filter names their reason.
     */
    @Test
    void aWronglyKeyedFrameIsReKeyedAndLettersOfBadBytesAreSentOnlyWhenTheirReasonIsNamed() throws Exception {
        String prefix = "dlq-bytes";
        Config config = config(kafka.bootstrapServers(), prefix);
        FrameMessage wronglyKeyed = sixHourly("plain/w", 1, new Random(51)).get(0);
        float[] nan = new float[StreamFixtures.C * StreamFixtures.H * StreamFixtures.W];
        java.util.Arrays.fill(nan, Float.NaN);
        FrameMessage allNaN = FrameMessage.of("plain/nan", StreamFixtures.T0, StreamFixtures.CHANNELS,
                new io.odecast.data.GridShape(StreamFixtures.C, StreamFixtures.H, StreamFixtures.W), nan);
        io.odecast.proto.Frame shortData = FrameCodec.toProto(sixHourly("plain/short", 1, new Random(53)).get(0))
                .toBuilder().setData(com.google.protobuf.ByteString.copyFrom(new byte[8])).build();
        StreamingService service = StreamFixtures.startService(config, model);
        try {
            await(() -> service.readiness().ready(), Duration.ofSeconds(60));
            String frames = prefix + ".frames";
            producer.send(new ProducerRecord<>(frames, "plain/other", FrameCodec.encode(wronglyKeyed)));
            producer.send(new ProducerRecord<>(frames, "plain/bad", "not a frame".getBytes(StandardCharsets.UTF_8)));
            producer.send(new ProducerRecord<>(frames, "plain/n", null));
            producer.send(new ProducerRecord<>(frames, "plain/nan", FrameCodec.encode(allNaN)));
            producer.send(new ProducerRecord<>(frames, "plain/short", shortData.toByteArray()));
            producer.flush();
            DeadLetterReplay.Filter any = new DeadLetterReplay.Filter(Set.of(), null);
            await("the five letters on the dead-letter topic", Duration.ofSeconds(60),
                    () -> run(config, any, false).letters() == 5);
            DeadLetterReplay.Result summary = run(config, any, false);
            assertEquals(Map.of(DeadLetterReason.KEY_MISMATCH, 1, DeadLetterReason.MALFORMED, 2,
                    DeadLetterReason.ALL_INVALID, 1, DeadLetterReason.WRONG_SHAPE, 1), summary.byReason(),
                    summary.toString());
            assertEquals(List.of(0, 3), List.of(summary.replayed(), summary.ownBytes()),
                    "by reason alone: the malformed and all-invalid letters; " + summary);

            DeadLetterReplay.Result replay = run(config, any, true);
            assertEquals(List.of(5, 1, 4, 0, 0), List.of(replay.letters(), replay.replayed(), replay.ownBytes(),
                    replay.gone(), replay.mismatch()), "the wrong_shape letter's data does not fit its own shape: "
                    + replay);
            List<ConsumerRecord<String, byte[]>> replayed = StreamFixtures.readUntil(kafka.bootstrapServers(),
                    frames, Duration.ofSeconds(60), rs -> rs.stream().anyMatch(DeadLetterReplayTest::isReplay))
                    .stream().filter(DeadLetterReplayTest::isReplay).toList();
            assertEquals(List.of("plain/w"), replayed.stream().map(ConsumerRecord::key).toList(),
                    "keyed by its stream id, not by the wrong key it was sent with");
            List<ForecastMessage> forecasts = StreamFixtures.readUntil(kafka.bootstrapServers(),
                    prefix + ".forecasts", Duration.ofSeconds(60), rs -> !rs.isEmpty()).stream()
                    .map(StreamFixtures::forecast).toList();
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model, Map.of("plain/w",
                    List.of(wronglyKeyed)), forecasts);
            assertEquals(5, service.metrics().deadLettered(), "the re-keyed frame was accepted");

            // Named, the malformed letters are sent (and rejected again, as malformed).
            DeadLetterReplay.Filter malformed = new DeadLetterReplay.Filter(EnumSet.of(DeadLetterReason.MALFORMED),
                    null);
            DeadLetterReplay.Result named = run(config, malformed, true);
            assertEquals(List.of(2, 2, 0), List.of(named.letters(), named.replayed(), named.ownBytes()),
                    named.toString());
            await(() -> service.metrics().deadLettered() >= 7, Duration.ofSeconds(60));
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private static boolean isReplay(ConsumerRecord<String, byte[]> r) {
        return r.headers().lastHeader(DeadLetterReplay.REPLAY_HEADER) != null;
    }

    private static DeadLetterReplay.Result run(Config config, DeadLetterReplay.Filter filter, boolean replay) {
        try {
            return new DeadLetterReplay(settings(config)).run(filter, replay);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theEventTimeIsReadFromAFramesFirstBytesEvenWhenTheLetterHoldsOnlyAPrefix() {
        FrameMessage frame = sixHourly("a/very/long/stream/id/" + "x".repeat(40), 1, new Random(3)).get(0);
        byte[] whole = FrameCodec.encode(frame);
        long expected = frame.eventTime().toEpochMilli();
        assertEquals(Optional.of(expected), DeadLetterReplay.eventTime(whole));
        assertEquals(Optional.of(expected), DeadLetterReplay.eventTime(java.util.Arrays.copyOf(whole, 100)));
        // Cut inside the stream id, or not a frame at all: unknown, never a wrong time.
        assertEquals(Optional.empty(), DeadLetterReplay.eventTime(java.util.Arrays.copyOf(whole, 20)));
        assertEquals(Optional.empty(), DeadLetterReplay.eventTime("not a frame".getBytes(StandardCharsets.UTF_8)));
    }

    private static ServiceSettings settings(Config config) {
        return ServiceSettings.fromConfig(config.withFallback(ConfigFactory.defaultReference()).resolve());
    }
}
