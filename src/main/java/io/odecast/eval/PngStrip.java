package io.odecast.eval;

import io.odecast.data.GridShape;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG contact sheet of a forecast. For each channel, four rows of tiles: inputs, truth, prediction and
 * |prediction - truth|; columns are frames in time order (rows with fewer frames are padded with a dark
 * background). Each cell becomes a {@code scale} x {@code scale} block, so the image is
 * {@code columns * W * scale} wide and {@code 4 * C * H * scale} high. Cells invalid in the truth mask
 * are drawn magenta in the truth, prediction and error rows.
 */
public final class PngStrip {

    /** How one channel's values become colours. */
    public enum ColourMap {
        /** Video intensity: [0, 1] clamped to black..white; |error| black (0) to white (largest). */
        GREY,
        /**
         * Weather field: blue-white-red between the truth's minimum and maximum over the strip;
         * |error| white (0) to red (largest).
         */
        DIVERGING;

        /** The 0xRRGGBB colour of {@code v} on a scale from {@code lo} to {@code hi} (clamped; mid-scale if empty). */
        public int colour(double v, double lo, double hi) {
            double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
            t = Math.min(1, Math.max(0, t));
            if (this == GREY) {
                int g = (int) Math.round(t * 255);
                return rgb(g, g, g);
            }
            return t < 0.5 ? blend(BLUE, WHITE, t * 2) : blend(WHITE, RED, (t - 0.5) * 2);
        }
    }

    private static final int BACKGROUND = 0x202020;
    private static final int INVALID = 0xFF00FF;
    private static final int[] BLUE = {59, 76, 192};
    private static final int[] WHITE = {255, 255, 255};
    private static final int[] RED = {180, 4, 38};

    private PngStrip() {
    }

    /**
     * Writes the strip to {@code file}.
     *
     * @param colourMaps one map per channel
     * @param inputs observed frames (may be empty)
     * @param truths true frames at the forecast times
     * @param predictions predicted frames, paired with {@code truths}
     * @param truthValid masks paired with {@code truths}; null, or null entries, mean all valid
     * @param scale pixels per cell side, at least 1
     */
    public static void write(Path file, GridShape shape, List<ColourMap> colourMaps, List<float[]> inputs,
            List<float[]> truths, List<float[]> predictions, List<boolean[]> truthValid, int scale)
            throws IOException {
        if (colourMaps.size() != shape.channels()) {
            throw new IllegalArgumentException("need one colour map per channel: got " + colourMaps.size()
                    + " for " + shape.channels() + " channels");
        }
        if (truths.size() != predictions.size() || (truthValid != null && truthValid.size() != truths.size())) {
            throw new IllegalArgumentException("truth, prediction and mask lists must pair up, got "
                    + truths.size() + ", " + predictions.size() + ", "
                    + (truthValid == null ? "none" : truthValid.size()));
        }
        if (scale < 1) {
            throw new IllegalArgumentException("scale must be at least 1, got " + scale);
        }
        int h = shape.height();
        int w = shape.width();
        int columns = Math.max(1, Math.max(inputs.size(), truths.size()));
        BufferedImage image = new BufferedImage(columns * w * scale, 4 * shape.channels() * h * scale,
                BufferedImage.TYPE_INT_RGB);
        for (int c = 0; c < shape.channels(); c++) {
            ColourMap map = colourMaps.get(c);
            double[] range = valueRange(shape, c, map, truths, truthValid);
            double maxError = maxAbsError(shape, c, truths, predictions, truthValid);
            int top = 4 * c * h;
            for (int col = 0; col < columns; col++) {
                boolean[] mask = truthValid == null || col >= truths.size() ? null : truthValid.get(col);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int i = shape.index(c, y, x);
                        boolean ok = mask == null || mask[i];
                        int in = col < inputs.size() ? valueColour(inputs.get(col)[i], map, range) : BACKGROUND;
                        int truth = BACKGROUND;
                        int pred = BACKGROUND;
                        int err = BACKGROUND;
                        if (col < truths.size()) {
                            float t = truths.get(col)[i];
                            float p = predictions.get(col)[i];
                            truth = ok ? valueColour(t, map, range) : INVALID;
                            pred = ok ? valueColour(p, map, range) : INVALID;
                            err = ok ? errorColour(Math.abs((double) p - t), map, maxError) : INVALID;
                        }
                        fill(image, col * w + x, top + y, scale, in);
                        fill(image, col * w + x, top + h + y, scale, truth);
                        fill(image, col * w + x, top + 2 * h + y, scale, pred);
                        fill(image, col * w + x, top + 3 * h + y, scale, err);
                    }
                }
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available to write " + file);
        }
    }

    private static double[] valueRange(GridShape shape, int c, ColourMap map, List<float[]> truths,
            List<boolean[]> truthValid) {
        if (map == ColourMap.GREY) {
            return new double[] {0, 1};
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int plane = shape.planeSize();
        for (int f = 0; f < truths.size(); f++) {
            boolean[] mask = truthValid == null ? null : truthValid.get(f);
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                float v = truths.get(f)[i];
                if ((mask == null || mask[i]) && Float.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        return lo <= hi ? new double[] {lo, hi} : new double[] {0, 1};
    }

    private static double maxAbsError(GridShape shape, int c, List<float[]> truths, List<float[]> predictions,
            List<boolean[]> truthValid) {
        double max = 0;
        int plane = shape.planeSize();
        for (int f = 0; f < truths.size(); f++) {
            boolean[] mask = truthValid == null ? null : truthValid.get(f);
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                double e = Math.abs((double) predictions.get(f)[i] - truths.get(f)[i]);
                if ((mask == null || mask[i]) && Double.isFinite(e)) {
                    max = Math.max(max, e);
                }
            }
        }
        return max;
    }

    private static int valueColour(float v, ColourMap map, double[] range) {
        if (!Float.isFinite(v)) {
            return INVALID;
        }
        return map.colour(v, range[0], range[1]);
    }

    private static int errorColour(double e, ColourMap map, double max) {
        if (!Double.isFinite(e)) {
            return INVALID;
        }
        double t = max > 0 ? Math.min(1, e / max) : 0;
        if (map == ColourMap.GREY) {
            int g = (int) Math.round(t * 255);
            return rgb(g, g, g);
        }
        return blend(WHITE, RED, t);
    }

    private static int blend(int[] from, int[] to, double t) {
        return rgb((int) Math.round(from[0] + t * (to[0] - from[0])),
                (int) Math.round(from[1] + t * (to[1] - from[1])),
                (int) Math.round(from[2] + t * (to[2] - from[2])));
    }

    private static int rgb(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }

    private static void fill(BufferedImage image, int cellX, int cellY, int scale, int colour) {
        for (int dy = 0; dy < scale; dy++) {
            for (int dx = 0; dx < scale; dx++) {
                image.setRGB(cellX * scale + dx, cellY * scale + dy, colour);
            }
        }
    }
}
