package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.BatchNorm;

/**
 * BatchNorm2d with running statistics (PyTorch defaults: eps 1e-5, momentum 0.1). In training it normalises by
 * batch statistics and updates the running ones; at inference it uses the running statistics only, so a
 * stream's output never depends on what else is in its batch (the reference keeps training mode at test time).
 */
final class BatchNormLayer {

    /** DJL's momentum is the share kept, PyTorch's the share replaced: 0.9 here is PyTorch's 0.1. */
    private static final float DJL_MOMENTUM = 0.9f;
    static final float EPS = 1e-5f;

    private final NDArray gamma;
    private final NDArray beta;
    private final NDArray runningMean;
    private final NDArray runningVar;

    BatchNormLayer(ParameterStore store, String name, int channels) {
        Shape shape = new Shape(channels);
        this.gamma = store.constant(name + ".gamma", shape, 1f, true);
        this.beta = store.constant(name + ".beta", shape, 0f, true);
        this.runningMean = store.constant(name + ".running_mean", shape, 0f, false);
        this.runningVar = store.constant(name + ".running_var", shape, 1f, false);
    }

    NDArray gamma() {
        return gamma;
    }

    NDArray beta() {
        return beta;
    }

    NDArray runningMean() {
        return runningMean;
    }

    NDArray runningVar() {
        return runningVar;
    }

    NDArray forward(NDArray x, boolean training) {
        return BatchNorm.batchNorm(x, runningMean, runningVar, gamma, beta, 1, DJL_MOMENTUM, EPS, training)
                .singletonOrThrow();
    }
}
