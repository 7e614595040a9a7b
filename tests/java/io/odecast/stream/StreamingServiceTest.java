package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.data.GridShape;
import io.odecast.kafka.DeadLetterCodec;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.RegularFrameCodec;
import io.odecast.kafka.RegularFrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The streaming service end to end against a real in-process broker, with a small random model. */
class StreamingServiceTest extends BrokerTestBase {
    private static final float TOLERANCE = 1e-5f;
    private static final Duration STEP = Duration.ofHours(6);

    @Test
    void irregularFramesGetOneForecastEachOnTheGridEqualToTheModelAlone() throws Exception {
        String prefix = "forecasts";
        Random rng = new Random(1);
        List<FrameMessage> frames = new ArrayList<>();
        for (double h : new double[] {0, 7, 12, 25, 31, 48, 54.5, 66}) {
            frames.add(frame("plain/a", hours(h), rng));
        }
        StreamingService service = startService(config(kafka.bootstrapServers(), prefix), model);
        try {
            publish(producer, prefix + ".frames", frames);
            List<ForecastMessage> forecasts = readAtLeast(kafka.bootstrapServers(), prefix + ".forecasts", frames.size())
                    .stream().map(StreamFixtures::forecast).toList();
            assertEquals(frames.size(), forecasts.size());
            List<StreamState> states = statesAlone(model, frames);
            for (int i = 0; i < frames.size(); i++) {
                ForecastMessage f = forecasts.get(i);
                Instant basedOn = frames.get(i).eventTime();
                List<Instant> grid = ForecastGrid.after(basedOn, STEP, 4);
                assertEquals(basedOn, f.basedOnTime());
                assertEquals(grid, f.leads().stream().map(l -> l.validTime()).toList());
                assertEquals(model.version(), f.modelVersion());
                float[][] expected = forecastAlone(model, states.get(i), grid);
                for (int k = 0; k < grid.size(); k++) {
                    float diff = maxRelDiff(expected[k], f.leads().get(k).data());
                    assertTrue(diff <= TOLERANCE, "frame " + i + " lead " + k + " differs by " + diff);
                }
            }
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void missingCadenceTicksAreFilledOnceEachInTimeOrder() throws Exception {
        String prefix = "gaps";
        Random rng = new Random(2);
        List<FrameMessage> frames = new ArrayList<>();
        for (double h : new double[] {0, 6, 18, 24, 42}) {
            frames.add(frame("storm/b", hours(h), rng));
        }
        StreamingService service = startService(config(kafka.bootstrapServers(), prefix), model);
        try {
            publish(producer, prefix + ".frames", frames);
            List<RegularFrameMessage> regular = readAtLeast(kafka.bootstrapServers(), prefix + ".regular", 8).stream()
                    .map(r -> parse(r.value())).toList();
            List<String> seen = regular.stream().map(r -> r.time() + " " + r.flag()).toList();
            List<String> expected = List.of(hours(0) + " OBSERVED", hours(6) + " OBSERVED", hours(12) + " FILLED",
                    hours(18) + " OBSERVED", hours(24) + " OBSERVED", hours(30) + " FILLED", hours(36) + " FILLED",
                    hours(42) + " OBSERVED");
            assertEquals(expected, seen);
            // A forecaster fills a gap with its forecast from the state before the gap.
            List<StreamState> states = statesAlone(model, frames);
            float[][] gap = forecastAlone(model, states.get(3), List.of(hours(30), hours(36)));
            assertTrue(maxRelDiff(gap[0], regular.get(5).frame().data()) <= TOLERANCE);
            assertTrue(maxRelDiff(gap[1], regular.get(6).frame().data()) <= TOLERANCE);
            assertEquals(3, service.metrics().framesFilled());
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFillModelInterpolatesTheGapFromTheStreamsRecentFrames() throws Exception {
        String prefix = "interp";
        Random rng = new Random(5);
        List<FrameMessage> frames = new ArrayList<>();
        for (double h : new double[] {0, 6, 12, 30}) {
            frames.add(frame("storm/i", hours(h), rng));
        }
        ModelCard card = new ModelCard("storm-interp", ModelCard.INTERPOLATE, CHANNELS, new float[] {0f, 0f, 1000f},
                new float[] {5f, 5f, 10f}, null, "PT6H", 0.1, null, null);
        try (VidOdeModel interpolator = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(C, H, W, 4, 1), 9), card)) {
            Config config = ConfigFactory.parseString("odecast.streams = [{ pattern = \"storm/*\", cadence = 6h,"
                    + " fill-model = \"storm-interp\", fill-window = 3 }]")
                    .withFallback(config(kafka.bootstrapServers(), prefix));
            StreamingService service = StreamingService.builder(config)
                    .models(Map.of("storm", model, "storm-interp", interpolator)).start();
            try {
                publish(producer, prefix + ".frames", frames);
                List<RegularFrameMessage> regular = readAtLeast(kafka.bootstrapServers(), prefix + ".regular", 6).stream()
                        .map(r -> parse(r.value())).toList();
                assertEquals(List.of(hours(0) + " OBSERVED", hours(6) + " OBSERVED", hours(12) + " OBSERVED",
                        hours(18) + " FILLED", hours(24) + " FILLED", hours(30) + " OBSERVED"),
                        regular.stream().map(r -> r.time() + " " + r.flag()).toList());
                // The window is the last fill-window - 1 frames before the gap and the frame after it.
                List<Observation> window = List.of(observation(interpolator, frames.get(1)),
                        observation(interpolator, frames.get(2)), observation(interpolator, frames.get(3)));
                float[][] expected = interpolator.interpolate(List.of(window), new double[][] {{
                    card.modelTime(hours(18)), card.modelTime(hours(24))}}).get(0);
                assertTrue(maxRelDiff(expected[0], regular.get(3).frame().data()) <= TOLERANCE);
                assertTrue(maxRelDiff(expected[1], regular.get(4).frame().data()) <= TOLERANCE);
                // The forecasts still come from the stream's forecaster.
                assertEquals(model.version(), forecast(readAtLeast(kafka.bootstrapServers(), prefix + ".forecasts", 4)
                        .get(3)).modelVersion());
            } finally {
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void rejectedRecordsGoToTheDeadLetterTopicAndTheStreamGoesOn() throws Exception {
        String prefix = "rejects";
        String topic = prefix + ".frames";
        Random rng = new Random(3);
        FrameMessage first = frame("plain/c", hours(0), rng);
        float[] grey = new float[H * W];
        float[] nan = new float[C * H * W];
        Arrays.fill(nan, Float.NaN);
        FrameMessage last = frame("plain/c", hours(12), rng);
        StreamingService service = startService(config(kafka.bootstrapServers(), prefix), model);
        try {
            producer.send(new ProducerRecord<>(topic, "plain/c", FrameCodec.encode(first)));
            producer.send(new ProducerRecord<>(topic, "plain/c", new byte[] {1, 2, 3, 4, 5}));
            producer.send(new ProducerRecord<>(topic, "plain/c", FrameCodec.encode(
                    FrameMessage.of("plain/c", hours(3), List.of("grey"), new GridShape(1, H, W), grey))));
            producer.send(new ProducerRecord<>(topic, "plain/c", FrameCodec.encode(
                    FrameMessage.of("plain/c", hours(4), CHANNELS, new GridShape(C, H, W), nan))));
            producer.send(new ProducerRecord<>(topic, "plain/c", FrameCodec.encode(frame("plain/c", hours(0), rng))));
            producer.send(new ProducerRecord<>(topic, "nobody/x", FrameCodec.encode(frame("nobody/x", hours(0), rng))));
            producer.send(new ProducerRecord<>(topic, "plain/c", FrameCodec.encode(last)));
            producer.flush();
            List<DeadLetterReason> reasons = readAtLeast(kafka.bootstrapServers(), prefix + ".dlq", 5).stream()
                    .map(r -> DeadLetterCodec.decode(r.value()).reason()).sorted().toList();
            assertEquals(List.of(DeadLetterReason.MALFORMED, DeadLetterReason.WRONG_SHAPE,
                    DeadLetterReason.ALL_INVALID, DeadLetterReason.OUT_OF_ORDER, DeadLetterReason.UNKNOWN_STREAM),
                    reasons);
            List<Instant> basedOn = readAtLeast(kafka.bootstrapServers(), prefix + ".forecasts", 2).stream()
                    .map(r -> forecast(r).basedOnTime()).toList();
            assertEquals(List.of(hours(0), hours(12)), basedOn);
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void restartingMidStreamLosesNoForecast() throws Exception {
        String prefix = "restart";
        Random rng = new Random(4);
        List<FrameMessage> frames = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            frames.add(frame("plain/d" + (i % 2), hours(6 * (i / 2)), rng));
        }
        StreamingService first = startService(config(kafka.bootstrapServers(), prefix), model);
        publish(producer, prefix + ".frames", frames);
        await(() -> first.metrics().forecastsEmitted() >= 5, Duration.ofSeconds(60));
        first.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        long beforeRestart = first.metrics().forecastsEmitted();

        StreamingService second = startService(config(kafka.bootstrapServers(), prefix), model);
        try {
            Set<String> expected = new HashSet<>();
            frames.forEach(f -> expected.add(f.streamId() + "@" + f.eventTime()));
            List<ConsumerRecord<String, byte[]>> out = readUntil(kafka.bootstrapServers(), prefix + ".forecasts",
                    Duration.ofSeconds(60), records -> covered(records).containsAll(expected));
            assertTrue(covered(out).containsAll(expected), "forecasts missing after restart (" + beforeRestart
                    + " before it): " + difference(expected, covered(out)));
        } finally {
            second.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void manyStreamsAreBatchedAndMatchTheirUnbatchedOutputs() throws Exception {
        String prefix = "batching";
        Random rng = new Random(5);
        List<FrameMessage> interleaved = interleaved("plain/s", 16, 4, s -> s % 3, rng);
        Map<String, List<FrameMessage>> byStream = byStream(interleaved);
        StreamingService service = StreamingService.builder(config(kafka.bootstrapServers(), prefix))
                .models(Map.of("storm", model)).start();
        try {
            publish(producer, prefix + ".frames", interleaved);
            List<ForecastMessage> forecasts = readAtLeast(kafka.bootstrapServers(), prefix + ".forecasts",
                    interleaved.size()).stream().map(StreamFixtures::forecast).toList();
            assertEquals(interleaved.size(), forecasts.size());
            assertTrue(service.metrics().largestBatch() > 1, "no batch larger than 1: " + service.metrics());
            assertEquals(0, service.metrics().urgentCalls(), "no high-priority stream, no urgent call");
            assertEachStreamsForecastsEqualTheModelAlone(model, byStream, forecasts);
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void anOverdueCadenceTickGetsAProvisionalFrameThenItsFilledOneWhenTheNextFrameArrives() throws Exception {
        String prefix = "provisional";
        Random rng = new Random(6);
        List<FrameMessage> frames = List.of(frame("storm/p", hours(0), rng), frame("storm/p", hours(6), rng),
                frame("storm/p", hours(18), rng));
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        StreamingService service = StreamingService.builder(com.typesafe.config.ConfigFactory
                        .parseString("odecast.provisional-check-every = 100ms")
                        .withFallback(config(kafka.bootstrapServers(), prefix)))
                .models(Map.of("storm", model)).clock(clock).start();
        try {
            publish(producer, prefix + ".frames", frames.subList(0, 2));
            readAtLeast(kafka.bootstrapServers(), prefix + ".regular", 2);
            // Tick 12 h was due 6 h after the 6 h frame arrived; max-wait is 1 h.
            clock.set(clock.instant().plus(Duration.ofHours(7)).plusSeconds(60));
            readAtLeast(kafka.bootstrapServers(), prefix + ".regular", 3);
            publish(producer, prefix + ".frames", frames.subList(2, 3));
            List<RegularFrameMessage> regular = readAtLeast(kafka.bootstrapServers(), prefix + ".regular", 5).stream()
                    .map(r -> parse(r.value())).toList();
            assertEquals(List.of(hours(0) + " OBSERVED", hours(6) + " OBSERVED", hours(12) + " PROVISIONAL",
                    hours(12) + " FILLED", hours(18) + " OBSERVED"),
                    regular.stream().map(r -> r.time() + " " + r.flag()).toList());
            float[] expected = forecastAlone(model, statesAlone(model, frames).get(1), List.of(hours(12)))[0];
            assertTrue(maxRelDiff(expected, regular.get(2).frame().data()) <= TOLERANCE);
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private static Set<String> covered(List<ConsumerRecord<String, byte[]>> records) {
        Set<String> keys = new HashSet<>();
        for (var r : records) {
            ForecastMessage f = forecast(r);
            keys.add(f.streamId() + "@" + f.basedOnTime());
        }
        return keys;
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> d = new HashSet<>(a);
        d.removeAll(b);
        return d;
    }

    private static RegularFrameMessage parse(byte[] bytes) {
        return RegularFrameCodec.decode(bytes);
    }

    @Test
    void aHighPriorityStreamsFrameOvertakesTheBacklogOfOtherPartitions() throws Exception {
        String prefix = "priority";
        Random rng = new Random(21);
        List<FrameMessage> frames = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            for (int s = 0; s < 30; s++) {
                frames.add(frame(String.format("plain/p%02d", s), hours(6 * i), rng));
            }
        }
        FrameMessage urgent = frame("urgent/a", hours(0), rng);
        frames.add(urgent);
        Config config = ConfigFactory.parseString("""
                odecast.streams = [
                  { pattern = "urgent/*", priority = high }
                  { pattern = "plain/*" }
                ]
                # Priority orders the work of one consumer loop; with several, the others' partitions run beside it.
                odecast.engine.threads = 1
                """).withFallback(config(kafka.bootstrapServers(), prefix));
        // The whole backlog is there before the service starts (a first start creates the topics): without priority
        // the urgent frame, last in its partition, would run in the last chunk.
        startService(config, model).drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        publish(producer, prefix + ".frames", frames);
        StreamingService service = startService(config, model);
        try {
            List<ConsumerRecord<String, byte[]>> out = readAtLeast(kafka.bootstrapServers(), prefix + ".forecasts",
                    frames.size());
            assertEquals(frames.size(), out.size());
            ConsumerRecord<String, byte[]> first = out.stream().filter(r -> r.key().equals("urgent/a")).findFirst()
                    .orElseThrow();
            int urgentPartition = partitionOf("urgent/a");
            long otherPartitions = frames.stream().filter(f -> partitionOf(f.streamId()) != urgentPartition).count();
            long otherAfter = out.stream().filter(r -> partitionOf(r.key()) != urgentPartition)
                    .filter(r -> r.timestamp() >= first.timestamp()).count();
            assertTrue(otherPartitions > 0);
            assertEquals(otherPartitions, otherAfter, "forecasts of other partitions' streams produced before the"
                    + " high-priority stream's");
            assertTrue(service.metrics().urgentCalls() >= 1, "the urgent step's calls went first: " + service.metrics());
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoConsumerLoopsShareThePartitionsAndEveryFrameGetsOneForecastEqualToTheModelAlone() throws Exception {
        String prefix = "loops";
        Random rng = new Random(22);
        List<FrameMessage> frames = interleaved("plain/l", 12, 3, s -> 0, rng);
        Map<String, List<FrameMessage>> byStream = byStream(frames);
        Config config = ConfigFactory.parseString("odecast { engine.threads = 2, decoder.workers = 2 }")
                .withFallback(config(kafka.bootstrapServers(), prefix));
        StreamingService service = startService(config, model);
        try {
            // Both loops own partitions (3 between them), each its own static member of the group.
            await("both loops own partitions", Duration.ofSeconds(60), () -> {
                StreamingService.Readiness r = service.readiness();
                return r.ready() && r.partitions() == 3 && r.loopPartitions().size() == 2
                        && r.loopPartitions().stream().allMatch(n -> n > 0);
            });
            publish(producer, prefix + ".frames", frames);
            List<ForecastMessage> forecasts = readAtLeast(kafka.bootstrapServers(), prefix + ".forecasts",
                    frames.size()).stream().map(StreamFixtures::forecast).toList();
            assertEquals(frames.size(), forecasts.size());
            assertEquals(frames.size(), forecasts.stream().map(f -> f.streamId() + "@" + f.basedOnTime())
                    .distinct().count(), "a frame with two forecasts");
            assertEachStreamsForecastsEqualTheModelAlone(model, byStream, forecasts);
            assertEquals(Set.of(0, 1, 2), service.metrics().consumerLag().keySet(), "lag of every partition");
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPriorityLaneOwnsTheReservedPartitionAndServesItsStreamsBesideTheBulkBacklog() throws Exception {
        String prefix = "lanes";
        Random rng = new Random(23);
        List<FrameMessage> bulk = interleaved("plain/b", 40, 8, s -> 0, rng);
        List<FrameMessage> urgent = sixHourly("urgent/a", 3, rng);
        Config config = ConfigFactory.parseString("""
                odecast.streams = [
                  { pattern = "urgent/*", priority = high }
                  { pattern = "plain/*" }
                ]
                odecast.kafka.priority-partitions = 1
                odecast { engine.threads = 1, decoder.workers = 1 }
                """).withFallback(config(kafka.bootstrapServers(), prefix));
        StreamingService service = startService(config, model);
        Map<String, Object> routing = new HashMap<>(io.odecast.kafka.FramePartitioner.producerConfig(1,
                List.of("urgent/*")));
        routing.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var routed = producer(routing)) {
            // The bulk loop owns partitions 0 and 1, the lane (a loop of its own) the reserved partition 2.
            await("the lane owns the reserved partition", Duration.ofSeconds(60), () -> {
                StreamingService.Readiness r = service.readiness();
                return r.ready() && r.loopPartitions().equals(List.of(2, 1));
            });
            publish(routed, prefix + ".frames", bulk);
            publish(routed, prefix + ".frames", urgent);
            // A bulk stream's frame put on the reserved partition by hand is served there all the same (with a warning).
            FrameMessage stray = frame("plain/stray", hours(0), rng);
            routed.send(new ProducerRecord<>(prefix + ".frames", 2, stray.streamId(), FrameCodec.encode(stray))).get();
            int total = bulk.size() + urgent.size() + 1;
            List<ConsumerRecord<String, byte[]>> out = readAtLeast(kafka.bootstrapServers(), prefix + ".forecasts",
                    total);
            List<ForecastMessage> forecasts = out.stream().map(StreamFixtures::forecast).toList();
            assertEquals(total, forecasts.stream().map(f -> f.streamId() + "@" + f.basedOnTime()).distinct().count(),
                    "one forecast per frame");
            assertEquals(total, forecasts.size());
            for (ForecastMessage f : forecasts) {
                boolean reserved = f.streamId().startsWith("urgent/") || f.streamId().equals("plain/stray");
                assertEquals(reserved, f.inputPartition() == 2, f.streamId() + " from partition " + f.inputPartition());
            }
            // The lane served the high-priority stream while the bulk loop still had its backlog: its first
            // forecast came before the last bulk one, although its frames were published after all of them.
            long firstUrgent = out.stream().filter(r -> r.key().equals("urgent/a")).mapToLong(ConsumerRecord::timestamp)
                    .min().orElseThrow();
            long lastBulk = out.stream().filter(r -> r.key().startsWith("plain/b")).mapToLong(ConsumerRecord::timestamp)
                    .max().orElseThrow();
            assertTrue(firstUrgent <= lastBulk, "urgent " + firstUrgent + " after the whole backlog " + lastBulk);
            assertEachStreamsForecastsEqualTheModelAlone(model, byStream(urgent), forecasts);
            assertTrue(service.metrics().urgentCalls() >= 1, "the lane's calls went first: " + service.metrics());
        } finally {
            service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code frames} six-hourly frames of {@code streams} streams ({@code prefix} + two digits), interleaved frame by
     * frame; stream s's times are shifted by {@code offsetHours.applyAsInt(s)}.
     */
    private static List<FrameMessage> interleaved(String prefix, int streams, int frames,
                                                  java.util.function.IntUnaryOperator offsetHours, Random rng) {
        List<FrameMessage> out = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            for (int s = 0; s < streams; s++) {
                out.add(frame(String.format("%s%02d", prefix, s), hours(6 * i + offsetHours.applyAsInt(s)), rng));
            }
        }
        return out;
    }

    private static Map<String, List<FrameMessage>> byStream(List<FrameMessage> frames) {
        Map<String, List<FrameMessage>> out = new HashMap<>();
        frames.forEach(f -> out.computeIfAbsent(f.streamId(), k -> new ArrayList<>()).add(f));
        return out;
    }

    /** The frames topic's partition of a key (3 partitions), as the default partitioner places it. */
    private static int partitionOf(String key) {
        byte[] bytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(bytes)) % 3;
    }
}
