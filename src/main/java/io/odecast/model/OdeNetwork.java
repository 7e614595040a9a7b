package io.odecast.model;

import ai.djl.ndarray.NDArray;
import io.odecast.ode.OdeFunction;

/**
 * An autonomous ODE vector field dh/dt = f(h) on the latent grid (spec 1.3): 3x3 conv to half width, nLayers
 * times [tanh, 3x3 conv], tanh, 3x3 conv back to full width; no normalisation. Used for f_theta (encoder,
 * between arrivals) and f_phi (decoder, to requested times).
 */
final class OdeNetwork {

    private final Conv2dLayer[] convs;
    /** The layers' weights and biases in order, for the scripted field (the same arrays every evaluation). */
    private final NDArray[] weights;
    private final NDArray[] biases;

    OdeNetwork(ParameterStore store, String name, ModelConfig config) {
        int base = config.latentChannels();
        int hidden = Math.max(1, base / 2);
        convs = new Conv2dLayer[config.nLayers() + 2];
        convs[0] = new Conv2dLayer(store, name + ".0", base, hidden, 3, 1, 1, true);
        for (int i = 1; i <= config.nLayers(); i++) {
            convs[i] = new Conv2dLayer(store, name + "." + i, hidden, hidden, 3, 1, 1, true);
        }
        convs[convs.length - 1] = new Conv2dLayer(store, name + "." + (convs.length - 1), hidden, base, 3, 1, 1, true);
        weights = new NDArray[convs.length];
        biases = new NDArray[convs.length];
        for (int i = 0; i < convs.length; i++) {
            weights[i] = convs[i].weight();
            biases[i] = convs[i].bias();
        }
    }

    NDArray derivative(NDArray h) {
        if (ScriptedOps.usable()) {
            return derivativeScripted(h);
        }
        NDArray x = convs[0].forward(h);
        for (int i = 1; i < convs.length; i++) {
            x = convs[i].forward(x.tanh());
        }
        return x;
    }

    /**
     * Inference: the whole field as one scripted call in the channels-last layout ({@link ScriptedOps#odeField}),
     * the same values as layer by layer (1e-6) with one call instead of seven DJL operations per evaluation.
     */
    private NDArray derivativeScripted(NDArray h) {
        boolean[] bf16 = new boolean[convs.length];
        long[] s = h.getShape().getShape();
        for (int i = 0; i < convs.length; i++) {
            long[] in = {s[0], weights[i].getShape().get(1), s[2], s[3]};
            bf16[i] = convs[i].runsBf16(h.getManager(), in);
            convs[i].countFlops(in);
        }
        return ScriptedOps.odeField(h, weights, biases, bf16);
    }

    OdeFunction field() {
        return OdeFunction.autonomous(this::derivative);
    }

    /** The field with time reversed, to integrate backwards over a positive duration. */
    OdeFunction reversedField() {
        return OdeFunction.autonomous(h -> derivative(h).neg());
    }
}
