package io.odecast.eval;

import io.odecast.data.GridShape;
import io.odecast.model.Observation;
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
 * mean) and tracked on its own; the field is the mean over channels, so u, v and p of a weather grid all vote.
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

    /** The Farneback flow from {@code first} to {@code second}, both {@code shape} frames with optional masks. */
    public static MotionField between(GridShape shape, Observation first, Observation second) {
        int h = shape.height();
        int w = shape.width();
        float[] dy = new float[h * w];
        float[] dx = new float[h * w];
        for (int c = 0; c < shape.channels(); c++) {
            float[][] planes = scaledPlanes(shape, c, first, second);
            if (planes == null || java.util.Arrays.equals(planes[0], planes[1])) {
                continue; // nothing to track, or nothing moved: Farneback would return noise of 1e-4 cells
            }
            try (Mat a = toMat(planes[0], h, w); Mat b = toMat(planes[1], h, w); Mat flow = new Mat()) {
                // pyramid levels while the coarsest level keeps about 8 cells; window of 9 cells
                int levels = Math.max(1, (int) Math.floor(Math.log(Math.min(h, w) / 8.0) / Math.log(2)) + 1);
                opencv_video.calcOpticalFlowFarneback(a, b, flow, 0.5, levels, 9, 5, 5, 1.1, 0);
                try (FloatIndexer f = flow.createIndexer()) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            dx[y * w + x] += f.get(y, x, 0) / shape.channels();
                            dy[y * w + x] += f.get(y, x, 1) / shape.channels();
                        }
                    }
                }
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
    double dyAt(double y, double x) {
        return Bilinear.sample(dy, 0, height, width, y, x);
    }

    /** Bilinear sample of the column displacement at a real position (border clamped). */
    double dxAt(double y, double x) {
        return Bilinear.sample(dx, 0, height, width, y, x);
    }

    /** Channel {@code c} of both frames scaled to 0..255 jointly; null when the channel is flat or empty. */
    private static float[][] scaledPlanes(GridShape shape, int c, Observation first, Observation second) {
        int plane = shape.planeSize();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        long n = 0;
        for (Observation f : new Observation[] {first, second}) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                if (f.isValid(i) && Float.isFinite(f.data()[i])) {
                    min = Math.min(min, f.data()[i]);
                    max = Math.max(max, f.data()[i]);
                    sum += f.data()[i];
                    n++;
                }
            }
        }
        if (n == 0 || !(max > min)) {
            return null;
        }
        double mean = sum / n;
        float[][] out = new float[2][plane];
        Observation[] frames = {first, second};
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < plane; i++) {
                int j = c * plane + i;
                double v = frames[k].isValid(j) && Float.isFinite(frames[k].data()[j]) ? frames[k].data()[j] : mean;
                out[k][i] = (float) (255 * (v - min) / (max - min));
            }
        }
        return out;
    }

    private static Mat toMat(float[] plane, int h, int w) {
        Mat m = new Mat(h, w, opencv_core.CV_32FC1);
        try (FloatIndexer ix = m.createIndexer()) {
            ix.put(0L, plane);
        }
        return m;
    }
}
