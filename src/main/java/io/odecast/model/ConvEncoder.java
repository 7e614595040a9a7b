package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The conv encoder E (spec 1.2): 3x3 conv C to initDim, BatchNorm, ReLU, then nDowns times a 4x4 stride-2
 * conv doubling the width, BatchNorm, ReLU. Output (B, initDim * 2^nDowns, H / 2^nDowns, W / 2^nDowns).
 */
final class ConvEncoder {

    private final Conv2dLayer[] convs;
    private final BatchNormLayer[] norms;
    /** Convolutions with BatchNorm folded in, for inference; null until {@link #foldBatchNorm}. */
    private Conv2dLayer[] folded;

    ConvEncoder(ParameterStore store, String name, ModelConfig config) {
        int n = config.nDowns() + 1;
        convs = new Conv2dLayer[n];
        norms = new BatchNormLayer[n];
        int d = config.initDim();
        convs[0] = new Conv2dLayer(store, name + ".0.conv", config.channels(), d, 3, 1, 1, true);
        norms[0] = new BatchNormLayer(store, name + ".0.bn", d);
        for (int i = 1; i < n; i++) {
            convs[i] = new Conv2dLayer(store, name + "." + i + ".conv", d, 2 * d, 4, 2, 1, true);
            norms[i] = new BatchNormLayer(store, name + "." + i + ".bn", 2 * d);
            d *= 2;
        }
    }

    /** Folds each BatchNorm into its convolution for inference (the weights must not change afterwards). */
    void foldBatchNorm(NDManager manager) {
        Conv2dLayer[] f = new Conv2dLayer[convs.length];
        for (int i = 0; i < convs.length; i++) {
            f[i] = convs[i].foldedWith(norms[i], manager);
        }
        folded = f;
    }

    NDArray forward(NDArray x, boolean training) {
        if (!training && folded != null && ScriptedOps.usable()) {
            // Inference: each stage one scripted call in the channels-last layout (as the decoder's), the last one
            // back in the plain layout.
            NDArray h = x;
            for (int i = 0; i < folded.length; i++) {
                Conv2dLayer layer = folded[i];
                long[] s = h.getShape().getShape();
                boolean bf16 = layer.runsBf16(h.getManager(), s);
                h = ScriptedOps.convRelu(h, layer.weight(), layer.bias(), layer.stride(), layer.padding(), bf16,
                        i == folded.length - 1);
                layer.countFlops(s);
            }
            return h;
        }
        NDArray h = x;
        for (int i = 0; i < convs.length; i++) {
            h = (!training && folded != null ? folded[i].forward(h) : norms[i].forward(convs[i].forward(h), training))
                    .getNDArrayInternal().relu();
        }
        return h;
    }
}
