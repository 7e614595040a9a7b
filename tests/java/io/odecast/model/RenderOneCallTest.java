package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * G over several decoded steps stacked into one call gives the frames of one call per step (inference), whether all
 * steps fit one call or they are spread over calls; and how many steps a call stacks.
 */
class RenderOneCallTest {
    private static final float TOLERANCE = 1e-5f;

    @Test
    void oneCallOverAllStepsEqualsOneCallPerStepWithAndWithoutAnchors() {
        check(ModelFixtures.stormLike());
    }

    @Test
    void theSameUnderTheResidualComposition() {
        check(ModelFixtures.stormLike().withComposition(ModelConfig.RESIDUAL));
    }

    private static void check(ModelConfig config) {
        try (VidOdeNetwork network = new VidOdeNetwork(config, 3);
             NDManager m = network.manager().newSubManager()) {
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            try {
                int batch = 3;
                int steps = 5;
                Shape latent = new Shape(batch, config.latentChannels(), config.latentHeight(), config.latentWidth());
                Shape frame = new Shape(batch, config.channels(), config.paddedHeight(), config.paddedWidth());
                List<NDArray> latents = new ArrayList<>();
                List<NDArray> anchors = new ArrayList<>();
                List<NDArray> anchorLatents = new ArrayList<>();
                List<NDArray> masks = new ArrayList<>();
                for (int k = 0; k < steps; k++) {
                    latents.add(m.randomNormal(latent));
                    // Forecast-like at step 0, an interpolation's observed frame at step 2 for samples 0 and 2.
                    boolean anchored = k == 0 || k == 2;
                    anchors.add(anchored ? m.randomNormal(frame) : null);
                    anchorLatents.add(anchored ? m.randomNormal(latent) : null);
                    masks.add(k == 2 ? m.create(new float[] {1, 0, 1}, new Shape(batch, 1, 1, 1)) : null);
                }
                VidOdeNetwork.Rendered perStep = network.render(latents, anchors, anchorLatents, masks, null, false, 0);
                long stepBytes = stepBytes(config, batch);
                // All five in one call; then two steps per call (calls of 2, 2 and 1 steps).
                for (long stack : new long[] {Long.MAX_VALUE, 2 * stepBytes}) {
                    Shape input = new Shape(batch, 2 * config.latentChannels(), config.latentHeight(),
                            config.latentWidth());
                    assertEquals(stack == Long.MAX_VALUE ? 5 : 2, network.stepsPerCall(input, steps, stack));
                    VidOdeNetwork.Rendered stacked = network.render(latents, anchors, anchorLatents, masks, null, false,
                            stack);
                    for (int k = 0; k < steps; k++) {
                        float diff = maxRelDiff(perStep.frames().get(k).toFloatArray(),
                                stacked.frames().get(k).toFloatArray());
                        assertTrue(diff <= TOLERANCE, "stack " + stack + ", step " + k + ": relative difference "
                                + diff);
                    }
                }
            } finally {
                JniUtils.setGradMode(grad);
            }
        }
    }

    /** G's largest activation for one step of {@code batch}: the last up-sampling's output at full resolution. */
    private static long stepBytes(ModelConfig config, int batch) {
        return (long) batch * (2L * config.latentChannels() >> (config.nDowns() - 1)) * config.paddedHeight()
                * config.paddedWidth() * Float.BYTES;
    }

    @Test
    void aCallStacksStepsWhileItsLargestActivationFitsAndSpreadsThemEvenly() {
        ModelConfig config = ModelConfig.of(3, 33, 36, 16, 2);
        try (VidOdeNetwork network = new VidOdeNetwork(config, 3)) {
            Shape one = new Shape(1, 128, 9, 9);
            Shape thirtyTwo = new Shape(32, 128, 9, 9);
            // One storm state's step: 64 channels of 36 x 36 floats, 332 KiB: four leads fit 16 MiB.
            assertEquals(4, network.stepsPerCall(one, 4, VidOdeNetwork.STACK_BYTES));
            // 32 states: 10.6 MB a step, one per call, as four separate calls run faster than one of 128 samples.
            assertEquals(1, network.stepsPerCall(thirtyTwo, 4, VidOdeNetwork.STACK_BYTES));
            // Seven steps where three fit: three calls (of 3, 3 and 1 steps).
            long three = 3 * stepBytes(config, 1);
            assertEquals(3, network.stepsPerCall(one, 7, three));
            // Five steps where four fit: two calls, 3 + 2, not 4 + 1.
            assertEquals(3, network.stepsPerCall(one, 5, 4 * stepBytes(config, 1)));
            assertEquals(1, network.stepsPerCall(one, 4, 0));
        }
    }

    private static float maxRelDiff(float[] a, float[] b) {
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1f, Math.abs(a[i])));
        }
        return worst;
    }
}
