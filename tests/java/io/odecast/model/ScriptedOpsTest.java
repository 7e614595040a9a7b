package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

/**
 * The scripted bilinear up-sampling the decoder uses in inference equals DJL's interpolation (the kernel training
 * differentiates through) at the decoder's shapes, and the decoder takes it only with autograd off.
 */
class ScriptedOpsTest {

    @Test
    void scriptedUpsamplingEqualsDjlInterpolation() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (long[] s : new long[][] {{1, 128, 9, 9}, {32, 64, 18, 18}, {3, 32, 12, 16}, {2, 1, 5, 7}}) {
                NDArray x = m.randomUniform(-3f, 3f, new Shape(s));
                NDArray djl = x.getNDArrayInternal().interpolation(new long[] {s[2] * 2, s[3] * 2}, 1, false);
                NDArray scripted = ScriptedOps.upsampleBilinear2x(x);
                assertEquals(djl.getShape(), scripted.getShape());
                double diff = djl.sub(scripted).abs().max().getFloat();
                assertTrue(diff <= 1e-5, new Shape(s) + ": " + diff);
                assertTrue(scripted.getManager() == m, "the result belongs to the input's manager");
            }
        }
    }

    @Test
    void theDecoderUpsamplesTheSameWithAndWithoutAutograd() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomUniform(-1f, 1f, new Shape(4, 64, 18, 18));
            boolean before = JniUtils.isGradMode();
            try {
                JniUtils.setGradMode(true);
                float[] withGrad = ConvDecoder.upsample2(x).toFloatArray();
                JniUtils.setGradMode(false);
                float[] without = ConvDecoder.upsample2(x).toFloatArray();
                double diff = 0;
                for (int i = 0; i < withGrad.length; i++) {
                    diff = Math.max(diff, Math.abs(withGrad[i] - without[i]));
                }
                assertTrue(diff <= 1e-5, "scripted and DJL up-sampling differ by " + diff);
            } finally {
                JniUtils.setGradMode(before);
            }
        }
    }

    @Test
    void theStagedDecoderEqualsTheLayerByLayerOneInFloat32AndStaysNearItInBf16() {
        ModelConfig config = ModelConfig.of(3, 33, 36, 16, 2);
        checkAgainstLayerByLayer(config, 11, new Shape(8, 2 * config.latentChannels(), 9, 9),
                new Shape(8, config.channels() + 3, 36, 36), true, network -> {
                    ConvDecoder decoder = new ConvDecoder(network.parameters(), "test.decoder", config);
                    decoder.foldBatchNorm(network.manager());
                    return x -> decoder.forward(x, false);
                });
    }

    @Test
    void theScriptedOdeFieldEqualsTheLayerByLayerOneInFloat32AndStaysNearItInBf16() {
        ModelConfig config = ModelConfig.of(3, 33, 36, 16, 2);
        Shape latent = new Shape(32, config.latentChannels(), 9, 9);
        checkAgainstLayerByLayer(config, 13, latent, latent, true,
                network -> new OdeNetwork(network.parameters(), "test.field", config)::derivative);
    }

    @Test
    void theStagedEncoderEqualsTheLayerByLayerOneInFloat32() {
        ModelConfig config = ModelConfig.of(1, 48, 64, 16, 2);
        checkAgainstLayerByLayer(config, 17, new Shape(8, 1, 48, 64), new Shape(8, config.latentChannels(), 12, 16),
                false, network -> {
                    ConvEncoder encoder = new ConvEncoder(network.parameters(), "test.encoder", config);
                    encoder.foldBatchNorm(network.manager());
                    return x -> encoder.forward(x, false);
                });
    }

    @Test
    void aLoneSamplesConvolutionsByOneDnnEqualTheLayerByLayerOnes() {
        ModelConfig config = ModelConfig.of(3, 33, 36, 16, 2);
        // 3x3 with bias (the ConvGRU's gates), 4x4 stride 2 without bias (as the critics'), and a 1x1 (left to
        // libtorch's own choice), each on one sample.
        checkAgainstLayerByLayer(config, 19, new Shape(1, 128, 9, 9), new Shape(1, 128, 9, 9), false,
                network -> byOneDnn(new Conv2dLayer(network.parameters(), "test.gates", 128, 128, 3, 1, 1, true), true));
        checkAgainstLayerByLayer(config, 23, new Shape(1, 32, 18, 18), new Shape(1, 64, 9, 9), false,
                network -> byOneDnn(new Conv2dLayer(network.parameters(), "test.down", 32, 64, 4, 2, 1, false), true));
        checkAgainstLayerByLayer(config, 29, new Shape(1, 64, 9, 9), new Shape(1, 3, 9, 9), false,
                network -> byOneDnn(new Conv2dLayer(network.parameters(), "test.head", 64, 3, 1, 1, 0, true), false));
    }

    /**
     * The layer's forward, checking in inference that it is exactly the scripted oneDNN call's result (bit for bit)
     * if {@code oneDnn}, else exactly DJL's own convolution's.
     */
    private static java.util.function.UnaryOperator<NDArray> byOneDnn(Conv2dLayer layer, boolean oneDnn) {
        return x -> {
            NDArray y = layer.forward(x);
            if (!JniUtils.isGradMode()) {
                NDArray expected = oneDnn
                        ? ScriptedOps.conv2d(x, layer.weight(), layer.bias(), layer.stride(), layer.padding())
                        : ai.djl.nn.convolutional.Conv2d.conv2d(x, layer.weight(), layer.bias(),
                                new Shape(layer.stride(), layer.stride()), new Shape(layer.padding(), layer.padding()),
                                new Shape(1, 1)).singletonOrThrow();
                assertEquals(0.0, maxDiff(expected.toFloatArray(), y.toFloatArray()),
                        (oneDnn ? "the scripted oneDNN call" : "DJL's convolution") + " gives this layer's result");
            }
            return y;
        };
    }

    /**
     * Builds a block on a fresh network and runs it on a random input with autograd on (DJL's layer-by-layer path, as
     * in validation during training) and off (the scripted path): equal to 1e-5 of the output's maximum in float32,
     * and, if {@code bf16}, different but within 2e-2 in bf16.
     */
    private static void checkAgainstLayerByLayer(ModelConfig config, long seed, Shape in, Shape out, boolean bf16,
            java.util.function.Function<VidOdeNetwork, java.util.function.UnaryOperator<NDArray>> build) {
        VidOdeNetwork network = new VidOdeNetwork(config, seed);
        boolean before = JniUtils.isGradMode();
        try (NDManager m = network.manager().newSubManager()) {
            java.util.function.UnaryOperator<NDArray> block = build.apply(network);
            NDArray x = m.randomUniform(-1f, 1f, in);
            JniUtils.setGradMode(true);
            float[] layered = block.apply(x).toFloatArray();
            JniUtils.setGradMode(false);
            NDArray scripted = block.apply(x);
            assertEquals(out, scripted.getShape());
            double scale = max(layered);
            assertTrue(maxDiff(layered, scripted.toFloatArray()) <= 1e-5 * scale, "float32 scripted path differs");
            if (bf16) {
                network.precision(ConvPrecision.BF16);
                double diff = maxDiff(layered, block.apply(x).toFloatArray());
                assertTrue(diff > 1e-6 * scale && diff <= 2e-2 * scale, "bf16 off by " + diff / scale);
            }
        } finally {
            JniUtils.setGradMode(before);
            network.close();
        }
    }

    private static double max(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
