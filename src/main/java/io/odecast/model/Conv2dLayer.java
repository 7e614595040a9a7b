package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/** A 2-D convolution with PyTorch's default initialisation (U(+-1/sqrt(fan_in)) for weight and bias). */
final class Conv2dLayer {

    private static final Shape NO_DILATION = new Shape(1, 1);

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

    NDArray forward(NDArray x) {
        return Conv2d.conv2d(x, weight, bias, stride, padding, NO_DILATION).singletonOrThrow();
    }
}
