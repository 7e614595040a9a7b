package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.odecast.data.GridShape;
import io.odecast.eval.FlowBaselines;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@value ModelConfig#RESIDUAL_MOTION} composition: with G silent (flow, difference and mask logits all 0) a
 * forecast is the last frame carried along the motion of the last two, the flow extrapolation baseline, on a field
 * translating by a known shift; the motion lives in the stream's state, so a forecast made later from the state
 * equals the one made with the arrival.
 */
class MotionPriorTest {

    // not multiples of 2^nDowns = 4: the frames are padded, and the prior and the warp must keep to the real grid
    private static final int H = 38;
    private static final int W = 45;
    private static final int MARGIN = 8;
    private static final GridShape SHAPE = new GridShape(1, H, W);

    /** A smooth pattern moved by (t, 2t) cells at time t. */
    private static Observation translating(double t) {
        float[] v = new float[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                double yy = y - t;
                double xx = x - 2 * t;
                v[y * W + x] = (float) (8 * Math.sin(xx * 0.21) * Math.cos(yy * 0.17) + 3 * Math.cos((xx + yy) * 0.09));
            }
        }
        return new Observation(t, v, null);
    }

    private static double interiorRmse(float[] truth, float[] predicted) {
        double sum = 0;
        int n = 0;
        for (int y = MARGIN; y < H - MARGIN; y++) {
            for (int x = MARGIN; x < W - MARGIN; x++) {
                double d = truth[y * W + x] - predicted[y * W + x];
                sum += d * d;
                n++;
            }
        }
        return Math.sqrt(sum / n);
    }

    private static VidOdeModel silent(String composition) {
        ModelConfig config = ModelConfig.of(1, H, W, 8, 2).withComposition(composition);
        VidOdeNetwork network = new VidOdeNetwork(config, 5);
        network.silenceDecoderOutput();
        return new VidOdeModel(network, ModelCard.untrained("motion", ModelCard.EXTRAPOLATE, 1));
    }

    @Test
    void withGSilentAForecastIsTheLastFrameCarriedAlongTheLastTwoFramesMotion() {
        double[] times = {2, 3};
        try (VidOdeModel motion = silent(ModelConfig.RESIDUAL_MOTION); VidOdeModel plain = silent(ModelConfig.RESIDUAL)) {
            assertTrue(motion.config().motionPrior());
            StreamState first = motion.advance(List.of(motion.emptyState()), List.of(translating(0))).get(0);
            assertNull(first.motion(), "one frame has no motion");
            VidOdeModel.Stepped second = motion.advanceAndForecast(List.of(first), List.of(translating(1)),
                    new double[][] {times}).get(0);
            assertNotNull(second.state().motion());
            StreamState plainState = ModelFixtures.run(plain, List.of(translating(0), translating(1)));
            assertNull(plainState.motion(), "only a motion-prior model keeps a motion");
            float[][] persisted = plain.forecast(List.of(plainState), new double[][] {times}).get(0);
            List<Observation> flow = new FlowBaselines(SHAPE).extrapolate(translating(0), translating(1), times);
            for (int k = 0; k < times.length; k++) {
                float[] truth = translating(times[k]).data();
                double model = interiorRmse(truth, second.forecast()[k]);
                double persistence = interiorRmse(truth, persisted[k]);
                double baseline = interiorRmse(truth, flow.get(k).data());
                // the residual composition without a prior and G silent is persistence exactly
                assertEquals(0, interiorRmse(translating(1).data(), persisted[k]), 1e-5, "lead " + (k + 1));
                assertTrue(model < 0.2 * persistence, "lead " + (k + 1) + ": " + model + " against persistence "
                        + persistence);
                // step-by-step warps smooth a little more than one trace, so within the baseline's error plus a bit
                assertTrue(model < baseline + 0.1 * persistence, "lead " + (k + 1) + ": " + model
                        + " against the flow baseline " + baseline);
            }
            // The motion travels in the state: a later forecast from it equals the one made with the arrival.
            float[][] later = motion.forecast(List.of(second.state()), new double[][] {times}).get(0);
            for (int k = 0; k < times.length; k++) {
                assertArrayEquals(second.forecast()[k], later[k], 1e-5f, "lead " + (k + 1));
            }
        }
    }

    @Test
    void withGSilentAFillMovesBothNeighboursAlongTheMotionAcrossTheGap() {
        List<Observation> window = List.of(translating(0), translating(1), translating(3), translating(4));
        double[][] times = {{2}};
        try (VidOdeModel motion = silent(ModelConfig.RESIDUAL_MOTION); VidOdeModel plain = silent(ModelConfig.RESIDUAL)) {
            float[] filled = motion.interpolate(List.of(window), times).get(0)[0];
            float[] straight = plain.interpolate(List.of(window), times).get(0)[0];
            float[] flow = new FlowBaselines(SHAPE).interpolate(translating(1), translating(3), 2).data();
            float[] truth = translating(2).data();
            double model = interiorRmse(truth, filled);
            double line = interiorRmse(truth, straight);
            double baseline = interiorRmse(truth, flow);
            // without the prior and G silent the bidirectional fill is the straight line between the neighbours
            float[] average = new float[truth.length];
            for (int i = 0; i < average.length; i++) {
                average[i] = (translating(1).data()[i] + translating(3).data()[i]) / 2;
            }
            assertEquals(0, interiorRmse(average, straight), 1e-5);
            assertTrue(model < 0.2 * line, model + " against the straight line " + line);
            assertTrue(model < baseline + 0.1 * line, model + " against flow interpolation " + baseline);
        }
    }

    @Test
    void aFillWindowsMotionRunsFromEachObservedFrameToTheNextAndIsCarriedOnAfterTheLast() {
        ModelConfig config = ModelConfig.of(1, H, W, 8, 2);
        double[] times = {0, 1, 2, 4};
        float[][] frames = new float[times.length][];
        for (int i = 0; i < times.length; i++) {
            frames[i] = translating(times[i]).data();
        }
        // The field moves (1 row, 2 columns) from time 0 to 1, then back 3 columns from 1 to 4 (1 per unit); the
        // hidden frame at time 2 holds something else entirely, which must not be used.
        frames[1] = shifted(1, 2);
        frames[2] = shifted(-5, 7);
        frames[3] = shifted(1, -1);
        float[][] v = MotionPrior.windowVelocities(config, frames, new boolean[4][], times,
                new boolean[] {true, true, false, true});
        assertNull(v[2], "a hidden frame has no motion of its own");
        assertArrayEquals(v[1], v[3], "after the last observed frame the motion before it carries on");
        double[][] expected = {{2, 1}, {-1, 0}};
        for (int k = 0; k < 2; k++) {
            double[] mean = meanVelocity(v[k]);
            assertEquals(expected[k][0], mean[0], 0.2, "columns per unit of time after frame " + k);
            assertEquals(expected[k][1], mean[1], 0.2, "rows per unit of time after frame " + k);
        }
    }

    /** The pattern of {@link #translating} moved by {@code dy} rows and {@code dx} columns. */
    private static float[] shifted(double dy, double dx) {
        float[] v = new float[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                double yy = y - dy;
                double xx = x - dx;
                v[y * W + x] = (float) (8 * Math.sin(xx * 0.21) * Math.cos(yy * 0.17) + 3 * Math.cos((xx + yy) * 0.09));
            }
        }
        return v;
    }

    /** Mean column and row velocity over the interior. */
    private static double[] meanVelocity(float[] velocity) {
        int cells = H * W;
        double dx = 0;
        double dy = 0;
        int n = 0;
        for (int y = MARGIN; y < H - MARGIN; y++) {
            for (int x = MARGIN; x < W - MARGIN; x++) {
                dx += velocity[y * W + x];
                dy += velocity[cells + y * W + x];
                n++;
            }
        }
        return new double[] {dx / n, dy / n};
    }

    @Test
    void theWarpOnlyCompositionIgnoresGsDifference() {
        // G's flow and mask silent, its difference D set to 0.5 everywhere (the output bias of D's channel).
        double[][] times = {{2}};
        float[][] out = new float[2][];
        String[] compositions = {ModelConfig.MOTION, ModelConfig.RESIDUAL_MOTION};
        float[] reference;
        try (VidOdeModel silentMotion = silent(ModelConfig.MOTION)) {
            reference = motionForecast(silentMotion, times);
        }
        for (int i = 0; i < 2; i++) {
            try (VidOdeModel m = silent(compositions[i])) {
                NDArray bias = m.network().parameters().get("gen.decoder.out.bias").array();
                float[] b = new float[(int) bias.getShape().size()];
                b[2] = 0.5f;
                bias.set(b);
                out[i] = motionForecast(m, times);
            }
        }
        assertArrayEquals(reference, out[0], 1e-6f, "warp only: D is not part of the frame");
        // residual-motion adds (1 - sigmoid(0)) D = 0.25 to every cell
        for (int i = 0; i < reference.length; i++) {
            assertEquals(reference[i] + 0.25f, out[1][i], 1e-4f);
        }
    }

    private static float[] motionForecast(VidOdeModel model, double[][] times) {
        StreamState s = ModelFixtures.run(model, List.of(translating(0), translating(1)));
        return model.forecast(List.of(s), times).get(0)[0];
    }

    @Test
    void theVelocityIsPerUnitOfModelTimeSoAHalfGapForecastsNearlyAsWellAsAWholeOne() {
        try (VidOdeModel motion = silent(ModelConfig.RESIDUAL_MOTION)) {
            // frames 0.5 apart moving at the same speed: the same velocity, so the same forecast at time 3
            StreamState even = ModelFixtures.run(motion, List.of(translating(0), translating(1)));
            StreamState half = ModelFixtures.run(motion, List.of(translating(0.5), translating(1)));
            float[] a = motion.forecast(List.of(even), new double[][] {{3}}).get(0)[0];
            float[] b = motion.forecast(List.of(half), new double[][] {{3}}).get(0)[0];
            float[] truth = translating(3).data();
            assertTrue(interiorRmse(truth, b) < 1.5 * interiorRmse(truth, a) + 0.05, interiorRmse(truth, b)
                    + " against " + interiorRmse(truth, a));
        }
    }
}
