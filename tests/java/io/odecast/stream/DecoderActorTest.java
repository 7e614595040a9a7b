package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.kafka.FrameMessage;
import io.odecast.model.ConvPrecision;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The decoder actor and its batch runner on their own, with the typed test kit. */
class DecoderActorTest {
    private static final ActorTestKit TEST_KIT = ActorTestKit.create();
    private static VidOdeModel model;

    @BeforeAll
    static void loadModel() {
        model = StreamFixtures.model();
    }

    @AfterAll
    static void stop() {
        TEST_KIT.shutdownTestKit();
        model.close();
    }

    private static ModelWork.Step step(StreamState before, FrameMessage f, int leads) {
        double[] times = new double[leads];
        for (int k = 0; k < leads; k++) {
            times[k] = model.card().modelTime(f.eventTime().plus(Duration.ofHours(6L * (k + 1))));
        }
        return new ModelWork.Step(model, before, StreamFixtures.observation(model, f), times, null);
    }

    @Test
    void stepsOfManyStreamsRunAsOneBatchEachEqualToTheModelAlone() {
        ServiceMetrics metrics = new ServiceMetrics();
        BatchRunner runner = new BatchRunner(new DecoderSettings(8, Duration.ofSeconds(30), 64, 1, 1), metrics);
        ActorRef<DecoderActor.Command> decoder = TEST_KIT.spawn(DecoderActor.create(runner));
        Random rng = new Random(9);
        List<FrameMessage> frames = new ArrayList<>();
        List<ModelWork.Step> steps = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            FrameMessage f = StreamFixtures.frame("s" + s, StreamFixtures.hours(s), rng);
            frames.add(f);
            steps.add(step(model.emptyState(), f, 2));
        }
        TestProbe<StatusReply<DecoderActor.Results>> probe = TEST_KIT.createTestProbe();
        decoder.tell(new DecoderActor.Run(steps, List.of(), probe.getRef()));
        DecoderActor.Results results = probe.receiveMessage(Duration.ofSeconds(30)).getValue();
        for (int s = 0; s < 5; s++) {
            StreamState alone = StreamFixtures.statesAlone(model, List.of(frames.get(s))).get(0);
            var stepped = ((ModelWork.Stepped) results.steps().get(s)).result();
            assertTrue(StreamFixtures.maxRelDiff(alone.hidden(), stepped.state().hidden()) <= 1e-5f);
            float[][] expected = StreamFixtures.forecastAlone(model, alone, List.of(
                    frames.get(s).eventTime().plus(Duration.ofHours(6)),
                    frames.get(s).eventTime().plus(Duration.ofHours(12))));
            assertTrue(StreamFixtures.maxRelDiff(expected[1], stepped.forecast()[1]) <= 1e-5f);
        }
        assertEquals(1, metrics.decoderBatches());
        assertEquals(5, metrics.largestBatch());
    }

    @Test
    void aBf16RunnerRunsItsModelsInBf16AndAFloat32OneTurnsThemBack() {
        com.typesafe.config.Config reference = com.typesafe.config.ConfigFactory.load().getConfig("odecast.decoder");
        assertEquals(ConvPrecision.FLOAT32, DecoderSettings.fromConfig(reference).precision(), "float32 by default");
        DecoderSettings bf16 = DecoderSettings.fromConfig(reference.withValue("precision",
                com.typesafe.config.ConfigValueFactory.fromAnyRef("bf16")));
        IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DecoderSettings.fromConfig(reference.withValue("precision",
                        com.typesafe.config.ConfigValueFactory.fromAnyRef("half"))));
        assertTrue(bad.getMessage().startsWith("decoder.precision must be float32 or bf16"), bad.getMessage());

        Random rng = new Random(3);
        List<StreamState> before = new ArrayList<>();
        List<io.odecast.model.Observation> observations = new ArrayList<>();
        List<double[]> times = new ArrayList<>();
        for (int s = 0; s < 16; s++) {
            FrameMessage f = StreamFixtures.frame("p" + s, StreamFixtures.hours(1), rng);
            ModelWork.Step step = step(model.emptyState(), f, 4);
            before.add(step.before());
            observations.add(step.observation());
            times.add(step.times());
        }
        ServiceMetrics metrics = new ServiceMetrics();
        try (BatchRunner reduced = new BatchRunner(bf16, metrics);
             BatchRunner exact = new BatchRunner(new DecoderSettings(64, Duration.ofSeconds(30), 64, 1, 1), metrics)) {
            List<VidOdeModel.Stepped> a = reduced.advanceAndForecast(model, before, observations, times.toArray(double[][]::new));
            assertEquals(VidOdeModel.availablePrecision(ConvPrecision.BF16), model.precision());
            List<VidOdeModel.Stepped> b = exact.advanceAndForecast(model, before, observations, times.toArray(double[][]::new));
            assertEquals(ConvPrecision.FLOAT32, model.precision());
            for (int s = 0; s < a.size(); s++) {
                float[] x = a.get(s).forecast()[3];
                float[] y = b.get(s).forecast()[3];
                double diff = 0;
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < x.length; i++) {
                    if (model.card().fillValue() != null && y[i] == model.card().fillValue().floatValue()) {
                        continue;
                    }
                    diff = Math.max(diff, Math.abs(x[i] - y[i]));
                    lo = Math.min(lo, y[i]);
                    hi = Math.max(hi, y[i]);
                }
                assertTrue(diff <= 0.01 * (hi - lo), "stream " + s + ": " + diff + " of " + (hi - lo));
                if (reduced.precision() == ConvPrecision.BF16) {
                    assertTrue(diff > 0, "stream " + s + " ran in bf16");
                }
            }
        }
    }

    @Test
    void streamsWithDifferentGapsRunInSeparateCallsAndABadStepFailsAlone() {
        ServiceMetrics metrics = new ServiceMetrics();
        BatchRunner runner = new BatchRunner(8, metrics);
        Random rng = new Random(10);
        FrameMessage first = StreamFixtures.frame("s", StreamFixtures.hours(0), rng);
        StreamState state = StreamFixtures.statesAlone(model, List.of(first)).get(0);
        List<ModelWork.Step> steps = List.of(
                step(state, StreamFixtures.frame("s", StreamFixtures.hours(6), rng), 1),
                step(state, StreamFixtures.frame("s", StreamFixtures.hours(6), rng), 1),
                // 10 days later: 40 sub-steps of 0.1 model time, a call of its own.
                step(state, StreamFixtures.frame("s", StreamFixtures.hours(240), rng), 1),
                // Not after the state's last time: the model refuses it.
                step(state, StreamFixtures.frame("s", StreamFixtures.hours(0), rng), 1));
        List<ModelWork.StepResult> results = runner.steps(steps);
        assertInstanceOf(ModelWork.Stepped.class, results.get(0));
        assertInstanceOf(ModelWork.Stepped.class, results.get(1));
        assertInstanceOf(ModelWork.Stepped.class, results.get(2));
        assertInstanceOf(ModelWork.Failed.class, results.get(3));
        assertEquals(2, metrics.largestBatch(), "only the two 6 h steps share a call");
    }

    @Test
    void aHighPriorityStreamsProvisionalFramesRunAsUrgentCallsWithTheSameValues() {
        ServiceMetrics metrics = new ServiceMetrics();
        BatchRunner runner = new BatchRunner(8, metrics);
        Random rng = new Random(12);
        StreamState state = StreamFixtures.statesAlone(model,
                List.of(StreamFixtures.frame("s", StreamFixtures.hours(0), rng))).get(0);
        double[] times = {model.card().modelTime(StreamFixtures.hours(6))};
        List<ModelWork.FillResult> normal = runner.fills(List.of(new ModelWork.ForecastFill(model, state, times)));
        assertEquals(0, metrics.urgentCalls());
        List<ModelWork.FillResult> urgent = runner.fills(List.of(new ModelWork.ForecastFill(model, state, times,
                true)));
        assertEquals(1, metrics.urgentCalls(), "the high-priority stream's fill ran as an urgent call");
        assertTrue(urgent.get(0).ok(), urgent.get(0).error());
        float[] a = normal.get(0).frames()[0];
        float[] b = urgent.get(0).frames()[0];
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-6f, "same frames either way");
        }
    }

    @Test
    void aGroupLargerThanMaxBatchRunsInEqualChunks() {
        ServiceMetrics metrics = new ServiceMetrics();
        BatchRunner runner = new BatchRunner(8, metrics);
        Random rng = new Random(11);
        List<ModelWork.Step> steps = new ArrayList<>();
        for (int s = 0; s < 9; s++) {
            steps.add(step(model.emptyState(), StreamFixtures.frame("s" + s, StreamFixtures.hours(0), rng), 1));
        }
        runner.steps(steps);
        assertEquals(2, metrics.decoderBatches());
        assertEquals(5, metrics.largestBatch(), "9 requests run as 5 + 4, not 8 + 1");
        assertEquals(2, metrics.batchSizeHistogram()[2], "both calls in the 4-7 bucket");
    }

    @Test
    void aStepStartingWhileAnotherStepsCallsOccupyTheWorkersSpreadsOverTheFreeOnesOnly() throws Exception {
        ServiceMetrics metrics = new ServiceMetrics();
        Random rng = new Random(13);
        List<ModelWork.Step> steps = new ArrayList<>();
        for (int s = 0; s < 64; s++) {
            steps.add(step(model.emptyState(), StreamFixtures.frame("f" + s, StreamFixtures.hours(s), rng), 4));
        }
        try (BatchRunner runner = new BatchRunner(new DecoderSettings(8, Duration.ofSeconds(30), 64, 2, 1), metrics)) {
            assertEquals(2, runner.freeWorkers());
            // Another consumer loop's step: 64 requests as 8 calls of 8 on the 2 workers.
            var other = java.util.concurrent.CompletableFuture.supplyAsync(() -> runner.steps(steps));
            int least = 2;
            while (!other.isDone()) {
                least = Math.min(least, runner.freeWorkers());
                Thread.onSpinWait();
            }
            assertEquals(64, other.get().size());
            assertEquals(1, least, "while its calls ran, a new step would have spread over one worker");
            assertEquals(2, runner.freeWorkers(), "every call counted out again");
        }
    }

    @Test
    void twoWorkersSplitAStepIntoOneCallEachWithTheSameResultsAsTheModelAlone() {
        ServiceMetrics metrics = new ServiceMetrics();
        Random rng = new Random(12);
        List<FrameMessage> frames = new ArrayList<>();
        List<ModelWork.Step> steps = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            FrameMessage f = StreamFixtures.frame("w" + s, StreamFixtures.hours(s), rng);
            frames.add(f);
            steps.add(step(model.emptyState(), f, 2));
        }
        List<ModelWork.StepResult> results;
        try (BatchRunner runner = new BatchRunner(new DecoderSettings(8, Duration.ofSeconds(30), 64, 2, 1), metrics)) {
            results = runner.steps(steps);
        }
        assertEquals(2, metrics.decoderBatches(), "5 requests on 2 workers run as 3 + 2");
        assertEquals(3, metrics.largestBatch());
        for (int s = 0; s < 5; s++) {
            StreamState alone = StreamFixtures.statesAlone(model, List.of(frames.get(s))).get(0);
            var stepped = ((ModelWork.Stepped) results.get(s)).result();
            assertTrue(StreamFixtures.maxRelDiff(alone.hidden(), stepped.state().hidden()) <= 1e-5f);
            float[][] expected = StreamFixtures.forecastAlone(model, alone, List.of(
                    frames.get(s).eventTime().plus(Duration.ofHours(6)),
                    frames.get(s).eventTime().plus(Duration.ofHours(12))));
            for (int k = 0; k < 2; k++) {
                assertTrue(StreamFixtures.maxRelDiff(expected[k], stepped.forecast()[k]) <= 1e-5f, "lead " + k);
            }
        }
    }

    @Test
    void chunksAreEqualAtMostMaxBatchAndAMultipleOfTheWorkers() {
        assertEquals(List.of(List.of(0, 1, 2), List.of(3, 4)), BatchRunner.chunks(5, 8, 2));
        assertEquals(List.of(List.of(0)), BatchRunner.chunks(1, 8, 2), "one request: one call");
        assertEquals(List.of(5, 4), BatchRunner.chunks(9, 8, 1).stream().map(List::size).toList());
        // 130 requests, max 64, 2 workers: 3 calls would leave one worker idle for the third; 4 of 32-33.
        assertEquals(List.of(33, 33, 32, 32), BatchRunner.chunks(130, 64, 2).stream().map(List::size).toList());
        assertEquals(List.of(1, 1, 1), BatchRunner.chunks(3, 64, 4).stream().map(List::size).toList());
    }
}
