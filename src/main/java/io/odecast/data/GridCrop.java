package io.odecast.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A rectangle of grid cells, rows {@code [row0, row1)} and columns {@code [col0, col1)}, cut out of every frame
 * of a sequence, so that a model can be trained on a region of a larger grid. On a grid that goes round the globe
 * the columns may run past its last one and on from its first ({@code col1} up to {@code col0 + width}; only
 * {@link #ofLatLon} or cell indices on such a grid): a box across the grid's longitude seam stays one block.
 *
 * @param row0 first row kept
 * @param row1 one past the last row kept
 * @param col0 first column kept
 * @param col1 one past the last column kept, modulo the grid's width when the crop crosses the seam
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
     * The cells of {@code sequence} whose centres lie within latitudes {@code [lat0, lat1]} (either order) and the
     * longitudes east of {@code lon0} up to {@code lon1} (compared modulo 360: {@code 170:-170} is the 20 degrees
     * across the date line). On a grid round the globe the box may cross the grid's seam.
     *
     * @throws IllegalArgumentException if the sequence has no 1-D lat/lon axes, no cell lies in the box, or the box
     *                                  selects two separate column ranges of a regional grid
     */
    public static GridCrop ofLatLon(FrameSequence sequence, double lat0, double lat1, double lon0, double lon1) {
        if (sequence.lat() == null || sequence.lon() == null) {
            throw new IllegalArgumentException(sequence.name() + " has no 1-D latitude/longitude axes to crop by;"
                    + " crop by cells instead");
        }
        double[] lat = sequence.lat();
        double[] lon = sequence.lon();
        int[] rows = run(lat, i -> lat[i] >= Math.min(lat0, lat1) && lat[i] <= Math.max(lat0, lat1), false);
        int[] cols = run(lon, i -> inLongitudes(lon[i], lon0, lon1), global(lon));
        if (rows == null || cols == null) {
            throw new IllegalArgumentException(sequence.name() + " has no cell in latitudes " + lat0 + ".." + lat1
                    + " and longitudes " + lon0 + ".." + lon1 + " (grid spans latitudes " + span(lat)
                    + ", longitudes " + span(lon) + ")");
        }
        if (rows.length == 0) {
            throw new IllegalArgumentException("latitudes " + lat0 + ".." + lat1 + " select separate row ranges of "
                    + sequence.name() + ", whose latitude axis is not monotonic");
        }
        if (cols.length == 0) {
            throw new IllegalArgumentException("longitudes " + lon0 + ".." + lon1 + " (east from " + lon0 + " to "
                    + lon1 + ") select two separate column ranges of " + sequence.name() + ", whose longitudes span "
                    + span(lon) + "; give the western edge first");
        }
        return new GridCrop(rows[0], rows[1], cols[0], cols[1]);
    }

    /** {@code sequence} cut to this rectangle, with its lat/lon axes. */
    public FrameSequence apply(FrameSequence sequence) {
        GridShape from = sequence.shape();
        if (row1 > from.height() || col1 - col0 > from.width() || col0 >= from.width()
                || col1 > from.width() && (sequence.lon() == null || !global(sequence.lon()))) {
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
                    // one copy, or two when the columns cross the seam of a grid round the globe
                    for (int x = 0; x < to.width(); ) {
                        int col = (col0 + x) % from.width();
                        int n = Math.min(to.width() - x, from.width() - col);
                        int src = from.index(c, row0 + y, col);
                        int dst = to.index(c, y, x);
                        System.arraycopy(f.data(), src, data, dst, n);
                        if (valid != null) {
                            System.arraycopy(f.valid(), src, valid, dst, n);
                        }
                        x += n;
                    }
                }
            }
            frames.add(new TimedFrame(f.time(), f.channels(), to, data, valid, f.missing()));
        }
        double[] lat = sequence.lat() == null ? null : Arrays.copyOfRange(sequence.lat(), row0, row1);
        double[] lon = sequence.lon() == null ? null : columns(sequence.lon());
        return new FrameSequence(sequence.name(), sequence.channels(), to, frames, lat, lon, sequence.units(),
                sequence.fillValue(), sequence.nominalStep());
    }

    /**
     * The longitudes of the kept columns. Across the seam they keep increasing (350, 357.5, 360, 362.5 ...), shifted
     * by whole turns so that their middle lies in (-180, 180]: a box of -10..30 on a 0..357.5 grid reads -10..30.
     */
    private double[] columns(double[] lon) {
        double[] out = new double[col1 - col0];
        for (int x = 0; x < out.length; x++) {
            int col = (col0 + x) % lon.length;
            out[x] = lon[col] + 360.0 * ((col0 + x) / lon.length);
        }
        if (col1 > lon.length) {
            double middle = (out[0] + out[out.length - 1]) / 2;
            double shift = -360.0 * Math.floor((middle + 180) / 360);
            if (middle + shift <= -180) {
                shift += 360;
            }
            for (int x = 0; x < out.length; x++) {
                out[x] += shift;
            }
        }
        return out;
    }

    /**
     * First and one-past-last index of the one run of indices where {@code in} holds, or null for none. With
     * {@code wraps} the run may go past the end and on from index 0 (then the second index exceeds the length);
     * an empty array when the indices form more than one run.
     */
    private static int[] run(double[] axis, java.util.function.IntPredicate in, boolean wraps) {
        int n = axis.length;
        int count = 0;
        int starts = 0;
        int start = -1;
        for (int i = 0; i < n; i++) {
            if (in.test(i)) {
                count++;
                boolean before = i > 0 ? in.test(i - 1) : wraps && in.test(n - 1);
                if (!before) {
                    starts++;
                    start = i;
                }
            }
        }
        if (count == 0) {
            return null;
        }
        if (count == n) {
            return new int[] {0, n};
        }
        return starts == 1 ? new int[] {start, start + count} : new int[0];
    }

    /** Whether a longitude axis goes round the globe: its cells, one spacing each, cover 360 degrees. */
    private static boolean global(double[] lon) {
        if (lon.length < 2) {
            return false;
        }
        double spacing = Math.abs(lon[1] - lon[0]);
        return Math.abs(spacing * lon.length - 360) < spacing / 2;
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
