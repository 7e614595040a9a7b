package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.concurrent.atomic.LongAdder;

/** A 2-D convolution with PyTorch's default initialisation (U(+-1/sqrt(fan_in)) for weight and bias). */
final class Conv2dLayer {

    private static final Shape NO_DILATION = new Shape(1, 1);
    /** Floating-point operations (2 per multiply-add) of every convolution run in this process. */
    static final LongAdder FLOPS = new LongAdder();

    private final NDArray weight;
    private final NDArray bias;
    private final Shape stride;
    private final Shape padding;

    Conv2dLayer(ParameterStore store, String name, int in, int out, int kernel, int stride, int padding, boolean bias) {
        double bound = 1.0 / Math.sqrt((double) in * kernel * kernel);
        this.weight = store.uniform(name + ".weight", new Shape(out, in, kernel, kernel), bound);
        this.bias = bias ? store.uniform(name + ".bias", new Shape(out), bound) : null;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    private Conv2dLayer(NDArray weight, NDArray bias, Shape stride, Shape padding) {
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
        return new Conv2dLayer(manager.create(w, weight.getShape()), manager.create(b, new Shape(gamma.length)),
                stride, padding);
    }

    NDArray forward(NDArray x) {
        NDArray y = Conv2d.conv2d(x, weight, bias, stride, padding, NO_DILATION).singletonOrThrow();
        Shape w = weight.getShape();
        FLOPS.add(2 * y.getShape().size() * w.get(1) * w.get(2) * w.get(3));
        return y;
    }
}
