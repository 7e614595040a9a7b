package io.odecast.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.BouncingBalls;
import io.odecast.data.ChannelNormalization;
import io.odecast.data.FrameSequence;
import io.odecast.data.TimeScale;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    @TempDir
    Path dir;

    private static final ModelConfig CONFIG = new ModelConfig(1, 16, 16, 4, 1, 1, "rk4", 0.1, "rk4", 0.1,
            1e-3, 1e-4, 0.125);
    private static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    private static TrainingWindows balls(String task, int length, long seed) {
        FrameSequence seq = new BouncingBalls(16, 16, 2, 2.5, 1.5, 3).regular(60, Duration.ofMillis(100));
        return new TrainingWindows(seq, ChannelNormalization.identity(1), new TimeScale(Duration.ofMillis(100), 0.1),
                task, 3, length, 2, 0.2, seed);
    }

    private TrainingOptions options(String task, int steps, Path out) {
        return new TrainingOptions(task, 3, 6, 2, 0.2, 4, steps, 0, 3e-3, 0.003, 10, 5, 5, 42, out);
    }

    private static double meanReconstruction(List<Trainer.StepLosses> losses, int from, int to) {
        return losses.subList(from, to).stream().mapToDouble(Trainer.StepLosses::reconstruction).average().orElseThrow();
    }

    @Test
    void aFewStepsOnBouncingBallsLowerTheLoss() throws IOException {
        // No step may be skipped: on an AVX-512 machine this small model's few-channel convolutions got NaN input
        // gradients from oneDNN until Conv2dLayer padded them in training (ConvGradientTest, docs/reliability.md).
        ModelCard card = ModelCard.untrained("balls", ModelCard.EXTRAPOLATE, 1);
        try (Trainer trainer = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), options("extrapolate", 40,
                dir.resolve("balls")), QUIET)) {
            Trainer.Result r = trainer.run(Map.of("command", "test"));
            assertEquals(40, r.lastStep());
            assertEquals(0, r.skippedSteps());
            double early = meanReconstruction(r.losses(), 0, 5);
            double late = meanReconstruction(r.losses(), 35, 40);
            assertTrue(late < 0.8 * early, "reconstruction L1 should fall: first 5 steps " + early + ", last 5 " + late);
            assertTrue(r.losses().stream().allMatch(l -> l.critic() > 0), "the critics are trained");
        }
        try (VidOdeModel saved = VidOdeModel.load(dir.resolve("balls"))) {
            assertEquals(40, ((Number) saved.card().training().get("steps")).intValue());
        }
    }

    @Test
    void interpolationTrainingRunsAndLowersTheLoss() throws IOException {
        ModelCard card = ModelCard.untrained("balls-interp", ModelCard.INTERPOLATE, 1);
        TrainingOptions o = new TrainingOptions("interpolate", 0, 5, 2, 0.2, 4, 30, 0, 3e-3, 0.003, 10, 100, 10, 7,
                dir.resolve("interp"));
        try (Trainer trainer = new Trainer(CONFIG, card, balls("interpolate", 5, 2), o, QUIET)) {
            Trainer.Result r = trainer.run(Map.of());
            assertTrue(meanReconstruction(r.losses(), 25, 30) < meanReconstruction(r.losses(), 0, 5));
        }
    }

    /** A smooth periodic pattern moving one column and half a row per frame: the same flow everywhere. */
    private static FrameSequence shifting(int n) {
        io.odecast.data.GridShape shape = new io.odecast.data.GridShape(1, 16, 16);
        List<io.odecast.data.TimedFrame> frames = new java.util.ArrayList<>();
        for (int t = 0; t < n; t++) {
            float[] data = new float[16 * 16];
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    data[y * 16 + x] = (float) (Math.sin(2 * Math.PI * (x - t) / 8.0)
                            * Math.cos(2 * Math.PI * (y - 0.5 * t) / 8.0));
                }
            }
            frames.add(new io.odecast.data.TimedFrame(java.time.Instant.EPOCH.plusMillis(100L * t), List.of("v"), shape,
                    data, null, false));
        }
        return new FrameSequence("shift", List.of("v"), shape, frames, null, null, null, Double.NaN,
                Duration.ofMillis(100));
    }

    @Test
    void flowSupervisionPullsTheWarpFlowsTowardsTheFieldsMotion() throws IOException {
        // The same run twice, the flow error measured in both: with a negligible weight (photometric losses alone)
        // and with supervision.
        double[] late = new double[2];
        double[] weights = {1e-9, 1.0};
        for (int i = 0; i < 2; i++) {
            // A forecaster: an interpolator's windows are time-reversed half the time, so its flows must learn the
            // direction too, which takes longer than a test.
            ModelCard card = ModelCard.untrained("shift", ModelCard.EXTRAPOLATE, 1);
            TrainingOptions o = new TrainingOptions("extrapolate", 3, 6, 2, 0.2, 4, 30, 0, 1e-2, 0.003, 10, 100, 10,
                    7, dir.resolve("flow" + i), weights[i]);
            TrainingWindows shifting = new TrainingWindows(shifting(60), ChannelNormalization.identity(1),
                    new TimeScale(Duration.ofMillis(100), 0.1), "extrapolate", 3, 6, 2, 0.2, 2);
            try (Trainer trainer = new Trainer(CONFIG, card, shifting, o, QUIET)) {
                Trainer.Result r = trainer.run(Map.of());
                late[i] = r.losses().subList(25, 30).stream().mapToDouble(Trainer.StepLosses::flow).average()
                        .orElseThrow();
            }
        }
        System.out.println("flow error, last 5 steps: unsupervised " + late[0] + ", supervised " + late[1]);
        assertTrue(late[1] < 0.7 * late[0], "flow error in cells, last 5 steps: unsupervised " + late[0]
                + ", supervised " + late[1]);
        try (VidOdeModel saved = VidOdeModel.load(dir.resolve("flow1"))) {
            assertEquals(1.0, ((Number) saved.card().training().get("flow_weight")).doubleValue());
        }
    }

    @Test
    void aMotionPriorForecasterStartsAtTheFlowExtrapolationAndAsksDOnlyForWhatTheWarpLeaves() throws IOException {
        // One step at a negligible rate with G silent, on the translating field: without the prior a forecast is the
        // last frame (persistence) and D is asked for the whole frame difference; with it the forecast moves with
        // the field, so both the reconstruction error and what D is asked for are a fraction of that.
        double[] rec = new double[2];
        double[] diff = new double[2];
        String[] compositions = {ModelConfig.RESIDUAL, ModelConfig.RESIDUAL_MOTION};
        for (int i = 0; i < 2; i++) {
            ModelCard card = ModelCard.untrained("shift", ModelCard.EXTRAPOLATE, 1);
            TrainingOptions o = new TrainingOptions("extrapolate", 3, 6, 2, 0.2, 4, 1, 0, 1e-9, 0.003, 10, 100, 10,
                    7, dir.resolve("motion" + i), 0);
            TrainingWindows shifting = new TrainingWindows(shifting(60), ChannelNormalization.identity(1),
                    new TimeScale(Duration.ofMillis(100), 0.1), "extrapolate", 3, 6, 2, 0.2, 2);
            try (Trainer trainer = new Trainer(CONFIG.withComposition(compositions[i]), card, shifting, o, QUIET)) {
                trainer.network().silenceDecoderOutput();
                Trainer.StepLosses first = trainer.run(Map.of()).losses().get(0);
                rec[i] = first.reconstruction();
                diff[i] = first.difference();
            }
        }
        // The warp-only composition has no D: nothing to ask of it.
        ModelCard motionCard = ModelCard.untrained("shift", ModelCard.EXTRAPOLATE, 1);
        TrainingOptions once = new TrainingOptions("extrapolate", 3, 6, 2, 0.2, 4, 1, 0, 1e-9, 0.003, 10, 100, 10,
                7, dir.resolve("motion-only"), 0);
        try (Trainer trainer = new Trainer(CONFIG.withComposition(ModelConfig.MOTION), motionCard,
                new TrainingWindows(shifting(60), ChannelNormalization.identity(1),
                        new TimeScale(Duration.ofMillis(100), 0.1), "extrapolate", 3, 6, 2, 0.2, 2), once, QUIET)) {
            trainer.network().silenceDecoderOutput();
            Trainer.StepLosses first = trainer.run(Map.of()).losses().get(0);
            assertEquals(0.0, first.difference(), 0.0);
            assertEquals(rec[1], first.reconstruction(), 1e-6, "with G silent, warp only is residual-motion");
        }
        System.out.println("motion prior, first step: reconstruction " + rec[1] + " against " + rec[0]
                + ", difference " + diff[1] + " against " + diff[0]);
        assertTrue(rec[1] < 0.5 * rec[0], "reconstruction L1 with the prior " + rec[1] + ", without " + rec[0]);
        assertTrue(diff[1] < 0.5 * diff[0], "difference L1 with the prior " + diff[1] + ", without " + diff[0]);
    }

    @Test
    void withValidationTheCheckpointHoldsTheBestValidatedWeights() throws IOException {
        ModelCard card = ModelCard.untrained("balls", ModelCard.EXTRAPOLATE, 1);
        Path out = dir.resolve("validated");
        List<TrainingWindows.Sample> validation = balls("extrapolate", 6, 9).fixedFrom(50);
        assertEquals(8, validation.size(), "starts 47..54: windows whose outputs lie in frames 50..59");
        try (Trainer trainer = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), validation,
                options("extrapolate", 15, out), QUIET)) {
            Trainer.Result r = trainer.run(Map.of());
            try (VidOdeModel saved = VidOdeModel.load(out)) {
                Map<String, Object> record = saved.card().training();
                List<?> history = (List<?>) record.get("validation_history");
                int best = ((Number) record.get("best_step")).intValue();
                double bestL1 = ((Number) record.get("validation_l1")).doubleValue();
                assertTrue(List.of(5, 10, 15).contains(best), "best step " + best);
                for (Object h : history) {
                    assertTrue(((Number) ((List<?>) h).get(1)).doubleValue() >= bestL1, "kept the minimum");
                }
                assertEquals(r.version(), saved.version(), "the run reports the kept version");
                assertEquals(best, r.keptStep(), "the run reports the kept step");
                assertEquals(best, ((Number) record.get("kept_step")).intValue());
                assertTrue(((Number) record.get("minutes_this_run")).doubleValue() >= 0);
            }
        }
    }

    @Test
    void interpolationValidationScoresOnlyTheHiddenFrames() throws IOException {
        ModelCard card = new ModelCard("balls", ModelCard.INTERPOLATE, List.of("c0"), new float[] {0f},
                new float[] {1f}, -9999.0, "PT1S", 1.0, null, null);
        List<TrainingWindows.Sample> drawn = balls("interpolate", 6, 9).fixedFrom(50);
        List<TrainingWindows.Sample> allObserved = drawn.stream().map(s -> {
            boolean[] observed = new boolean[s.observed().length];
            java.util.Arrays.fill(observed, true);
            return new TrainingWindows.Sample(s.frames(), s.valid(), observed, s.times());
        }).toList();
        // A strip of cells invalid in each window's first frame: the service writes the fill value there (-9999
        // here), so those cells cannot be scored.
        List<TrainingWindows.Sample> holed = drawn.stream().map(s -> {
            float[][] valid = s.valid().clone();
            valid[0] = valid[0].clone();
            java.util.Arrays.fill(valid[0], 0, 16, 0f);
            return new TrainingWindows.Sample(s.frames(), valid, s.observed(), s.times());
        }).toList();
        // Nothing hidden: nothing to score (a score of 0 would win every comparison), refused before training.
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Trainer(CONFIG, card, balls("interpolate", 6, 1), allObserved,
                        options("interpolate", 1, dir.resolve("b")), QUIET));
        assertTrue(e.getMessage().contains("no hidden cell"), e.getMessage());
        try (Trainer hidden = new Trainer(CONFIG, card, balls("interpolate", 6, 1), drawn,
                options("interpolate", 1, dir.resolve("a")), QUIET);
             Trainer holes = new Trainer(CONFIG, card, balls("interpolate", 6, 1), holed,
                options("interpolate", 1, dir.resolve("c")), QUIET)) {
            double scored = hidden.validate();
            assertTrue(scored > 0.01 && scored < 1, "hidden frames are scored: " + scored);

            double withHoles = holes.validate();
            assertTrue(withHoles < 1, "cells the fill cannot cover are not scored: " + withHoles);
        }
    }

    @Test
    void anInterpolatorIsValidatedAsTheSavedModelFillsItsGaps() throws IOException {
        ModelCard card = new ModelCard("balls", ModelCard.INTERPOLATE, List.of("c0"), new float[] {0.2f},
                new float[] {0.5f}, null, "PT1S", 1.0, null, null);
        Path out = dir.resolve("fills");
        List<TrainingWindows.Sample> validation = balls("interpolate", 6, 9).fixedFrom(50, 12);
        try (Trainer trainer = new Trainer(CONFIG, card, balls("interpolate", 6, 1), validation,
                options("interpolate", 5, out), QUIET)) {
            trainer.run(Map.of());
        }
        // The checkpoint holds the best validated step; filling the same windows with it, loaded from disk as the
        // service loads it, gives the recorded score.
        try (VidOdeModel saved = VidOdeModel.load(out)) {
            double sum = 0;
            long cells = 0;
            for (TrainingWindows.Sample s : validation) {
                List<io.odecast.model.Observation> window = new java.util.ArrayList<>();
                List<Integer> hidden = new java.util.ArrayList<>();
                for (int t = 0; t < s.frames().length; t++) {
                    if (s.observed()[t]) {
                        float[] physical = new float[s.frames()[t].length];
                        for (int i = 0; i < physical.length; i++) {
                            physical[i] = s.frames()[t][i] * 0.5f + 0.2f;
                        }
                        window.add(new io.odecast.model.Observation(s.times()[t], physical, null));
                    } else {
                        hidden.add(t);
                    }
                }
                double[] times = hidden.stream().mapToDouble(t -> s.times()[t]).toArray();
                float[][] filled = saved.interpolate(List.of(window), new double[][] {times}).get(0);
                for (int k = 0; k < times.length; k++) {
                    for (int i = 0; i < filled[k].length; i++) {
                        sum += Math.abs((filled[k][i] - 0.2f) / 0.5f - s.frames()[hidden.get(k)][i]);
                        cells++;
                    }
                }
            }
            double recorded = ((Number) saved.card().training().get("validation_l1")).doubleValue();
            assertEquals(sum / cells, recorded, 1e-5, "validation scores the fills of the saved model");
        }
    }

    @Test
    void aFineTuneThatOnlyGetsWorseKeepsItsStart() throws IOException {
        ModelCard card = ModelCard.untrained("balls", ModelCard.EXTRAPOLATE, 1);
        Path parent = dir.resolve("parent");
        List<TrainingWindows.Sample> validation = balls("extrapolate", 6, 9).fixedFrom(50);
        try (Trainer trainer = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), options("extrapolate", 20, parent),
                QUIET)) {
            trainer.run(Map.of());
        }
        // Fine-tuned on white frames only: every step moves the model away from the balls it is validated on.
        FrameSequence seq = new BouncingBalls(16, 16, 2, 2.5, 1.5, 3).regular(60, Duration.ofMillis(100));
        float[] white = new float[16 * 16];
        java.util.Arrays.fill(white, 1f);
        FrameSequence whites = new FrameSequence("white", seq.channels(), seq.shape(), seq.frames().stream()
                .map(f -> new io.odecast.data.TimedFrame(f.time(), f.channels(), f.shape(), white, null, false))
                .toList(), null, null, null, Double.NaN, seq.nominalStep());
        TrainingWindows wrong = new TrainingWindows(whites, ChannelNormalization.identity(1),
                new TimeScale(Duration.ofMillis(100), 0.1), "extrapolate", 3, 6, 2, 0.2, 1);
        Path out = dir.resolve("worse");
        String parentWeights;
        try (VidOdeModel p = VidOdeModel.load(parent)) {
            parentWeights = p.network().parameters().version();
        }
        try (Trainer trainer = new Trainer(CONFIG, card, wrong, validation,
                new TrainingOptions("extrapolate", 3, 6, 2, 0.2, 4, 10, 0, 3e-2, 0.003, 10, 5, 5, 42, out), QUIET)) {
            trainer.network().parameters().load(parent.resolve(io.odecast.model.Checkpoint.PARAMETERS));
            trainer.keepStartUnlessBeaten();
            Trainer.Result r = trainer.run(Map.of());
            assertEquals(0, r.keptStep(), "no step beats the start");
            try (VidOdeModel saved = VidOdeModel.load(out)) {
                Map<String, Object> record = saved.card().training();
                List<?> history = (List<?>) record.get("validation_history");
                assertEquals(3, history.size(), "steps 0, 5 and 10: " + history);
                double start = ((Number) ((List<?>) history.get(0)).get(1)).doubleValue();
                for (Object h : history.subList(1, history.size())) {
                    assertTrue(((Number) ((List<?>) h).get(1)).doubleValue() > start, "worse than the start: " + history);
                }
                assertEquals(0, ((Number) record.get("kept_step")).intValue());
                assertEquals(10, ((Number) record.get("steps_run")).intValue(), "the card tells how far the run went");
                assertEquals(parentWeights, saved.network().parameters().version(), "the checkpoint is the start");
            }
        }
    }

    @Test
    void aResumedRunKeepsItsBestScoreForTheSameWindowsOnly() throws IOException {
        ModelCard card = ModelCard.untrained("balls", ModelCard.EXTRAPOLATE, 1);
        Path out = dir.resolve("resumed-validated");
        List<TrainingWindows.Sample> validation = balls("extrapolate", 6, 9).fixedFrom(50);
        double keptL1;
        try (Trainer first = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), validation,
                options("extrapolate", 20, out), QUIET)) {
            first.run(Map.of());
            try (VidOdeModel saved = VidOdeModel.load(out)) {
                keptL1 = ((Number) saved.card().training().get("validation_l1")).doubleValue();
            }
        }
        // The same windows: the checkpoint's score is the bar the resumed run must beat to replace it.
        try (Trainer same = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), validation,
                options("extrapolate", 30, out), QUIET)) {
            assertTrue(same.resumeIfPossible());
            assertEquals(keptL1, same.bestValidation(), 0.0);
        }
        // Other windows (the same starts with other dropped inputs): the saved score does not apply.
        List<TrainingWindows.Sample> other = balls("extrapolate", 6, 10).fixedFrom(50);
        try (Trainer different = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), other,
                options("extrapolate", 30, out), QUIET)) {
            assertTrue(different.resumeIfPossible());
            assertEquals(Double.POSITIVE_INFINITY, different.bestValidation());
        }
        // Resumed on the same windows, the checkpoint changes only for a better score.
        try (Trainer same = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), validation,
                options("extrapolate", 30, out), QUIET)) {
            assertTrue(same.resumeIfPossible());
            Trainer.Result r = same.run(Map.of());
            try (VidOdeModel saved = VidOdeModel.load(out)) {
                double now = ((Number) saved.card().training().get("validation_l1")).doubleValue();
                assertTrue(r.keptStep() < 0 ? now == keptL1 : now < keptL1, "kept " + r.keptStep() + ": " + now
                        + " against " + keptL1);
            }
        }
    }

    @Test
    void aResumedRunContinuesFromItsCheckpoint() throws IOException {
        ModelCard card = ModelCard.untrained("balls", ModelCard.EXTRAPOLATE, 1);
        Path out = dir.resolve("resume");
        String version;
        try (Trainer first = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), options("extrapolate", 10, out), QUIET)) {
            version = first.run(Map.of()).version();
        }
        double firstMinutes = minutesTotal(out);
        try (Trainer second = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), options("extrapolate", 15, out), QUIET)) {
            assertTrue(second.resumeIfPossible());
            assertEquals(10, second.step());
            assertEquals(version, io.odecast.model.Checkpoint.readMetadata(out).version());
            assertEquals(io.odecast.model.Checkpoint.readMetadata(out).weights(), second.network().parameters().version(),
                    "resumed from the saved weights");
            Trainer.Result r = second.run(Map.of());
            assertEquals(10, r.firstStep());
            assertEquals(15, r.lastStep());
            assertEquals(5, r.losses().size());
        }
        assertTrue(minutesTotal(out) > firstMinutes, "the second run's minutes add to the first's");
    }

    private static double minutesTotal(Path out) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("trainer/state.json").toFile())
                .path("minutes_total").asDouble(-1);
    }

    @Test
    void aHeldBackRunWaitsAndNeverPassesItsTimeBudget() throws IOException {
        ModelCard card = ModelCard.untrained("balls", ModelCard.EXTRAPOLATE, 1);
        TrainingOptions capped = new TrainingOptions("extrapolate", 3, 6, 2, 0.2, 4, 5, 0.01, 3e-3, 0.003, 10, 5, 5,
                42, dir.resolve("held"));
        try (Trainer trainer = new Trainer(CONFIG, card, balls("extrapolate", 6, 1), capped, QUIET)) {
            trainer.holdBackWhile(() -> true);
            long start = System.nanoTime();
            Trainer.Result r = trainer.run(Map.of());
            assertEquals(0, r.lastStep(), "no step while held back");
            assertTrue(System.nanoTime() - start >= 500_000_000L, "waited for its 0.6 s budget");
        }
        int[] checks = {0};
        try (Trainer trainer = new Trainer(CONFIG, card, balls("extrapolate", 6, 1),
                options("extrapolate", 5, dir.resolve("released")), QUIET)) {
            trainer.holdBackWhile(() -> checks[0]++ < 3);
            assertEquals(5, trainer.run(Map.of()).lastStep(), "every step once released");
        }
    }
}
