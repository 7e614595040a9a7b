package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 2-D convolution with PyTorch's default initialisation (U(+-1/sqrt(fan_in)) for weight and bias).
 *
 * <p>In training (autograd on, weights trained), a convolution with fewer than {@link #MIN_BACKWARD_OUTPUTS} output
 * channels runs with its weights padded by zero filters to that many outputs, the extra outputs dropped. The
 * convolution backward-by-data of the oneDNN in DJL's libtorch 2.7.1 returns wrong input gradients (relative errors
 * of 0.3-0.9, and sometimes NaN) when the convolution has few output channels, seen on an AVX-512 machine (AMD EPYC)
 * and once there with oneDNN limited to AVX2; forward and weight gradients are right, and with 16 or more outputs so
 * are input gradients (docs/reliability.md, "Wrong convolution input gradients"; {@code ConvGradientTest}). The
 * padding changes no value: the zero filters' outputs are dropped, so their gradient is zero and the real filters'
 * gradients are unchanged. Inference (autograd off) runs unpadded.
 *
 * <p>In inference a lone sample's convolution with a kernel larger than 1x1 runs by oneDNN ({@link ScriptedOps#conv2d}),
 * as libtorch runs a batch of two or more: libtorch's own choice for one sample with a 3x3 kernel and a small input,
 * its native im2col kernel, is slower at the latent grid (a storm advance at batch 1 14-20 % slower).
 *
 * <p>In inference with the network's precision {@link ConvPrecision#BF16}, a call with at least
 * {@link #MIN_BF16_OUTPUTS} outputs and {@link #MIN_BF16_FLOPS_PER_SAMPLE} operations per sample runs in bf16
 * ({@link ScriptedOps#conv2dBf16}). The first call at each input shape
 * first compares bf16 with float32 on a random input of that shape and keeps the layer in float32 at that shape if
 * the bf16 result misses {@link #BF16_LAYER_TOLERANCE}: libtorch 2.7.1's bf16 convolution is wrong (0.2-0.3 of the
 * output's range) with fewer than 16 outputs on the AVX-512 machines this was measured on, so a shape the
 * measurements did not cover is not trusted blindly either.
 */
final class Conv2dLayer {

    /** Output channels from which oneDNN's backward-by-data was right on every shape tried. */
    static final int MIN_BACKWARD_OUTPUTS = 16;
    /** Output channels from which libtorch 2.7.1's bf16 forward convolution was right on every shape tried. */
    static final int MIN_BF16_OUTPUTS = 16;
    /**
     * The most {@code max |bf16 - float32| / max |float32|} a layer's check accepts: bf16 rounding gives 3-5e-3 at
     * the model's shapes, the few-output defect 0.2-0.3.
     */
    static final double BF16_LAYER_TOLERANCE = 2e-2;
    /** The tolerance the checks use: {@link #BF16_LAYER_TOLERANCE} except in a test of the check itself. */
    static volatile double bf16LayerTolerance = BF16_LAYER_TOLERANCE;
    /**
     * The fewest floating-point operations per sample of a convolution that runs in bf16. Per sample, not per call,
     * so that whether a layer runs bf16 never depends on the batch: a stream's forecast is the same whatever else
     * was in its call (and a replay after a restart equals the first run). 1 MFLOP leaves only the 1x1 head
     * convolutions in float32, where a separate scripted call would cost more than it saves (a call costs
     * 0.03-0.05 ms; docs/benchmarks.md); the field's and the encoder's small convolutions run inside one scripted
     * call each, where bf16 costs only the casts.
     */
    static final long MIN_BF16_FLOPS_PER_SAMPLE = 1_000_000;
    private static final Logger LOG = LoggerFactory.getLogger(Conv2dLayer.class);
    /** Whether the padding above is on (tests turn it off to show the defect it avoids). */
    static volatile boolean padSmallBackward = true;

    private static final Shape NO_DILATION = new Shape(1, 1);
    /** Floating-point operations (2 per multiply-add) of every convolution run in this process. */
    static final LongAdder FLOPS = new LongAdder();

    private final String name;
    private final ParameterStore store;
    private final NDArray weight;
    private final NDArray bias;
    private final Shape stride;
    private final Shape padding;
    /** Per input shape (C, H, W): whether bf16 passed this layer's check there. */
    private final Map<List<Long>, Boolean> bf16Verdicts = new ConcurrentHashMap<>();

    Conv2dLayer(ParameterStore store, String name, int in, int out, int kernel, int stride, int padding, boolean bias) {
        double bound = 1.0 / Math.sqrt((double) in * kernel * kernel);
        this.name = name;
        this.store = store;
        this.weight = store.uniform(name + ".weight", new Shape(out, in, kernel, kernel), bound);
        this.bias = bias ? store.uniform(name + ".bias", new Shape(out), bound) : null;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    private Conv2dLayer(String name, ParameterStore store, NDArray weight, NDArray bias, Shape stride,
            Shape padding) {
        this.name = name;
        this.store = store;
        this.weight = weight;
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
    }

    /**
     * This convolution followed by inference-mode BatchNorm, as one convolution: per output channel
     * {@code W' = W s}, {@code b' = (b - mean) s + beta} with {@code s = gamma / sqrt(var + eps)}. The copies
     * live in {@code manager}; they do not follow later changes of the weights.
     */
    Conv2dLayer foldedWith(BatchNormLayer norm, NDManager manager) {
        float[] gamma = norm.gamma().toFloatArray();
        float[] beta = norm.beta().toFloatArray();
        float[] mean = norm.runningMean().toFloatArray();
        float[] var = norm.runningVar().toFloatArray();
        float[] w = weight.toFloatArray();
        float[] b = bias == null ? new float[gamma.length] : bias.toFloatArray();
        int perOutput = w.length / gamma.length;
        for (int o = 0; o < gamma.length; o++) {
            float scale = (float) (gamma[o] / Math.sqrt(var[o] + BatchNormLayer.EPS));
            for (int i = o * perOutput; i < (o + 1) * perOutput; i++) {
                w[i] *= scale;
            }
            b[o] = (b[o] - mean[o]) * scale + beta[o];
        }
        return new Conv2dLayer(name + "+bn", store, manager.create(w, weight.getShape()),
                manager.create(b, new Shape(gamma.length)), stride, padding);
    }

    /**
     * Whether this call records a graph whose backward may ask for the input's gradient: autograd on and this
     * layer's weights trained. (Whether the input itself needs a gradient cannot be asked: libtorch reports
     * {@code requires_grad} false for DJL's intermediate results.)
     */
    private boolean recordsGradient() {
        return ai.djl.pytorch.jni.JniUtils.isGradMode() && weight instanceof ai.djl.pytorch.engine.PtNDArray p
                && ai.djl.pytorch.jni.JniUtils.requiresGrad(p);
    }

    NDArray forward(NDArray x) {
        Shape w = weight.getShape();
        NDArray y;
        if (runsBf16(x.getManager(), x.getShape().getShape())) {
            y = ScriptedOps.conv2dBf16(x, weight, bias, stride(), padding());
        } else if (x.getShape().get(0) == 1 && w.get(2) > 1 && ScriptedOps.usable()) {
            // A lone sample in inference: by oneDNN, as libtorch itself runs two or more with this kernel
            // (ScriptedOps.conv2d). Not 1x1 kernels: for those libtorch keeps small batches on its own kernel on
            // purpose ("THNN is faster when single-threaded").
            y = ScriptedOps.conv2d(x, weight, bias, stride(), padding());
        } else if (w.get(0) < MIN_BACKWARD_OUTPUTS && padSmallBackward && recordsGradient()) {
            // Zero filters first: a result belongs to its left operand's manager, here the step's (x's), not the
            // parameters'; the real outputs are the last ones.
            NDManager m = x.getManager();
            long extra = MIN_BACKWARD_OUTPUTS - w.get(0);
            NDArray paddedWeight = NDArrays.concat(new NDList(
                    m.zeros(new Shape(extra, w.get(1), w.get(2), w.get(3)), weight.getDataType()), weight), 0);
            NDArray paddedBias = bias == null ? null
                    : NDArrays.concat(new NDList(m.zeros(new Shape(extra), bias.getDataType()), bias), 0);
            y = Conv2d.conv2d(x, paddedWeight, paddedBias, stride, padding, NO_DILATION).singletonOrThrow()
                    .get(new NDIndex(":, {}:", extra));
        } else {
            y = Conv2d.conv2d(x, weight, bias, stride, padding, NO_DILATION).singletonOrThrow();
        }
        countFlops(x.getShape().getShape());
        return y;
    }

    /**
     * Whether a call on an input of this shape runs in bf16: precision bf16, enough outputs and operations, no
     * gradient recorded, and the layer's check passed at this shape (run now if it is new).
     */
    boolean runsBf16(NDManager manager, long[] inputShape) {
        return store.precision() == ConvPrecision.BF16 && weight.getShape().get(0) >= MIN_BF16_OUTPUTS
                && flops(inputShape) >= MIN_BF16_FLOPS_PER_SAMPLE * inputShape[0] && !recordsGradient()
                && bf16Passes(manager, inputShape);
    }

    int stride() {
        return (int) stride.get(0);
    }

    int padding() {
        return (int) padding.get(0);
    }

    NDArray weight() {
        return weight;
    }

    /** The bias, or null. */
    NDArray bias() {
        return bias;
    }

    /** Adds this convolution on an input of this shape to the process's operation count. */
    void countFlops(long[] inputShape) {
        FLOPS.add(flops(inputShape));
    }

    /** Floating-point operations (2 per multiply-add) of this convolution on an input of this shape. */
    long flops(long[] s) {
        long[] w = weight.getShape().getShape();
        long oh = (s[2] + 2 * padding.get(0) - w[2]) / stride.get(0) + 1;
        long ow = (s[3] + 2 * padding.get(1) - w[3]) / stride.get(1) + 1;
        return 2 * s[0] * w[0] * oh * ow * w[1] * w[2] * w[3];
    }

    /** This layer's bf16 verdict at this input shape, checking it the first time the shape is seen. */
    private boolean bf16Passes(NDManager manager, long[] s) {
        List<Long> key = List.of(s[1], s[2], s[3]);
        Boolean verdict = bf16Verdicts.get(key);
        if (verdict == null) {
            double error = bf16Error(manager, new Shape(2, s[1], s[2], s[3]));
            verdict = error <= bf16LayerTolerance;
            if (bf16Verdicts.putIfAbsent(key, verdict) == null && !verdict) {
                LOG.warn("convolution {} {} -> {} at {}x{}: bf16 differs from float32 by {} of the output's range "
                        + "(tolerance {}); this layer stays float32 at this shape", name, s[1], weight.getShape().get(0),
                        s[2], s[3], String.format("%.3g", error), bf16LayerTolerance);
            }
        }
        return verdict;
    }

    /** {@code max |bf16 - float32| / max |float32|} of this layer on a random input of the given shape. */
    double bf16Error(NDManager parent, Shape inputShape) {
        try (NDManager m = parent.newSubManager()) {
            NDArray probe = m.randomUniform(-1f, 1f, inputShape);
            NDArray exact = Conv2d.conv2d(probe, weight, bias, stride, padding, NO_DILATION).singletonOrThrow();
            NDArray reduced = ScriptedOps.conv2dBf16(probe, weight, bias, stride(), padding());
            double range = exact.abs().max().getFloat();
            double error = exact.sub(reduced).abs().max().getFloat();
            return range == 0 ? error : error / range;
        }
    }

    /** The input shapes (C, H, W) at which this layer was checked, and the verdicts (for reports and tests). */
    Map<List<Long>, Boolean> bf16Verdicts() {
        return Map.copyOf(bf16Verdicts);
    }
}
