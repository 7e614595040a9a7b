package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.odecast.data.Datasets;
import io.odecast.data.FrameSequence;
import io.odecast.data.TimedFrame;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bf16 path ({@link ConvPrecision#BF16}): each convolution it takes is bf16 (not float32, not garbage), the layers
 * libtorch gets wrong in bf16 stay float32, and the shipped storm forecaster's forecasts on real frames stay within
 * the tolerance {@code docs/benchmarks.md} states. These check the numbers only, on any CPU: where bf16 is emulated
 * it is slow, not different.
 */
class Bf16ConvolutionTest {

    /** The stated tolerance of a bf16 forecast: max |bf16 - float32| over the channel's range in the frames. */
    static final double FORECAST_TOLERANCE = 0.01;

    @Test
    void aBf16ConvolutionIsBf16RoundingAwayFromFloat32() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (long[] s : new long[][] {{4, 128, 18, 18, 64}, {4, 64, 36, 36, 32}, {8, 64, 9, 9, 64}, {2, 32, 9, 9, 16}}) {
                NDArray x = m.randomUniform(-1f, 1f, new Shape(s[0], s[1], s[2], s[3]));
                NDArray w = m.randomUniform(-0.05f, 0.05f, new Shape(s[4], s[1], 3, 3));
                NDArray b = m.randomUniform(-0.05f, 0.05f, new Shape(s[4]));
                NDArray exact = Conv2d.conv2d(x, w, b, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1))
                        .singletonOrThrow();
                NDArray reduced = ScriptedOps.conv2dBf16(x, w, b, 1, 1);
                assertEquals(exact.getShape(), reduced.getShape());
                double error = exact.sub(reduced).abs().max().getFloat() / exact.abs().max().getFloat();
                // bf16 keeps 8 bits of mantissa: the inputs' rounding alone is 2^-9 of each value.
                assertTrue(error > 1e-4, "no bf16 rounding at " + new Shape(s) + ": " + error);
                assertTrue(error < Conv2dLayer.BF16_LAYER_TOLERANCE, "bf16 off at " + new Shape(s) + ": " + error);
            }
            // Stride 2, padding 1 (the encoder's down-sampling layers).
            NDArray x = m.randomUniform(-1f, 1f, new Shape(2, 16, 36, 36));
            NDArray w = m.randomUniform(-0.1f, 0.1f, new Shape(32, 16, 4, 4));
            NDArray b = m.zeros(new Shape(32));
            NDArray exact = Conv2d.conv2d(x, w, b, new Shape(2, 2), new Shape(1, 1), new Shape(1, 1)).singletonOrThrow();
            NDArray reduced = ScriptedOps.conv2dBf16(x, w, null, 2, 1);
            assertEquals(new Shape(2, 32, 18, 18), reduced.getShape());
            assertTrue(exact.sub(reduced).abs().max().getFloat() / exact.abs().max().getFloat() < 2e-2);
        }
    }

    @Test
    void layersWithFewOutputsAndTrainingStayFloat32() {
        VidOdeNetwork network = new VidOdeNetwork(ModelConfig.of(3, 33, 36, 16, 2), 7);
        try (NDManager m = network.manager().newSubManager()) {
            network.precision(ConvPrecision.BF16);
            ParameterStore store = network.parameters();
            Conv2dLayer small = new Conv2dLayer(store, "test.small", 32, 6, 3, 1, 1, true);
            Conv2dLayer wide = new Conv2dLayer(store, "test.wide", 32, 16, 3, 1, 1, true);
            NDArray x = m.randomUniform(-1f, 1f, new Shape(8, 32, 36, 36));
            // 32 x 3 x 3 -> 16 is 0.08 MFLOP per sample: under MIN_BF16_FLOPS_PER_SAMPLE at any batch.
            NDArray tiny = m.randomUniform(-1f, 1f, new Shape(64, 32, 3, 3));
            float[] smallBf16 = small.forward(x).toFloatArray();
            float[] wideBf16 = wide.forward(x).toFloatArray();
            float[] tinyBf16 = wide.forward(tiny).toFloatArray();
            assertEquals(Map.of(List.of(32L, 36L, 36L), true), wide.bf16Verdicts(), "only the large input is checked");
            assertTrue(small.bf16Verdicts().isEmpty(), "a 6-output layer is never tried in bf16");
            network.precision(ConvPrecision.FLOAT32);
            assertArrayEquals(small.forward(x).toFloatArray(), smallBf16, 0f);
            assertArrayEquals(wide.forward(tiny).toFloatArray(), tinyBf16, 0f);
            float[] wide32 = wide.forward(x).toFloatArray();
            assertFalse(java.util.Arrays.equals(wide32, wideBf16), "the 16-output layer ran in bf16");
            // Training: autograd on and the layer's weights trained, so bf16 precision changes nothing.
            network.precision(ConvPrecision.BF16);
            wide.weight().setRequiresGradient(true);
            boolean before = ai.djl.pytorch.jni.JniUtils.isGradMode();
            try {
                ai.djl.pytorch.jni.JniUtils.setGradMode(true);
                assertArrayEquals(wide32, wide.forward(x).toFloatArray(), 0f, "a trained layer ran in bf16");
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(before);
            }
        }
        network.close();
    }

    @Test
    void aLayerThatMissesTheToleranceAtAShapeStaysFloat32There() {
        // No shape is known to fail here (libtorch 2.7.1's few-output bf16 defect was seen on another machine of the
        // same kind, not on every one), so the check is shown failing by asking for more than bf16 can give.
        VidOdeNetwork network = new VidOdeNetwork(ModelConfig.of(3, 33, 36, 16, 2), 7);
        try (NDManager m = network.manager().newSubManager()) {
            network.precision(ConvPrecision.BF16);
            Conv2dLayer layer = new Conv2dLayer(network.parameters(), "test.strict", 32, 32, 3, 1, 1, true);
            NDArray small = m.randomUniform(-1f, 1f, new Shape(16, 32, 18, 18));
            NDArray large = m.randomUniform(-1f, 1f, new Shape(8, 32, 36, 36));
            Conv2dLayer.bf16LayerTolerance = 1e-6;
            float[] strict;
            try {
                strict = layer.forward(small).toFloatArray();
            } finally {
                Conv2dLayer.bf16LayerTolerance = Conv2dLayer.BF16_LAYER_TOLERANCE;
            }
            float[] loose = layer.forward(large).toFloatArray();
            assertEquals(Map.of(List.of(32L, 18L, 18L), false, List.of(32L, 36L, 36L), true), layer.bf16Verdicts());
            // At the rejected shape the layer stays float32 from then on, at the other it runs bf16.
            network.precision(ConvPrecision.FLOAT32);
            float[] exactSmall = layer.forward(small).toFloatArray();
            float[] exactLarge = layer.forward(large).toFloatArray();
            assertArrayEquals(exactSmall, strict, 0f);
            network.precision(ConvPrecision.BF16);
            assertArrayEquals(exactSmall, layer.forward(small).toFloatArray(), 0f);
            assertFalse(java.util.Arrays.equals(exactLarge, loose));
        }
        network.close();
    }

    @Test
    void theShippedStormForecasterInBf16StaysWithinTheStatedTolerance() throws Exception {
        FrameSequence storm = Datasets.storm(Path.of("tests/resources/fixtures/storm"));
        try (VidOdeModel model = VidOdeModel.load(Path.of("models/storm-forecast"))) {
            List<float[][]> exact = forecasts(model, storm, ConvPrecision.FLOAT32);
            List<float[][]> reduced = forecasts(model, storm, ConvPrecision.BF16);
            int channels = storm.channels().size();
            int cells = storm.shape().height() * storm.shape().width();
            Float fill = model.card().fillValue() == null ? null : model.card().fillValue().floatValue();
            double worst = 0;
            for (int c = 0; c < channels; c++) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                double diff = 0;
                for (int i = 0; i < exact.size(); i++) {
                    for (int lead = 0; lead < exact.get(i).length; lead++) {
                        for (int k = c * cells; k < (c + 1) * cells; k++) {
                            float e = exact.get(i)[lead][k];
                            if (fill != null && e == fill) {
                                // Cells the model cannot see come out as the fill value, in both precisions.
                                assertEquals(e, reduced.get(i)[lead][k], 0f);
                                continue;
                            }
                            lo = Math.min(lo, e);
                            hi = Math.max(hi, e);
                            diff = Math.max(diff, Math.abs(e - reduced.get(i)[lead][k]));
                        }
                    }
                }
                double relative = diff / (hi - lo);
                System.out.printf("storm-forecast bf16 channel %s: max |bf16 - float32| %.4g (%.3g of range %.4g)%n",
                        storm.channels().get(c), diff, relative, hi - lo);
                worst = Math.max(worst, relative);
                assertTrue(diff > 0, "channel " + c + " ran in bf16");
            }
            assertTrue(worst <= FORECAST_TOLERANCE, "bf16 forecasts off by " + worst + " of the range");
            assertEquals(ConvPrecision.BF16, model.precision());
        }
    }

    @Test
    void inBf16AStreamsForecastDoesNotDependOnItsBatch() throws Exception {
        // Replays after a restart batch frames differently. Which layers run bf16 must not depend on the batch (when it
        // did, with a per-call threshold: 3.3e-3 of the range here); oneDNN's bf16 kernels themselves still round a
        // little differently at different batch sizes (5e-4 of the range here; float32: below 1e-5).
        FrameSequence storm = Datasets.storm(Path.of("tests/resources/fixtures/storm"));
        try (VidOdeModel model = VidOdeModel.load(Path.of("models/storm-forecast"))) {
            for (ConvPrecision precision : ConvPrecision.values()) {
                model.network().precision(precision);
                List<StreamState> states = new ArrayList<>();
                List<Observation> frames = new ArrayList<>();
                List<double[]> times = new ArrayList<>();
                double step = model.card().modelDuration(storm.typicalStep());
                for (int b = 0; b < 16; b++) {
                    TimedFrame f = storm.frame(40 + b % 8);
                    double t = model.card().modelTime(f.time());
                    states.add(model.emptyState());
                    frames.add(new Observation(t, f.data(), f.maskOrNull()));
                    times.add(new double[] {t + step, t + 2 * step, t + 3 * step, t + 4 * step});
                }
                float[][] batched = model.advanceAndForecast(states, frames, times.toArray(double[][]::new)).get(3)
                        .forecast();
                float[][] alone = model.advanceAndForecast(List.of(states.get(3)), List.of(frames.get(3)),
                        new double[][] {times.get(3)}).get(0).forecast();
                // Per channel, against its range over the 4 leads (bf16 against float32 is 2-5e-3 of it).
                double bound = model.precision() == ConvPrecision.BF16 ? 1.5e-3 : 1e-5;
                int cells = storm.shape().height() * storm.shape().width();
                Float fill = model.card().fillValue() == null ? null : model.card().fillValue().floatValue();
                for (int c = 0; c < storm.channels().size(); c++) {
                    double diff = 0;
                    double lo = Double.POSITIVE_INFINITY;
                    double hi = Double.NEGATIVE_INFINITY;
                    for (int lead = 0; lead < 4; lead++) {
                        for (int i = c * cells; i < (c + 1) * cells; i++) {
                            if (fill != null && alone[lead][i] == fill) {
                                continue;
                            }
                            diff = Math.max(diff, Math.abs(alone[lead][i] - batched[lead][i]));
                            lo = Math.min(lo, alone[lead][i]);
                            hi = Math.max(hi, alone[lead][i]);
                        }
                    }
                    System.out.printf("%s alone vs batch of 16, channel %d: %.3g of the range%n",
                            model.precision().label(), c, diff / (hi - lo));
                    assertTrue(diff <= bound * (hi - lo), "channel " + c + ": alone and in a batch of 16 differ by "
                            + diff / (hi - lo) + " of the range");
                }
            }
        }
    }

    /** Advances one stream over frames 38..47 and forecasts 4 leads from each (1 model time unit apart). */
    private static List<float[][]> forecasts(VidOdeModel model, FrameSequence storm, ConvPrecision precision) {
        model.network().precision(precision);
        StreamState state = model.emptyState();
        List<float[][]> out = new ArrayList<>();
        for (int i = 38; i < 48; i++) {
            TimedFrame f = storm.frame(i);
            if (f.validCount() == 0) {
                continue;
            }
            double t = model.card().modelTime(f.time());
            double step = model.card().modelDuration(storm.typicalStep());
            VidOdeModel.Stepped s = model.advanceAndForecast(List.of(state), List.of(new Observation(t, f.data(),
                    f.maskOrNull())), new double[][] {{t + step, t + 2 * step, t + 3 * step, t + 4 * step}}).get(0);
            state = s.state();
            out.add(s.forecast());
        }
        return out;
    }
}
