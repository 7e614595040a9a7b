package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.Datasets;
import io.odecast.data.FrameSequence;
import io.odecast.model.Blend;
import io.odecast.model.VidOdeModel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Blend weights fitted on validation frames, on the shipped storm models and the real storm frames: on the frames
 * they were fitted on, the blend is never worse than the model alone or its baseline (the fit minimises the squared
 * error over [0, 1], which holds both ends), and the fit refuses frames of the held-out part.
 */
class ModelEvaluatorBlendTest {

    private static FrameSequence storm;
    private static VidOdeModel forecaster;
    private static VidOdeModel interpolator;

    @BeforeAll
    static void load() throws Exception {
        storm = Datasets.storm(Path.of("tests/resources/fixtures/storm"));
        forecaster = VidOdeModel.load(Path.of("models/storm-forecast"));
        interpolator = VidOdeModel.load(Path.of("models/storm-interp"));
    }

    @AfterAll
    static void close() {
        forecaster.close();
        interpolator.close();
    }

    @Test
    void onItsOwnFramesTheForecastBlendIsAtLeastAsGoodAsTheModelAndFlow() throws Exception {
        // From 42: the inputs of every origin (41..46) are complete (frame 37 lacks its v field).
        int from = 42;
        int to = 48;
        Blend blend = new ModelEvaluator(forecaster, storm, 48, false)
                .calibrateForecast(4, 1, from, to, Map.of("command", "test"));
        assertEquals(Blend.FLOW, blend.baseline());
        assertEquals(List.of(from, to), blend.fit().get("frames"));
        // Scored on the same origins and lead: frames up to `to`, held-out part from `from`.
        EvaluationReport report = new ModelEvaluator(forecaster, storm.slice(0, to), from, false).strips(0)
                .blend(blend).forecast(4, 1, null);
        assertBlendNoWorse(report, "+6h", List.of("model", "flow"));
    }

    @Test
    void onItsOwnWindowsTheFillBlendIsAtLeastAsGoodAsTheModelTheStraightLineAndFlow() throws Exception {
        Blend blend = new ModelEvaluator(interpolator, storm, 48, false)
                .calibrateInterpolation(7, new int[] {1}, 38, 48, Map.of());
        assertEquals(Blend.LINEAR, blend.baseline());
        assertTrue(blend.atGap(Blend.CENTRED, 1, 1) != null && blend.atGap(Blend.END, 1, 1) != null,
                blend.weights().keySet().toString());
        // Windows holding frame 37 (its v field is missing) are left out: of the 7 centred windows with the hidden
        // frame in 38..47 (starts 35..41), the 4 starting at 38..41 remain.
        assertEquals(Map.of(Blend.gapKey(Blend.CENTRED, 1, 1), 4, Blend.gapKey(Blend.END, 1, 1), 4),
                blend.fit().get("frames_per_key"));
        EvaluationReport report = new ModelEvaluator(interpolator, storm.slice(0, 48), 38, false).strips(0)
                .blend(blend).interpolate(7, new int[] {1}, null);
        assertBlendNoWorse(report, "gap 12h mid", List.of("model", "linear", "flow"));
    }

    @Test
    void weightsAreNeverFittedOnTheHeldOutPart() {
        ModelEvaluator evaluator = new ModelEvaluator(forecaster, storm, 48, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> evaluator.calibrateForecast(4, 4, 40, 50, Map.of()));
        assertTrue(e.getMessage().contains("held-out"), e.getMessage());
    }

    private static void assertBlendNoWorse(EvaluationReport report, String lead, List<String> others) {
        Map<String, Double> blend = new HashMap<>();
        Map<String, Map<String, Double>> rest = new HashMap<>();
        for (EvaluationReport.Row r : report.rows()) {
            if (!lead.equals(r.lead()) || !r.metrics().containsKey("rmse")) {
                continue;
            }
            if ("blend".equals(r.system())) {
                blend.put(r.channel(), r.metrics().get("rmse"));
            } else if (others.contains(r.system())) {
                rest.computeIfAbsent(r.system(), k -> new HashMap<>()).put(r.channel(), r.metrics().get("rmse"));
            }
        }
        assertEquals(3, blend.size(), report.rows().toString());
        for (String system : others) {
            for (var e : blend.entrySet()) {
                double other = rest.get(system).get(e.getKey());
                assertTrue(e.getValue() <= other * (1 + 1e-6), "blend " + e + " vs " + system + " " + other);
            }
        }
    }
    @Test
    void aFrameStepOfTwoTimeUnitsIsRefusedRatherThanKeyedWhereServingNeverLooks() {
        // Every other storm frame: 12 h apart, two of the card's 6 h units. Lead 1 would be keyed "lead 2" and
        // serving (which weighs a 12 h lead with "lead 2") would find no "lead 1" and serve the model alone.
        List<io.odecast.data.TimedFrame> every2 = new java.util.ArrayList<>();
        for (int i = 0; i < storm.size(); i += 2) {
            every2.add(storm.frame(i));
        }
        FrameSequence coarse = new FrameSequence(storm.name(), storm.channels(), storm.shape(), every2, storm.lat(),
                storm.lon(), storm.units(), storm.fillValue(), storm.nominalStep() == null ? null
                        : storm.nominalStep().multipliedBy(2));
        ModelEvaluator evaluator = new ModelEvaluator(forecaster, coarse, 24, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> evaluator.calibrateForecast(4, 2, 21, 24, Map.of()));
        assertTrue(e.getMessage().contains("2.0 units apart"), e.getMessage());
    }
}
