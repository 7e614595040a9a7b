package io.odecast.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A rectangle of grid cells, rows {@code [row0, row1)} and columns {@code [col0, col1)}, cut out of every frame
 * of a sequence, so that a model can be trained on a region of a larger grid.
 *
 * @param row0 first row kept
 * @param row1 one past the last row kept
 * @param col0 first column kept
 * @param col1 one past the last column kept
 */
public record GridCrop(int row0, int row1, int col0, int col1) {

    /** Checks that the rectangle is not empty. */
    public GridCrop {
        if (row0 < 0 || col0 < 0 || row1 <= row0 || col1 <= col0) {
            throw new IllegalArgumentException("empty or negative crop rows " + row0 + ".." + row1 + ", columns "
                    + col0 + ".." + col1);
        }
    }

    /**
     * The cells of {@code sequence} whose centres lie within latitudes {@code [lat0, lat1]} and longitudes
     * {@code [lon0, lon1]} (either order; longitudes compared modulo 360).
     *
     * @throws IllegalArgumentException if the sequence has no 1-D lat/lon axes or no cell lies in the box
     */
    public static GridCrop ofLatLon(FrameSequence sequence, double lat0, double lat1, double lon0, double lon1) {
        if (sequence.lat() == null || sequence.lon() == null) {
            throw new IllegalArgumentException(sequence.name() + " has no 1-D latitude/longitude axes to crop by;"
                    + " crop by cells instead");
        }
        int[] rows = inside(sequence.lat(), Math.min(lat0, lat1), Math.max(lat0, lat1), false);
        int[] cols = inside(sequence.lon(), lon0, lon1, true);
        if (rows == null || cols == null) {
            throw new IllegalArgumentException(sequence.name() + " has no cell in latitudes " + lat0 + ".." + lat1
                    + " and longitudes " + lon0 + ".." + lon1 + " (grid spans latitudes " + span(sequence.lat())
                    + ", longitudes " + span(sequence.lon()) + ")");
        }
        return new GridCrop(rows[0], rows[1], cols[0], cols[1]);
    }

    /** {@code sequence} cut to this rectangle, with its lat/lon axes. */
    public FrameSequence apply(FrameSequence sequence) {
        GridShape from = sequence.shape();
        if (row1 > from.height() || col1 > from.width()) {
            throw new IllegalArgumentException("crop rows " + row0 + ".." + row1 + ", columns " + col0 + ".." + col1
                    + " exceeds the " + from.height() + " x " + from.width() + " grid of " + sequence.name());
        }
        GridShape to = new GridShape(from.channels(), row1 - row0, col1 - col0);
        List<TimedFrame> frames = new ArrayList<>(sequence.size());
        for (TimedFrame f : sequence.frames()) {
            float[] data = new float[to.size()];
            boolean[] valid = f.valid() == null ? null : new boolean[to.size()];
            for (int c = 0; c < to.channels(); c++) {
                for (int y = 0; y < to.height(); y++) {
                    int src = from.index(c, row0 + y, col0);
                    int dst = to.index(c, y, 0);
                    System.arraycopy(f.data(), src, data, dst, to.width());
                    if (valid != null) {
                        System.arraycopy(f.valid(), src, valid, dst, to.width());
                    }
                }
            }
            frames.add(new TimedFrame(f.time(), f.channels(), to, data, valid, f.missing()));
        }
        double[] lat = sequence.lat() == null ? null : Arrays.copyOfRange(sequence.lat(), row0, row1);
        double[] lon = sequence.lon() == null ? null : Arrays.copyOfRange(sequence.lon(), col0, col1);
        return new FrameSequence(sequence.name(), sequence.channels(), to, frames, lat, lon, sequence.units(),
                sequence.fillValue(), sequence.nominalStep());
    }

    /** First and one-past-last index of the contiguous run of {@code axis} values in the range, or null. */
    private static int[] inside(double[] axis, double lo, double hi, boolean longitude) {
        int first = -1;
        int last = -1;
        for (int i = 0; i < axis.length; i++) {
            boolean in = longitude ? inLongitudes(axis[i], lo, hi) : axis[i] >= lo && axis[i] <= hi;
            if (in) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        return first < 0 ? null : new int[] {first, last + 1};
    }

    private static boolean inLongitudes(double lon, double from, double to) {
        double width = ((to - from) % 360 + 360) % 360;
        double offset = ((lon - from) % 360 + 360) % 360;
        return offset <= width + 1e-9;
    }

    private static String span(double[] axis) {
        return axis[0] + ".." + axis[axis.length - 1];
    }
}
