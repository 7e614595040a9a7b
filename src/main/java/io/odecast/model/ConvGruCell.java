package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * The ConvGRU cell (spec 1.4): gates r, u = sigmoid(conv([x, h])), candidate c = tanh(conv([x, r h])),
 * h' = (1 - u) h + u c, and with a per-sample observation mask m: m h' + (1 - m) h.
 */
final class ConvGruCell {

    private final Conv2dLayer gates;
    private final Conv2dLayer candidate;
    private final int channels;

    ConvGruCell(ParameterStore store, String name, int channels) {
        this.channels = channels;
        gates = new Conv2dLayer(store, name + ".gates", 2 * channels, 2 * channels, 3, 1, 1, true);
        candidate = new Conv2dLayer(store, name + ".candidate", 2 * channels, channels, 3, 1, 1, true);
    }

    /**
     * @param mask per-sample 0/1 of shape (B, 1, 1, 1), or null when every sample is observed
     */
    NDArray forward(NDArray x, NDArray h, NDArray mask) {
        NDArray g = gates.forward(NDArrays.concat(new NDList(x, h), 1)).getNDArrayInternal().sigmoid();
        NDList ru = g.split(new long[] {channels}, 1);
        NDArray r = ru.get(0);
        NDArray u = ru.get(1);
        NDArray c = candidate.forward(NDArrays.concat(new NDList(x, r.mul(h)), 1)).tanh();
        NDArray next = h.add(u.mul(c.sub(h)));
        return mask == null ? next : h.add(next.sub(h).mul(mask));
    }
}
