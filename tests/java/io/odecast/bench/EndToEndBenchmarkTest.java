package io.odecast.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.model.Blend;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The end-to-end benchmark's short mode: every published frame gets exactly one forecast, matched by (stream, time);
 * and its parts: the paced load generator (against a fake clock and a mock producer), the matching of forecasts, the
 * latency percentiles and the middle-80 % rate.
 */
class EndToEndBenchmarkTest {
    private static final Instant T0 = Instant.parse("1996-01-05T00:00:00Z");
    private static final ModelCard CARD = new ModelCard("tiny", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
            new float[] {0f, 0f, 1000f}, new float[] {5f, 5f, 10f}, null, "PT6H", 0.1, null, null);

    private static VidOdeModel tinyModel() {
        return new VidOdeModel(new VidOdeNetwork(ModelConfig.of(3, 12, 12, 4, 1), 7), CARD);
    }

    @Test
    void theBlendsFlowIsTimedOnlyForAModelWhoseCardBlendsFlowAndAddsItsCoreTimeToTheModels() {
        try (VidOdeModel plain = tinyModel()) {
            double[] leads = {0.1, 0.2, 0.3, 0.4};
            assertTrue(Double.isNaN(EndToEndBenchmark.flowMsPerForecast(plain, leads, Duration.ofMillis(50))));
            Map<String, float[]> weights = new HashMap<>();
            for (int k = 1; k <= 4; k++) {
                weights.put(Blend.leadKey(k), new float[] {0.5f, 0.5f, 0.5f});
            }
            try (VidOdeModel blended = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(3, 12, 12, 4, 1), 7),
                    CARD.withBlend(new Blend(Blend.FLOW, weights, null)))) {
                double ms = EndToEndBenchmark.flowMsPerForecast(blended, leads, Duration.ofMillis(50));
                assertTrue(ms > 0 && ms < 1000, "ms per forecast: " + ms);
            }
        }
        // The model alone: 100 forecasts/s on 2 busy cores, 20 ms of a core each; with 5 ms of flow, 25 ms: 80/s.
        EndToEndBenchmark.Report r = new EndToEndBenchmark.Report(null, null, 0, 0, 0, 0, 0, 0, 0, 8, 90, 110, null,
                2, 5.0, 2);
        assertEquals(80.0, r.modelWithFlowPerSecond(), 1e-9);
    }

    @Test
    void everyFrameGetsExactlyOneForecastInEveryPhase() throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        EndToEndBenchmark.Report r;
        try (VidOdeModel model = tinyModel()) {
            r = new EndToEndBenchmark(new PrintStream(text, true, StandardCharsets.UTF_8)).run(model, "tiny",
                    new EndToEndBenchmark.Settings(3, 4, 10, Duration.ofSeconds(1), Duration.ofMillis(500),
                            Duration.ofMillis(200), "odecast.decoder.max-batch = 8", 1));
        }
        String printed = text.toString(StandardCharsets.UTF_8);
        assertEquals(0, r.missing(), printed);
        assertEquals(0, r.duplicates(), printed);
        assertEquals(0, r.unexpected(), printed);
        assertEquals(0, r.wrongLeads(), "every forecast has the rule's 4 leads: " + printed);
        assertEquals(12, r.saturated().published());
        // One of the three streams has priority = high (its own stream rule): its 4 frames' latency apart.
        assertTrue(r.saturated().urgentLatency().max() > 0, printed);
        assertTrue(printed.contains("saturated: of the priority = high streams: p50"), printed);
        assertEquals(10, r.paced().published());
        // With a warm-up, the saturated load runs again once the JVM has served a while, and the ratio is its.
        assertEquals(12, r.saturatedWarm().published());
        assertEquals(r.saturatedWarm().middlePerSecond() / r.modelOnlyPerSecond(), r.serviceOverModel(), 1e-12);
        assertEquals(r.saturated().middlePerSecond() / r.modelOnlyPerSecond(), r.coldServiceOverModel(), 1e-12);
        // The model-only timing runs at the batch the compared (warm) phase's bulk calls reached: the urgent
        // stream's calls of one request each are left out.
        assertEquals(Math.max(1, Math.round(r.saturatedWarm().bulkMeanBatch())), r.modelOnlyBatch());
        assertTrue(r.saturatedWarm().bulkMeanBatch() >= 1 && r.saturatedWarm().bulkMeanBatch() <= 8, printed);
        assertTrue(printed.contains("saturated again: arrival-to-forecast latency"), printed);
        // Every forecast came from a model call of at most max-batch requests, and each call is counted once.
        long[] sizes = r.saturated().batchSizes();
        assertEquals(0, Arrays.stream(sizes, 4, sizes.length).sum(), printed);
        assertTrue(r.saturated().meanBatch() >= 1 && r.saturated().meanBatch() <= 8, printed);
        assertTrue(r.modelOnlyFirst() > 0 && r.modelOnlyLast() > 0, printed);
        // Paced latencies run from each frame's due time, at or after the phase's start, to a receipt before its end;
        // the generator's lag is measured and printed (the saturated phases have no schedule).
        EndToEndBenchmark.Latency paced = r.paced().latency();
        assertTrue(paced.p50() > 0 && paced.p50() <= paced.p95() && paced.p95() <= paced.p99()
                && paced.p99() <= paced.max() && paced.max() <= 1000 * r.paced().seconds(), printed);
        assertTrue(r.paced().generatorLagMs() >= 0 && r.paced().generatorLagMs() < 1000 * r.paced().seconds(),
                printed);
        assertTrue(Double.isNaN(r.saturated().generatorLagMs()), printed);
        assertTrue(printed.contains("paced: latency from each frame's due time; load generator at most"), printed);
        // Where the service's time goes: a forecast's cost in a worker's time against the model alone's, and the
        // threads' CPU in the saturated phases.
        assertTrue(r.saturated().callMsPerForecast() > 0 && r.saturated().workerBusy() > 0, printed);
        assertTrue(printed.contains("saturated: CPU cores by thread group"), printed);
        assertTrue(printed.contains("ms of a worker's time per forecast, workers busy"), printed);
        // The warm-up's frames are matched too (missing counts every frame sent), and reported apart.
        assertTrue(printed.contains("warm-up: arrival-to-forecast latency"), printed);
    }

    @Test
    void aStalledGeneratorStillStartsEachFramesLatencyAtItsDueTime() throws Exception {
        // 10 frames/s; the wait for frame 5 oversleeps by 1 s (a pause): frames 5-14 go out late, back to back.
        long[] now = {0};
        int[] sleeps = {0};
        Map<String, Long> sentAt = new HashMap<>();
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
                sentAt.put(record.key() + "#" + history().size(), now[0]);
                return super.send(record, callback);
            }
        };
        try (VidOdeModel model = tinyModel()) {
            EndToEndBenchmark.Load load = new EndToEndBenchmark.Load(model, 2, 0, () -> now[0], d -> {
                now[0] += d.toNanos();
                if (++sleeps[0] == 5) {
                    now[0] += 1_000_000_000L;
                }
            });
            EndToEndBenchmark.PacedSends sends = load.sendPaced(producer, "frames", 10, 20);
            assertEquals(20, sends.keys().size());
            for (int i = 0; i < 20; i++) {
                EndToEndBenchmark.Key key = sends.keys().get(i);
                long due = sends.start() + i * 100_000_000L;
                assertEquals(due, load.sent.get(key), "frame " + i + "'s latency starts at its due time");
                long actual = sentAt.get(key.stream() + "#" + i);
                assertEquals(i >= 5 && i < 15 ? due + (15 - i) * 100_000_000L : due, actual, "frame " + i + " sent");
            }
            assertEquals(1_000_000_000L, sends.maxLagNanos());
        }
    }

    @Test
    void aRefusedSendFailsThePacedPhaseBeforeTheNextSendNamingItsFrame() throws Exception {
        RuntimeException refused = new RuntimeException("record too large");
        MockProducer<String, byte[]> producer = new MockProducer<>(false, null, new StringSerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
                Future<RecordMetadata> f = super.send(record, callback);
                if (history().size() == 3) {
                    errorNext(refused);
                } else {
                    completeNext();
                }
                return f;
            }
        };
        try (VidOdeModel model = tinyModel()) {
            long[] now = {0};
            EndToEndBenchmark.Load load = new EndToEndBenchmark.Load(model, 2, 0, () -> now[0],
                    d -> now[0] += d.toNanos());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> load.sendPaced(producer, "frames", 10, 20));
            // The third frame: stream 0's second (round robin over 2 streams), 6 h after the first.
            assertSame(refused, e.getCause());
            assertTrue(e.getMessage().contains("stream e2e/s0 at " + T0.plus(Duration.ofHours(6)))
                    && e.getMessage().contains("record too large"), e.getMessage());
            assertEquals(3, producer.history().size(), "nothing is sent after the refusal");
        }
    }

    @Test
    void forecastsOfOnePollShareItsReceiptTimeAndWrongLeadCountsAreCounted() {
        Map<EndToEndBenchmark.Key, Long> sent = new HashMap<>();
        EndToEndBenchmark.Key a = new EndToEndBenchmark.Key("e2e/s0", T0);
        EndToEndBenchmark.Key b = new EndToEndBenchmark.Key("e2e/s1", T0);
        sent.put(a, 1L);
        sent.put(b, 2L);
        EndToEndBenchmark.Matcher matcher = new EndToEndBenchmark.Matcher(sent, 4);
        matcher.accept(List.of(forecast("e2e/s0", T0, 4), forecast("e2e/s1", T0, 3),
                forecast("e2e/s9", T0, 4)), 1_000);
        assertEquals(Map.of(a, 1_000L, b, 1_000L), matcher.received);
        assertEquals(1_000, matcher.lastReceipt.get());
        assertEquals(1, matcher.wrongLeads.get(), "stream s1's forecast has 3 leads");
        assertEquals(1, matcher.unexpected.get(), "no frame of stream s9 was sent");
        matcher.accept(List.of(forecast("e2e/s0", T0, 4)), 2_000);
        assertEquals(1, matcher.duplicates.get());
        assertEquals(1_000, matcher.received.get(a), "the first receipt counts");
    }

    private static byte[] forecast(String stream, Instant basedOn, int leads) {
        GridShape shape = new GridShape(1, 2, 2);
        List<ForecastMessage.Lead> list = new ArrayList<>();
        for (int k = 1; k <= leads; k++) {
            list.add(new ForecastMessage.Lead(Duration.ofHours(6L * k), TimedFrame.of(
                    basedOn.plus(Duration.ofHours(6L * k)), List.of("u"), shape, new float[shape.size()])));
        }
        return ForecastCodec.encode(new ForecastMessage(stream, basedOn, null, "tiny", "v1", List.of("u"),
                List.of(), shape, list, List.of(), 0, 0));
    }

    @Test
    void latencyPercentilesAreNearestRank() {
        long[] hundred = new long[100];
        for (int i = 0; i < 100; i++) {
            // 1 ms to 100 ms, out of order.
            hundred[i] = ((i * 37) % 100 + 1) * 1_000_000L;
        }
        EndToEndBenchmark.Latency l = EndToEndBenchmark.Latency.of(hundred);
        assertEquals(List.of(50.0, 95.0, 99.0, 100.0), List.of(l.p50(), l.p95(), l.p99(), l.max()));
        long[] ten = new long[10];
        for (int i = 0; i < 10; i++) {
            ten[i] = (10 - i) * 1_000_000L;
        }
        // Rank ceil(q n): 5 of 10 for p50, 10 of 10 for p95 and p99.
        l = EndToEndBenchmark.Latency.of(ten);
        assertEquals(List.of(5.0, 10.0, 10.0, 10.0), List.of(l.p50(), l.p95(), l.p99(), l.max()));
        l = EndToEndBenchmark.Latency.of(new long[] {3_000_000L});
        assertEquals(List.of(3.0, 3.0, 3.0, 3.0), List.of(l.p50(), l.p95(), l.p99(), l.max()));
        assertTrue(Double.isNaN(EndToEndBenchmark.Latency.of(new long[0]).p50()));
    }

    @Test
    void theMiddleRateLeavesOutTheRampAndTheTail() {
        // 100 forecasts: 10 a second apart (ramp), 80 a millisecond apart, 10 a second apart (tail).
        long[] receipts = new long[100];
        for (int i = 0; i < 100; i++) {
            long ms = i < 10 ? 1000L * i : i < 90 ? 10_000 + (i - 10) : 10_079 + 1000L * (i - 89);
            receipts[i] = ms * 1_000_000L;
        }
        // From the 11th to the 90th forecast: 79 intervals of 1 ms.
        assertEquals(1000.0, EndToEndBenchmark.middlePerSecond(receipts, 5.0), 1e-6);
        assertEquals(5.0, EndToEndBenchmark.middlePerSecond(new long[] {7}, 5.0), "one forecast: the whole rate");
        assertEquals(5.0, EndToEndBenchmark.middlePerSecond(new long[] {7, 7, 7}, 5.0), "no span: the whole rate");
    }

    @Test
    void threadGroupsFoldLoopsWorkersAndClientNames() {
        assertEquals("odecast-engine", EndToEndBenchmark.threadGroup("odecast-engine-e2e"));
        assertEquals("odecast-engine", EndToEndBenchmark.threadGroup("odecast-engine-e2e-e3"));
        assertEquals("odecast-model", EndToEndBenchmark.threadGroup("odecast-model-1-2"));
        assertEquals("odecast-engine-priority", EndToEndBenchmark.threadGroup("odecast-engine-e2e-priority"));
        assertEquals("odecast-model-u", EndToEndBenchmark.threadGroup("odecast-model-1-u1"));
        assertEquals("kafka-producer-network-thread",
                EndToEndBenchmark.threadGroup("kafka-producer-network-thread | odecast-e2e-e1"));
        assertEquals("bench-forecast-reader", EndToEndBenchmark.threadGroup("bench-forecast-reader"));
    }
}
