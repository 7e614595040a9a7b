package io.odecast.eval;

/**
 * Shape of one frame stored row-major as channels x height x width in a flat {@code float[]}.
 *
 * @param channels number of channels (variables, or colour planes for video)
 * @param height rows per channel
 * @param width columns per row
 */
public record FrameShape(int channels, int height, int width) {

    public FrameShape {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "frame shape must be positive, got " + channels + "x" + height + "x" + width);
        }
    }

    /** Number of cells in one channel plane. */
    public int planeSize() {
        return height * width;
    }

    /** Number of cells in the whole frame. */
    public int size() {
        return channels * height * width;
    }

    /** Flat index of cell (c, y, x). */
    public int index(int c, int y, int x) {
        return (c * height + y) * width + x;
    }

    /** Fails with a message naming {@code what} unless the array has {@link #size()} elements. */
    public void requireSize(String what, int length) {
        if (length != size()) {
            throw new IllegalArgumentException(
                    what + " has " + length + " values, expected " + size() + " for shape " + this);
        }
    }

    /** Fails unless the mask is null (all valid) or has {@link #size()} elements. */
    public void requireMask(boolean[] valid) {
        if (valid != null) {
            requireSize("validity mask", valid.length);
        }
    }
}
