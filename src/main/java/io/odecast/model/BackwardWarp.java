package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Differentiable bilinear backward warp in pixel units with border clamping, the reference's
 * {@code grid_sample(padding_mode="border")} under torch 1.0's align-corners convention:
 * {@code out(y, x) = bilinear(img, x + F_x(y, x), y + F_y(y, x))}, sample positions clamped to the image.
 * Built from gather so the gradient reaches the flow through the bilinear weights (DJL has no grid_sample).
 */
public final class BackwardWarp {

    private BackwardWarp() {
    }

    /**
     * @param image (B, C, H, W)
     * @param flow  (B, 2, H, W): x then y displacement in pixels
     */
    public static NDArray warp(NDArray image, NDArray flow) {
        Shape s = image.getShape();
        long b = s.get(0);
        long c = s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDManager m = image.getManager();
        NDArray gridX = m.arange(0f, (float) w, 1f).reshape(1, 1, w).broadcast(1, h, w);
        NDArray gridY = m.arange(0f, (float) h, 1f).reshape(1, h, 1).broadcast(1, h, w);
        NDList xy = flow.split(2, 1);
        NDArray sx = xy.get(0).reshape(b, h, w).add(gridX).clip(0, w - 1);
        NDArray sy = xy.get(1).reshape(b, h, w).add(gridY).clip(0, h - 1);
        NDArray x0 = sx.floor().stopGradient();
        NDArray y0 = sy.floor().stopGradient();
        NDArray wx = sx.sub(x0);
        NDArray wy = sy.sub(y0);
        NDArray x1 = x0.add(m.create(1f)).clip(0, w - 1);
        NDArray y1 = y0.add(m.create(1f)).clip(0, h - 1);
        NDArray wWidth = m.create((float) w);
        NDArray flat = image.reshape(b, c, (long) h * w);
        NDArray v00 = sample(flat, y0, x0, wWidth, b, c);
        NDArray v01 = sample(flat, y0, x1, wWidth, b, c);
        NDArray v10 = sample(flat, y1, x0, wWidth, b, c);
        NDArray v11 = sample(flat, y1, x1, wWidth, b, c);
        NDArray ax = wx.reshape(b, 1, (long) h * w);
        NDArray ay = wy.reshape(b, 1, (long) h * w);
        NDArray top = v00.add(v01.sub(v00).mul(ax));
        NDArray bottom = v10.add(v11.sub(v10).mul(ax));
        return top.add(bottom.sub(top).mul(ay)).reshape(b, c, h, w);
    }

    private static NDArray sample(NDArray flat, NDArray y, NDArray x, NDArray width, long b, long c) {
        NDArray index = y.mul(width).add(x).toType(DataType.INT64, false).reshape(b, 1, -1);
        return flat.gather(index.broadcast(b, c, index.getShape().get(2)), 2);
    }

    /** Composition Psi = M * W + (1 - M) * D, written as D + M * (W - D). */
    static NDArray compose(NDArray mask, NDArray warped, NDArray difference) {
        return difference.add(warped.sub(difference).mul(mask));
    }
}
