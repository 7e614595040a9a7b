package io.odecast.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class BackwardWarpTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** A 1 x 1 x 3 x 4 image with value 10 * y + x. */
    private NDArray ramp() {
        float[] v = new float[12];
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                v[y * 4 + x] = 10 * y + x;
            }
        }
        return manager.create(v, new Shape(1, 1, 3, 4));
    }

    private NDArray constantFlow(float fx, float fy) {
        NDArray x = manager.full(new Shape(1, 1, 3, 4), fx);
        NDArray y = manager.full(new Shape(1, 1, 3, 4), fy);
        return x.concat(y, 1);
    }

    @Test
    void zeroFlowIsTheIdentity() {
        NDArray image = ramp();
        assertArrayEquals(image.toFloatArray(), BackwardWarp.warp(image, constantFlow(0, 0)).toFloatArray(), 0f);
    }

    @Test
    void integerFlowIsAnExactShiftWithBorderClamping() {
        // out(y, x) = in(y + 1, x + 2), clamped: columns 2, 3, 3, 3 and rows 1, 2, 2.
        float[] out = BackwardWarp.warp(ramp(), constantFlow(2, 1)).toFloatArray();
        float[] expected = {12, 13, 13, 13, 22, 23, 23, 23, 22, 23, 23, 23};
        assertArrayEquals(expected, out, 0f);
        // Negative flow clamps at the top-left.
        float[] back = BackwardWarp.warp(ramp(), constantFlow(-1, -5)).toFloatArray();
        assertArrayEquals(new float[] {0, 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2}, back, 0f);
    }

    @Test
    void halfPixelFlowAveragesNeighbours() {
        float[] out = BackwardWarp.warp(ramp(), constantFlow(0.5f, 0)).toFloatArray();
        assertEquals(0.5f, out[0], 1e-6);
        assertEquals(2.5f, out[2], 1e-6);
        assertEquals(3f, out[3], 1e-6); // the border: (3 + 3) / 2 after clamping
        float[] diagonal = BackwardWarp.warp(ramp(), constantFlow(0.5f, 0.5f)).toFloatArray();
        assertEquals((0 + 1 + 10 + 11) / 4f, diagonal[0], 1e-5);
    }

    @Test
    void gradientReachesTheFlowField() {
        NDArray image = manager.randomUniform(0, 1, new Shape(1, 2, 5, 6)).toType(DataType.FLOAT64, false);
        NDArray flow = manager.randomUniform(-1.3f, 1.3f, new Shape(1, 2, 5, 6)).toType(DataType.FLOAT64, false);
        NDArray weights = manager.randomUniform(-1, 1, new Shape(1, 2, 5, 6)).toType(DataType.FLOAT64, false);
        flow.setRequiresGradient(true);
        double[] analytic;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = BackwardWarp.warp(image, flow).mul(weights).sum();
            gc.backward(loss);
            analytic = flow.getGradient().toDoubleArray();
        }
        double[] f = flow.stopGradient().toDoubleArray();
        double eps = 1e-6;
        int checked = 0;
        for (int i = 0; i < f.length; i += 7) {
            double[] plus = f.clone();
            double[] minus = f.clone();
            plus[i] += eps;
            minus[i] -= eps;
            double numeric = (loss(image, plus, weights) - loss(image, minus, weights)) / (2 * eps);
            assertEquals(numeric, analytic[i], 1e-5, "d loss / d flow[" + i + "]");
            checked++;
        }
        assertEquals(9, checked);
    }

    private double loss(NDArray image, double[] flow, NDArray weights) {
        NDArray f = manager.create(flow, new Shape(1, 2, 5, 6));
        return BackwardWarp.warp(image, f).mul(weights).sum().getDouble();
    }

    @Test
    void decoderUpsamplingIsBilinearWithoutAlignedCorners() {
        NDArray x = manager.create(new float[] {0, 1, 2, 3}, new Shape(1, 1, 2, 2));
        float[] up = ConvDecoder.upsample2(x).toFloatArray();
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1}, java.util.Arrays.copyOfRange(up, 0, 4), 1e-6f);
        assertArrayEquals(new float[] {0.5f, 0.75f, 1.25f, 1.5f}, java.util.Arrays.copyOfRange(up, 4, 8), 1e-6f);
    }

    @Test
    void warpKeptToTheRealGridTakesTheEdgeNotThePadding() {
        // ramp() as the top-left 2 x 3 of a padded 3 x 4 frame: its last row and column are padding (set to -100).
        float[] v = ramp().toFloatArray();
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                if (y == 2 || x == 3) {
                    v[y * 4 + x] = -100;
                }
            }
        }
        NDArray padded = manager.create(v, new Shape(1, 1, 3, 4));
        // Sampling 1.5 cells down and right: the plain warp reads the padding, the real-grid one the edge cells.
        float[] plain = BackwardWarp.warp(padded, constantFlow(1.5f, 1.5f)).toFloatArray();
        float[] kept = BackwardWarp.warp(padded, constantFlow(1.5f, 1.5f), 2, 3).toFloatArray();
        // (0, 0) samples (x 1.5, y 1.5): the plain warp mixes rows 1 and 2, half of it padding
        assertEquals(0.25f * (11 + 12 - 100 - 100), plain[0], 1e-4f);
        // kept to the grid the row is clamped to 1 (the last real row): between 11 and 12
        assertEquals(11.5f, kept[0], 1e-5f);
        // (0, 1) samples (x 2.5, y 1.5): both clamped, to the real corner (row 1, column 2)
        assertEquals(12f, kept[1], 1e-5f);
        // (1, 0) samples (x 1.5, y 2.5): row clamped to 1
        assertEquals(11.5f, kept[4], 1e-5f);
        // A sample inside the real grid is unchanged by the clamp: flow 0.5 at (0, 0) reads between cells 0, 1, 10, 11
        assertEquals(5.5f, BackwardWarp.warp(padded, constantFlow(0.5f, 0.5f), 2, 3).toFloatArray()[0], 1e-5f);
    }
}
