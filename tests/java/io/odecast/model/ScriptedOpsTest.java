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
}
