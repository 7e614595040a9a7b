package io.odecast.data;

/**
 * Resizes planar {@code C x H x W} float images by area averaging: each output cell is the mean of the input
 * area it covers, weighted by fractional overlap (like OpenCV's INTER_AREA when shrinking; bilinear-like when
 * enlarging by a non-integer factor).
 */
public final class AreaResampler {

    private AreaResampler() {
    }

    /** Resizes {@code src} of shape {@code from} to {@code toHeight x toWidth}, keeping the channels. */
    public static float[] resize(float[] src, GridShape from, int toHeight, int toWidth) {
        GridShape to = new GridShape(from.channels(), toHeight, toWidth);
        if (from.height() == toHeight && from.width() == toWidth) {
            return src.clone();
        }
        double sy = (double) from.height() / toHeight;
        double sx = (double) from.width() / toWidth;
        float[] out = new float[to.size()];
        for (int c = 0; c < from.channels(); c++) {
            for (int y = 0; y < toHeight; y++) {
                double y0 = y * sy;
                double y1 = y0 + sy;
                for (int x = 0; x < toWidth; x++) {
                    double x0 = x * sx;
                    double x1 = x0 + sx;
                    double sum = 0;
                    double weight = 0;
                    for (int iy = (int) y0; iy < Math.min(from.height(), Math.ceil(y1)); iy++) {
                        double wy = Math.min(y1, iy + 1) - Math.max(y0, iy);
                        for (int ix = (int) x0; ix < Math.min(from.width(), Math.ceil(x1)); ix++) {
                            double wx = Math.min(x1, ix + 1) - Math.max(x0, ix);
                            sum += wy * wx * src[from.index(c, iy, ix)];
                            weight += wy * wx;
                        }
                    }
                    out[to.index(c, y, x)] = (float) (sum / weight);
                }
            }
        }
        return out;
    }
}
