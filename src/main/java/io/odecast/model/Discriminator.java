package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * The PatchGAN discriminator of the reference (spec 2.2), used as image discriminator (C input channels) and
 * sequence discriminator (frames stacked along channels): 4x4 convs with strides 2, 2, 2, 1, 1, InstanceNorm
 * (no affine) and LeakyReLU(0.2), LSGAN patch outputs. The reference widths (64, 128, 256, 512, 64 outputs) are
 * scaled by the configuration's width multiplier so that CPU training is practical (a labelled deviation).
 */
final class Discriminator {

    private static final float SLOPE = 0.2f;

    private final Conv2dLayer[] convs;

    Discriminator(ParameterStore store, String name, int inChannels, double widthMultiplier) {
        int w1 = scaled(64, widthMultiplier);
        int w2 = scaled(128, widthMultiplier);
        int w3 = scaled(256, widthMultiplier);
        int w4 = scaled(512, widthMultiplier);
        int outputs = scaled(64, widthMultiplier);
        convs = new Conv2dLayer[] {
            new Conv2dLayer(store, name + ".0", inChannels, w1, 4, 2, 1, false),
            new Conv2dLayer(store, name + ".1", w1, w2, 4, 2, 1, true),
            new Conv2dLayer(store, name + ".2", w2, w3, 4, 2, 1, true),
            new Conv2dLayer(store, name + ".3", w3, w4, 4, 1, 2, true),
            new Conv2dLayer(store, name + ".4", w4, outputs, 4, 1, 2, false),
        };
    }

    private static int scaled(int width, double multiplier) {
        return Math.max(1, (int) Math.round(width * multiplier));
    }

    /** Patch scores for a batch of images (B, inChannels, H, W). */
    NDArray forward(NDArray x) {
        NDArray h = convs[0].forward(x).getNDArrayInternal().leakyRelu(SLOPE);
        for (int i = 1; i < 4; i++) {
            h = instanceNorm(convs[i].forward(h)).getNDArrayInternal().leakyRelu(SLOPE);
        }
        return convs[4].forward(h);
    }

    /** InstanceNorm2d without affine: layer norm over (H, W) of each sample and channel. */
    private static NDArray instanceNorm(NDArray x) {
        Shape hw = new Shape(x.getShape().get(2), x.getShape().get(3));
        NDArray ones = x.getManager().ones(hw);
        NDArray zeros = x.getManager().zeros(hw);
        return LayerNorm.layerNorm(x, hw, ones, zeros, 1e-5f).singletonOrThrow();
    }
}
