package io.odecast.eval;

import io.odecast.data.GridShape;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A labelled PNG contact sheet of one forecast (or one filled gap), a block per channel. Columns are times (labelled,
 * e.g. {@code t-18h .. t0, +6h .. +24h}); rows are labelled too: what was observed (inputs, then the truth at the
 * forecast times), each system's frames, and |model - truth|. Every value row of a channel shares one colour scale,
 * drawn as a colour bar with its range and the channel's unit; the error row has its own bar from 0. Cells invalid in
 * the truth are magenta; a row without a frame at a time leaves that tile dark.
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

    /**
     * One labelled row: a frame (C x H x W) per column, or null where the row has nothing at that time.
     *
     * @param error whether the row holds absolute errors (drawn on its own scale from 0)
     */
    public record Row(String label, List<float[]> frames, boolean error) {
        /** Copies the list (null entries allowed). */
        public Row {
            frames = java.util.Collections.unmodifiableList(new ArrayList<>(frames));
        }
    }

    /**
     * Where a regular latitude/longitude grid lies, and the outlines to draw over it.
     *
     * @param lat0 latitude of row 0's centre
     * @param dlat latitude step between rows
     * @param lon0 longitude of column 0's centre (the outlines' convention, -180..180)
     * @param dlon longitude step between columns
     */
    public record Geography(double lat0, double dlat, double lon0, double dlon, io.odecast.data.Outlines outlines) {
    }

    /**
     * What the tiles are.
     *
     * @param channels channel names, one per channel
     * @param units    one per channel ({@code ""} when unknown), or empty
     * @param maps     one colour map per channel
     * @param scale    pixels per cell side, at least 1
     * @param northUp  draw the last grid row at the top (rows in increasing latitude)
     */
    public record Layout(GridShape shape, List<String> channels, List<String> units, List<ColourMap> maps, int scale,
                         boolean northUp, Geography geography) {

        /** A layout without geography. */
        public Layout(GridShape shape, List<String> channels, List<String> units, List<ColourMap> maps, int scale,
                      boolean northUp) {
            this(shape, channels, units, maps, scale, northUp, null);
        }

        /** Checks that there is a name and a map per channel. */
        public Layout {
            if (channels.size() != shape.channels() || maps.size() != shape.channels()
                    || !units.isEmpty() && units.size() != shape.channels()) {
                throw new IllegalArgumentException("need a name, a colour map and a unit (or none) per channel of "
                        + shape + ": got " + channels.size() + ", " + maps.size() + " and " + units.size());
            }
            if (scale < 1) {
                throw new IllegalArgumentException("scale must be at least 1, got " + scale);
            }
        }
    }

    private static final int BACKGROUND = 0x202020;
    private static final int PAPER = 0xFFFFFF;
    private static final int INVALID = 0xFF00FF;
    private static final Color OUTLINE = new Color(0x303030);
    private static final int[] BLUE = {59, 76, 192};
    private static final int[] WHITE = {255, 255, 255};
    private static final int[] RED = {180, 4, 38};
    private static final int LABEL_WIDTH = 150;
    private static final int HEADER = 22;
    private static final int GAP = 3;
    private static final int BAR_WIDTH = 16;
    private static final int BAR_TEXT = 90;

    private PngStrip() {
    }

    /**
     * Writes the sheet to {@code file}.
     *
     * @param title       the line above the sheet (model, data, origin)
     * @param columns     column labels, one per time
     * @param rows        labelled rows, each with one entry per column
     * @param columnValid validity of the truth per column (null entries, or a null list: all valid)
     */
    public static void write(Path file, String title, Layout layout, List<String> columns, List<Row> rows,
                             List<boolean[]> columnValid) throws IOException {
        for (Row r : rows) {
            if (r.frames().size() != columns.size()) {
                throw new IllegalArgumentException("row " + r.label() + " has " + r.frames().size() + " frames for "
                        + columns.size() + " columns");
            }
        }
        GridShape shape = layout.shape();
        int tileW = shape.width() * layout.scale();
        int tileH = shape.height() * layout.scale();
        int blockH = HEADER + rows.size() * (tileH + GAP);
        int width = LABEL_WIDTH + columns.size() * (tileW + GAP) + BAR_WIDTH + BAR_TEXT;
        int height = HEADER + shape.channels() * (blockH + HEADER);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new Color(PAPER));
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, 6, 16);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int c = 0; c < shape.channels(); c++) {
            int top = HEADER + c * (blockH + HEADER);
            ColourMap map = layout.maps().get(c);
            String unit = layout.units().isEmpty() ? "" : layout.units().get(c);
            double[] range = valueRange(shape, c, map, rows, columnValid);
            double maxError = maxError(shape, c, rows, columnValid);
            g.setColor(Color.BLACK);
            g.drawString(layout.channels().get(c) + (unit.isEmpty() ? "" : " (" + unit + ")"), 6, top + 15);
            if (layout.geography() != null) {
                Geography geo = layout.geography();
                g.drawString(String.format(Locale.ROOT, "lat %.4g..%.4g, lon %.4g..%.4g", geo.lat0(),
                        geo.lat0() + geo.dlat() * (shape.height() - 1), geo.lon0(),
                        geo.lon0() + geo.dlon() * (shape.width() - 1)), 6, top + HEADER + rows.size() * (tileH + GAP) + 12);
            }
            for (int col = 0; col < columns.size(); col++) {
                g.drawString(columns.get(col), LABEL_WIDTH + col * (tileW + GAP) + 2, top + 15);
            }
            for (int r = 0; r < rows.size(); r++) {
                Row row = rows.get(r);
                int y0 = top + HEADER + r * (tileH + GAP);
                g.setColor(Color.BLACK);
                g.drawString(row.label(), 6, y0 + Math.min(tileH, 14) + 2);
                for (int col = 0; col < columns.size(); col++) {
                    float[] frame = row.frames().get(col);
                    boolean[] mask = columnValid == null ? null : columnValid.get(col);
                    tile(image, LABEL_WIDTH + col * (tileW + GAP), y0, layout, c, frame, mask, row.error()
                            ? v -> errorColour(v, map, maxError) : v -> valueColour((float) v, map, range));
                    if (frame != null && layout.geography() != null) {
                        outlines(g, LABEL_WIDTH + col * (tileW + GAP), y0, layout);
                    }
                }
            }
            int barX = LABEL_WIDTH + columns.size() * (tileW + GAP) + 4;
            int barTop = top + HEADER;
            int valueRows = (int) rows.stream().filter(r -> !r.error()).count();
            int barH = Math.max(20, valueRows * (tileH + GAP) - GAP);
            colourBar(g, image, barX, barTop, barH, v -> map.colour(v, range[0], range[1]), range[0], range[1], unit);
            if (valueRows < rows.size()) {
                int errTop = barTop + valueRows * (tileH + GAP);
                int errH = Math.max(20, (rows.size() - valueRows) * (tileH + GAP) - GAP);
                colourBar(g, image, barX, errTop, errH, v -> errorColour(v, map, maxError), 0, maxError, unit);
            }
        }
        g.dispose();
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available to write " + file);
        }
    }

    private static void tile(BufferedImage image, int x0, int y0, Layout layout, int c, float[] frame, boolean[] mask,
                             java.util.function.DoubleToIntFunction colour) {
        GridShape shape = layout.shape();
        int s = layout.scale();
        for (int y = 0; y < shape.height(); y++) {
            int row = layout.northUp() ? shape.height() - 1 - y : y;
            for (int x = 0; x < shape.width(); x++) {
                int i = shape.index(c, row, x);
                int rgb = frame == null ? BACKGROUND : mask != null && !mask[i] ? INVALID : colour.applyAsInt(frame[i]);
                for (int dy = 0; dy < s; dy++) {
                    for (int dx = 0; dx < s; dx++) {
                        image.setRGB(x0 + x * s + dx, y0 + y * s + dy, rgb);
                    }
                }
            }
        }
    }

    /** Draws the outlines over one tile, clipped to it; a cell's centre is at the middle of its block. */
    private static void outlines(Graphics2D g, int x0, int y0, Layout layout) {
        Geography geo = layout.geography();
        GridShape shape = layout.shape();
        int s = layout.scale();
        java.awt.Shape clip = g.getClip();
        g.setClip(x0, y0, shape.width() * s, shape.height() * s);
        g.setColor(OUTLINE);
        for (double[] ring : geo.outlines().rings()) {
            for (int i = 2; i + 1 < ring.length; i += 2) {
                double cx0 = (ring[i - 2] - geo.lon0()) / geo.dlon();
                double cy0 = (ring[i - 1] - geo.lat0()) / geo.dlat();
                double cx1 = (ring[i] - geo.lon0()) / geo.dlon();
                double cy1 = (ring[i + 1] - geo.lat0()) / geo.dlat();
                g.drawLine(x0 + px(cx0, s), y0 + py(cy0, s, shape, layout.northUp()),
                        x0 + px(cx1, s), y0 + py(cy1, s, shape, layout.northUp()));
            }
        }
        g.setClip(clip);
    }

    private static int px(double column, int scale) {
        return (int) Math.round((column + 0.5) * scale);
    }

    private static int py(double row, int scale, GridShape shape, boolean northUp) {
        double r = northUp ? shape.height() - 1 - row : row;
        return (int) Math.round((r + 0.5) * scale);
    }

    private static void colourBar(Graphics2D g, BufferedImage image, int x, int top, int h,
                                  java.util.function.DoubleToIntFunction colour, double lo, double hi, String unit) {
        for (int y = 0; y < h; y++) {
            double v = hi - (hi - lo) * y / Math.max(1, h - 1);
            int rgb = colour.applyAsInt(v);
            for (int dx = 0; dx < BAR_WIDTH; dx++) {
                image.setRGB(x + dx, top + y, rgb);
            }
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1));
        g.drawRect(x, top, BAR_WIDTH - 1, h - 1);
        String u = unit.isEmpty() ? "" : " " + unit;
        g.drawString(number(hi) + u, x + BAR_WIDTH + 3, top + 11);
        g.drawString(number(lo) + u, x + BAR_WIDTH + 3, top + h);
    }

    private static String number(double v) {
        return Math.abs(v) >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.3g", v);
    }

    private static double[] valueRange(GridShape shape, int c, ColourMap map, List<Row> rows, List<boolean[]> valid) {
        if (map == ColourMap.GREY) {
            return new double[] {0, 1};
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int plane = shape.planeSize();
        // The observed row (the first) sets the scale, so that systems are judged against what happened.
        for (Row r : rows.isEmpty() ? List.<Row>of() : rows.subList(0, 1)) {
            for (int col = 0; col < r.frames().size(); col++) {
                float[] f = r.frames().get(col);
                boolean[] mask = valid == null ? null : valid.get(col);
                for (int i = c * plane; f != null && i < (c + 1) * plane; i++) {
                    if ((mask == null || mask[i]) && Float.isFinite(f[i])) {
                        lo = Math.min(lo, f[i]);
                        hi = Math.max(hi, f[i]);
                    }
                }
            }
        }
        return lo < hi ? new double[] {lo, hi} : lo == hi ? new double[] {lo - 1, hi + 1} : new double[] {0, 1};
    }

    private static double maxError(GridShape shape, int c, List<Row> rows, List<boolean[]> valid) {
        double max = 0;
        int plane = shape.planeSize();
        for (Row r : rows) {
            for (int col = 0; r.error() && col < r.frames().size(); col++) {
                float[] f = r.frames().get(col);
                boolean[] mask = valid == null ? null : valid.get(col);
                for (int i = c * plane; f != null && i < (c + 1) * plane; i++) {
                    if ((mask == null || mask[i]) && Float.isFinite(f[i])) {
                        max = Math.max(max, f[i]);
                    }
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
}
