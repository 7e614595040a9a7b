package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.model.Blend;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Least-squares blend weights against known answers. */
class BlendFitTest {

    @Test
    void aModelThatOvershootsTheTruthTwiceGetsHalfWeightAndTheBlendIsTheTruth() {
        Random rng = new Random(1);
        BlendFit fit = new BlendFit(2);
        float[][] truths = new float[5][];
        float[][] models = new float[5][];
        float[][] baselines = new float[5][];
        for (int f = 0; f < 5; f++) {
            truths[f] = new float[8];
            models[f] = new float[8];
            baselines[f] = new float[8];
            for (int i = 0; i < 8; i++) {
                baselines[f][i] = (float) rng.nextGaussian();
                truths[f][i] = baselines[f][i] + (float) rng.nextGaussian();
                // channel 0 overshoots twice; channel 1 is the truth
                models[f][i] = i < 4 ? 2 * truths[f][i] - baselines[f][i] : truths[f][i];
            }
            fit.add("k", truths[f], models[f], baselines[f], null);
        }
        float[] w = fit.weights().get("k");
        assertArrayEquals(new float[] {0.5f, 1f}, w, 1e-5f);
        for (int f = 0; f < 5; f++) {
            assertArrayEquals(truths[f], Blend.apply(models[f], baselines[f], null, w), 1e-5f);
        }
        assertEquals(5, fit.frames().get("k"));
    }

    @Test
    void twoMembersInsideTheSimplexAreRecoveredExactlyAndOutsideItTheBestFeasiblePointIsTaken() {
        Random rng = new Random(2);
        BlendFit inside = new BlendFit(1, 2);
        BlendFit outside = new BlendFit(1, 2);
        for (int f = 0; f < 4; f++) {
            float[] baseline = new float[16];
            float[] model = new float[16];
            float[] flow = new float[16];
            float[] truth = new float[16];
            float[] beyond = new float[16];
            for (int i = 0; i < 16; i++) {
                baseline[i] = (float) rng.nextGaussian();
                model[i] = baseline[i] + (float) rng.nextGaussian();
                flow[i] = baseline[i] + (float) rng.nextGaussian();
                truth[i] = baseline[i] + 0.3f * (model[i] - baseline[i]) + 0.5f * (flow[i] - baseline[i]);
                // weights 0.9 and 0.6 sum past 1: the constrained optimum lies on the edge a + b = 1
                beyond[i] = baseline[i] + 0.9f * (model[i] - baseline[i]) + 0.6f * (flow[i] - baseline[i]);
            }
            inside.add("k", truth, java.util.List.of(model, flow), baseline, null);
            outside.add("k", beyond, java.util.List.of(model, flow), baseline, null);
        }
        assertArrayEquals(new float[] {0.3f, 0.5f}, inside.weights().get("k"), 1e-4f);
        float[] w = outside.weights().get("k");
        assertEquals(1f, w[0] + w[1], 1e-5f);
        assertTrue(w[0] > w[1], java.util.Arrays.toString(w));
    }

    @Test
    void aModelThatMovesAwayFromTheTruthOrNotAtAllGetsZeroAndMaskedCellsDoNotCount() {
        BlendFit fit = new BlendFit(1);
        float[] baseline = {0, 0, 0, 0};
        float[] truth = {1, -1, 2, 100};
        float[] wrongWay = {-1, 1, -2, 100};
        boolean[] valid = {true, true, true, false};
        fit.add("wrong way", truth, wrongWay, baseline, valid);
        fit.add("still", truth, baseline, baseline, null);
        float[] beyond = {3, -3, 6, 0};
        fit.add("three times", truth, beyond, baseline, valid);
        assertArrayEquals(new float[] {0f}, fit.weights().get("wrong way"), 0f);
        assertArrayEquals(new float[] {0f}, fit.weights().get("still"), 0f);
        assertArrayEquals(new float[] {1f / 3}, fit.weights().get("three times"), 1e-6f);
    }
}
