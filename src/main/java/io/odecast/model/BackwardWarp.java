package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
        return warp(image, flow, (int) s.get(2), (int) s.get(3));
    }

    /**
     * {@link #warp(NDArray, NDArray)} with the sample positions clamped to the top-left {@code validHeight x
     * validWidth} cells: a padded frame's real grid, so that motion across the bottom or right edge takes the edge's
     * values, not the padding's (as the flow baseline does).
     */
    public static NDArray warp(NDArray image, NDArray flow, int validHeight, int validWidth) {
        Shape s = image.getShape();
        long b = s.get(0);
        long c = s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        long cells = (long) h * w;
        NDManager m = image.getManager();
        NDArray[] grid = grid(m, h, w);
        NDList xy = flow.split(2, 1);
        NDArray sx = xy.get(0).reshape(b, h, w).add(grid[0]).clip(0, validWidth - 1);
        NDArray sy = xy.get(1).reshape(b, h, w).add(grid[1]).clip(0, validHeight - 1);
        // floor has a zero gradient, so the gradient reaches the flow through the bilinear weights only.
        NDArray x0 = sx.floor();
        NDArray y0 = sy.floor();
        NDArray wx = sx.sub(x0);
        NDArray wy = sy.sub(y0);
        NDArray one = m.create(1f);
        NDArray width = m.create((float) w);
        NDArray dx = x0.add(one).clip(0, w - 1).sub(x0);
        NDArray dy = y0.add(one).clip(0, h - 1).sub(y0).mul(width);
        NDArray i00 = y0.mul(width).add(x0);
        NDArray i10 = i00.add(dy);
        // The four neighbours of every output cell, gathered in one pass: (B, C, 4 x HW).
        NDArray index = NDArrays.stack(new NDList(i00, i00.add(dx), i10, i10.add(dx)), 1)
                .toType(DataType.INT64, false).reshape(b, 1, 4 * cells);
        NDArray values = image.reshape(b, c, cells).gather(index.broadcast(b, c, 4 * cells), 2)
                .reshape(b, c, 4, cells);
        NDArray ax = one.sub(wx);
        NDArray ay = one.sub(wy);
        NDArray weights = NDArrays.stack(new NDList(ax.mul(ay), wx.mul(ay), ax.mul(wy), wx.mul(wy)), 1)
                .reshape(b, 1, 4, cells);
        return values.mul(weights).sum(new int[] {2}).reshape(b, c, h, w);
    }

    /**
     * Pixel coordinates x and y of an H x W grid, (1, H, W) each. Made in the caller's manager: a cached
     * copy in a long-lived manager would be safe only as a right operand, which is too easy to break.
     */
    private static NDArray[] grid(NDManager m, int h, int w) {
        NDArray x = m.arange(0f, (float) w, 1f).reshape(1, 1, w).broadcast(1, h, w);
        NDArray y = m.arange(0f, (float) h, 1f).reshape(1, h, 1).broadcast(1, h, w);
        return new NDArray[] {x, y};
    }

    /** Composition Psi = M * W + (1 - M) * D, written as D + M * (W - D). */
    static NDArray compose(NDArray mask, NDArray warped, NDArray difference) {
        return difference.add(warped.sub(difference).mul(mask));
    }

    /**
     * The composition of a configuration: the reference's (see {@link #compose(NDArray, NDArray, NDArray)}) or, when
     * {@code residual}, W + (1 - M) * D (written as W + (D - M * D)): D is a correction of the warped frame, so a
     * zero flow and a zero D give the anchor frame exactly.
     */
    static NDArray compose(NDArray mask, NDArray warped, NDArray difference, boolean residual) {
        if (!residual) {
            return compose(mask, warped, difference);
        }
        return warped.add(difference.sub(difference.mul(mask)));
    }
}
