package io.odecast.flow;

import io.odecast.data.GridShape;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_video;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A dense motion field between two frames, in cells per frame interval: what lies at {@code (y, x)} in the
 * first frame lies at {@code (y + dy, x + dx)} in the second. Estimated with OpenCV's Farneback dense optical
 * flow (through JavaCV), as the extrapolation nowcasts of pySTEPS estimate motion from the last radar images.
 *
 * <p>Each channel is scaled to 0..255 by the joint range of its two frames (invalid cells set to the channel's
 * mean) and tracked on its own; the field is the mean over channels, so u, v and p of a weather grid all vote. A
 * channel that is the same in both frames votes for no motion; one that is flat or has no valid cell in the pair
 * carries no information and does not vote (a field of one such channel and one that moved is that one's motion).
 *
 * @param height rows
 * @param width  columns
 * @param dy     row displacement per cell, row-major
 * @param dx     column displacement per cell, row-major
 */
public record MotionField(int height, int width, float[] dy, float[] dx) {

    static {
        // The grids here are small (tens of cells a side): OpenCV's thread pool costs more than it saves, and its
        // workers wait actively after each parallel region, taking CPU from the service's model calls.
        opencv_core.setNumThreads(1);
    }

    /** Checks the sizes. */
    public MotionField {
        if (dy.length != height * width || dx.length != height * width) {
            throw new IllegalArgumentException("motion field of " + height + " x " + width + " needs "
                    + height * width + " displacements, got " + dy.length + " and " + dx.length);
        }
    }

    /** No motion. */
    public static MotionField zero(int height, int width) {
        return new MotionField(height, width, new float[height * width], new float[height * width]);
    }

    /**
     * The Farneback flow from {@code first} to {@code second}, both {@code shape} frames (C x H x W, row-major)
     * with optional masks (null: every cell valid; invalid and non-finite cells are missing).
     */
    public static MotionField between(GridShape shape, float[] first, boolean[] firstValid, float[] second,
                                      boolean[] secondValid) {
        int h = shape.height();
        int w = shape.width();
        float[] dy = new float[h * w];
        float[] dx = new float[h * w];
        int voters = 0;
        for (int c = 0; c < shape.channels(); c++) {
            float[][] planes = scaledPlanes(shape, c, first, firstValid, second, secondValid);
            if (planes == null) {
                continue; // flat or empty: nothing to track, no vote
            }
            voters++;
            if (java.util.Arrays.equals(planes[0], planes[1])) {
                continue; // nothing moved (a vote for zero): Farneback would return noise of 1e-4 cells
            }
            try (Mat a = toMat(planes[0], h, w); Mat b = toMat(planes[1], h, w); Mat flow = new Mat()) {
                // pyramid levels while the coarsest level keeps about 8 cells; window of 9 cells
                int levels = Math.max(1, (int) Math.floor(Math.log(Math.min(h, w) / 8.0) / Math.log(2)) + 1);
                opencv_video.calcOpticalFlowFarneback(a, b, flow, 0.5, levels, 9, 5, 5, 1.1, 0);
                try (FloatIndexer f = flow.createIndexer()) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            dx[y * w + x] += f.get(y, x, 0);
                            dy[y * w + x] += f.get(y, x, 1);
                        }
                    }
                }
            }
        }
        if (voters > 1) {
            for (int i = 0; i < dy.length; i++) {
                dx[i] /= voters;
                dy[i] /= voters;
            }
        }
        return new MotionField(h, w, dy, dx);
    }

    /** The field with every displacement multiplied by {@code factor}. */
    public MotionField scaled(double factor) {
        float[] sy = new float[dy.length];
        float[] sx = new float[dx.length];
        for (int i = 0; i < dy.length; i++) {
            sy[i] = (float) (dy[i] * factor);
            sx[i] = (float) (dx[i] * factor);
        }
        return new MotionField(height, width, sy, sx);
    }

    /** Bilinear sample of the row displacement at a real position (border clamped). */
    public double dyAt(double y, double x) {
        return Bilinear.sample(dy, 0, height, width, y, x);
    }

    /** Bilinear sample of the column displacement at a real position (border clamped). */
    public double dxAt(double y, double x) {
        return Bilinear.sample(dx, 0, height, width, y, x);
    }

    /** Channel {@code c} of both frames scaled to 0..255 jointly; null when the channel is flat or empty. */
    private static float[][] scaledPlanes(GridShape shape, int c, float[] first, boolean[] firstValid, float[] second,
                                          boolean[] secondValid) {
        int plane = shape.planeSize();
        float[][] data = {first, second};
        boolean[][] valid = {firstValid, secondValid};
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        long n = 0;
        for (int k = 0; k < 2; k++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                if (usable(data[k], valid[k], i)) {
                    min = Math.min(min, data[k][i]);
                    max = Math.max(max, data[k][i]);
                    sum += data[k][i];
                    n++;
                }
            }
        }
        if (n == 0 || !(max > min)) {
            return null;
        }
        double mean = sum / n;
        float[][] out = new float[2][plane];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < plane; i++) {
                int j = c * plane + i;
                double v = usable(data[k], valid[k], j) ? data[k][j] : mean;
                out[k][i] = (float) (255 * (v - min) / (max - min));
            }
        }
        return out;
    }

    private static boolean usable(float[] data, boolean[] valid, int i) {
        return (valid == null || valid[i]) && Float.isFinite(data[i]);
    }

    private static Mat toMat(float[] plane, int h, int w) {
        Mat m = new Mat(h, w, opencv_core.CV_32FC1);
        try (FloatIndexer ix = m.createIndexer()) {
            ix.put(0L, plane);
        }
        return m;
    }
}
