package io.odecast.flow;

/** Bilinear sampling of one plane of a row-major {@code C x H x W} array at a real position, border clamped. */
public final class Bilinear {

    private Bilinear() {
    }

    /** The value of plane {@code c} at row {@code y}, column {@code x} (cell centres at integers). */
    public static double sample(float[] values, int c, int height, int width, double y, double x) {
        double cy = Math.max(0, Math.min(height - 1, y));
        double cx = Math.max(0, Math.min(width - 1, x));
        int y0 = (int) Math.floor(cy);
        int x0 = (int) Math.floor(cx);
        int y1 = Math.min(height - 1, y0 + 1);
        int x1 = Math.min(width - 1, x0 + 1);
        double fy = cy - y0;
        double fx = cx - x0;
        int base = c * height * width;
        double top = values[base + y0 * width + x0] * (1 - fx) + values[base + y0 * width + x1] * fx;
        double bottom = values[base + y1 * width + x0] * (1 - fx) + values[base + y1 * width + x1] * fx;
        return top * (1 - fy) + bottom * fy;
    }
}
