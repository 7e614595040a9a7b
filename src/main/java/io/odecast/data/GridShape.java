package io.odecast.data;

/**
 * Shape of one frame: {@code channels x height x width}, stored row-major (channel, row, column).
 *
 * @param channels number of channels (e.g. 3 for u/v/p, 1 for grey video)
 * @param height   number of rows (latitudes for a lat/lon grid)
 * @param width    number of columns (longitudes for a lat/lon grid)
 */
public record GridShape(int channels, int height, int width) {

    /** Checks that every dimension is positive. */
    public GridShape {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "grid shape must be positive, got " + channels + " x " + height + " x " + width);
        }
        if ((long) channels * height * width > Integer.MAX_VALUE) {
            // One frame is one Java array: its cell count must be an int (a wire shape could claim more).
            throw new IllegalArgumentException("grid shape " + channels + " x " + height + " x " + width
                    + " has more than " + Integer.MAX_VALUE + " cells");
        }
    }

    /** Number of cells in one channel plane ({@code height * width}). */
    public int planeSize() {
        return height * width;
    }

    /** Number of values in one frame ({@code channels * height * width}). */
    public int size() {
        return channels * height * width;
    }

    /** Flat row-major index of cell ({@code c}, {@code y}, {@code x}). */
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

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
