package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Folding BatchNorm into the convolutions for inference must not change what E and G compute. */
class BatchNormFoldingTest {

    @Test
    void foldedEncoderAndDecoderMatchTheUnfoldedOnes() {
        ModelConfig config = ModelFixtures.stormLike();
        try (VidOdeNetwork net = new VidOdeNetwork(config, 3); NDManager m = net.manager().newSubManager()) {
            Random rng = new Random(1);
            for (ParameterStore.Entry e : net.parameters().entries()) {
                if (e.name().contains(".bn.")) {
                    float[] v = new float[(int) e.array().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = e.name().endsWith("running_var") ? 0.5f + rng.nextFloat() : (float) rng.nextGaussian() * 0.3f;
                    }
                    e.array().set(v);
                }
            }
            NDArray frames = net.pad(m.randomNormal(new Shape(2, 3, 33, 36)));
            NDArray latent = m.randomNormal(new Shape(2, 2 * config.latentChannels(), config.latentHeight(),
                    config.latentWidth()));
            float[] encodedBefore = net.encode(frames, false).toFloatArray();
            NDArray z = latent.get(":, :" + config.latentChannels());
            NDArray prev = latent.get(":, " + config.latentChannels() + ":");
            float[] renderedBefore = net.render(java.util.List.of(z), frames, prev, false).frames().get(0).toFloatArray();
            net.prepareInference();
            float[] encodedAfter = net.encode(frames, false).toFloatArray();
            float[] renderedAfter = net.render(java.util.List.of(z), frames, prev, false).frames().get(0).toFloatArray();
            assertTrue(ModelFixtures.maxAbsDiff(encodedBefore, encodedAfter) < 1e-4,
                    "encoder differs by " + ModelFixtures.maxAbsDiff(encodedBefore, encodedAfter));
            assertTrue(ModelFixtures.maxAbsDiff(renderedBefore, renderedAfter) < 1e-4,
                    "decoder differs by " + ModelFixtures.maxAbsDiff(renderedBefore, renderedAfter));
            float[] training = net.encode(frames, true).toFloatArray();
            assertTrue(ModelFixtures.maxAbsDiff(training, encodedAfter) > 1e-3, "training mode still uses batch statistics");
        }
    }
}
