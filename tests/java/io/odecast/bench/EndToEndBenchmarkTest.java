package io.odecast.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The end-to-end benchmark's short mode: every published frame gets exactly one forecast, matched by (stream, time). */
class EndToEndBenchmarkTest {

    @Test
    void everyFrameGetsExactlyOneForecastInEveryPhase() throws Exception {
        ModelCard card = new ModelCard("tiny", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
                new float[] {0f, 0f, 1000f}, new float[] {5f, 5f, 10f}, null, "PT6H", 0.1, null, null);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        EndToEndBenchmark.Report r;
        try (VidOdeModel model = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(3, 12, 12, 4, 1), 7), card)) {
            r = new EndToEndBenchmark(new PrintStream(text, true, StandardCharsets.UTF_8)).run(model, "tiny",
                    new EndToEndBenchmark.Settings(3, 4, 10, Duration.ofSeconds(1), Duration.ofMillis(500),
                            Duration.ofMillis(200), "odecast.decoder.max-batch = 8", 1));
        }
        String printed = text.toString(StandardCharsets.UTF_8);
        assertEquals(0, r.missing(), printed);
        assertEquals(0, r.duplicates(), printed);
        assertEquals(0, r.unexpected(), printed);
        assertEquals(12, r.saturated().published());
        // One of the three streams has priority = high (its own stream rule): its 4 frames' latency apart.
        assertTrue(r.saturated().urgentLatency().max() > 0, printed);
        assertTrue(printed.contains("saturated: of the priority = high streams: p50"), printed);
        assertEquals(10, r.paced().published());
        // With a warm-up, the saturated load runs again once the JVM has served a while, and the ratio is its.
        assertEquals(12, r.saturatedWarm().published());
        assertEquals(r.saturatedWarm().middlePerSecond() / r.modelOnlyPerSecond(), r.serviceOverModel(), 1e-12);
        assertEquals(r.saturated().middlePerSecond() / r.modelOnlyPerSecond(), r.coldServiceOverModel(), 1e-12);
        // The model-only timing runs at the batch the compared (warm) phase reached.
        assertEquals(Math.max(1, Math.round(r.saturatedWarm().meanBatch())), r.modelOnlyBatch());
        assertTrue(printed.contains("saturated again: arrival-to-forecast latency"), printed);
        // Every forecast came from a model call of at most max-batch requests, and each call is counted once.
        long[] sizes = r.saturated().batchSizes();
        assertEquals(0, Arrays.stream(sizes, 4, sizes.length).sum(), printed);
        assertTrue(r.saturated().meanBatch() >= 1 && r.saturated().meanBatch() <= 8, printed);
        assertTrue(r.modelOnlyFirst() > 0 && r.modelOnlyLast() > 0, printed);
        assertTrue(r.modelOnlyPerSecond() > 0 && r.paced().latency().max() >= r.paced().latency().p50(), printed);
        assertTrue(printed.contains("p99"), printed);
        // Where the service's time goes: a forecast's cost in a worker's time against the model alone's, and the
        // threads' CPU in the saturated phases.
        assertTrue(r.saturated().callMsPerForecast() > 0 && r.saturated().workerBusy() > 0, printed);
        assertTrue(printed.contains("saturated: CPU cores by thread group"), printed);
        assertTrue(printed.contains("ms of a worker's time per forecast, workers busy"), printed);
        // The warm-up's frames are matched too (missing counts every frame sent), and reported apart.
        assertTrue(printed.contains("warm-up: arrival-to-forecast latency"), printed);
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
