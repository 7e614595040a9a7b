package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** G over all decoded steps in one call gives the frames of one call per step (inference). */
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
                int steps = 4;
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
                VidOdeNetwork.Rendered perStep = network.render(latents, anchors, anchorLatents, masks, false, false);
                VidOdeNetwork.Rendered oneCall = network.render(latents, anchors, anchorLatents, masks, false, true);
                for (int k = 0; k < steps; k++) {
                    float diff = maxRelDiff(perStep.frames().get(k).toFloatArray(),
                            oneCall.frames().get(k).toFloatArray());
                    assertTrue(diff <= TOLERANCE, "step " + k + ": relative difference " + diff);
                }
            } finally {
                JniUtils.setGradMode(grad);
            }
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
