package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The conv decoder G (spec 1.7): nDowns times [bilinear x2 up-sampling (align_corners=False), 3x3 conv halving
 * the width, BatchNorm, ReLU], then a 3x3 conv to C + 3 channels: flow (2), difference (C), mask logit (1).
 * Its input is [h_k, previous latent] (2 x latent width).
 */
final class ConvDecoder {

    /** DJL's interpolation code for bilinear (PyTorch upsample_bilinear2d with align_corners=False). */
    private static final int BILINEAR = 1;

    private final Conv2dLayer[] convs;
    private final BatchNormLayer[] norms;
    /** Convolutions with BatchNorm folded in, for inference; null until {@link #foldBatchNorm}. */
    private Conv2dLayer[] folded;
    private final Conv2dLayer out;

    ConvDecoder(ParameterStore store, String name, ModelConfig config) {
        int n = config.nDowns();
        convs = new Conv2dLayer[n];
        norms = new BatchNormLayer[n];
        int ch = 2 * config.latentChannels();
        for (int i = 0; i < n; i++) {
            convs[i] = new Conv2dLayer(store, name + "." + i + ".conv", ch, ch / 2, 3, 1, 1, true);
            norms[i] = new BatchNormLayer(store, name + "." + i + ".bn", ch / 2);
            ch /= 2;
        }
        out = new Conv2dLayer(store, name + ".out", ch, config.channels() + 3, 3, 1, 1, true);
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
            return forwardStaged(x);
        }
        NDArray h = x;
        for (int i = 0; i < convs.length; i++) {
            h = upsample2(h);
            h = (!training && folded != null ? folded[i].forward(h) : norms[i].forward(convs[i].forward(h), training))
                    .getNDArrayInternal().relu();
        }
        return out.forward(h);
    }

    /**
     * Inference: each stage (up-sampling, convolution, ReLU) as one scripted call in the channels-last layout, the
     * output convolution back to the plain layout ({@link ScriptedOps#decoderStage}). The same values as the
     * layer-by-layer path (1e-6 relative); 1.6x faster at batch 32 in float32, because libtorch's up-sampling and
     * oneDNN's convolutions both work in that layout without reorders (docs/benchmarks.md).
     */
    private NDArray forwardStaged(NDArray x) {
        NDArray h = x;
        for (Conv2dLayer layer : folded) {
            long[] s = h.getShape().getShape();
            long[] upsampled = {s[0], s[1], s[2] * 2, s[3] * 2};
            boolean bf16 = layer.runsBf16(h.getManager(), upsampled);
            h = ScriptedOps.decoderStage(h, layer.weight(), layer.bias(), bf16);
            layer.countFlops(upsampled);
        }
        long[] s = h.getShape().getShape();
        NDArray y = ScriptedOps.conv2dContiguous(h, out.weight(), out.bias(), 1);
        out.countFlops(s);
        return y;
    }

    /**
     * Bilinear x2 (align_corners=False). Without autograd by libtorch's plain kernel ({@link ScriptedOps}); with it by
     * DJL's interpolation, which reaches the anti-aliased kernel: the same values, slower.
     */
    static NDArray upsample2(NDArray x) {
        if (ScriptedOps.usable()) {
            return ScriptedOps.upsampleBilinear2x(x);
        }
        long[] s = x.getShape().getShape();
        return x.getNDArrayInternal().interpolation(new long[] {s[2] * 2, s[3] * 2}, BILINEAR, false);
    }
}
