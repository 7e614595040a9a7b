package io.odecast.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Map outlines (coastlines, borders) as rings of longitude/latitude points, read from an ESRI shapefile's
 * {@code .shp} (polygon and polyline records; the format is a fixed binary layout, so no GIS library is needed).
 * The US state outlines of {@code libncarg-data} ({@code data/shp/states.shp}) are drawn over the strips of grids
 * that have latitudes and longitudes.
 *
 * @param rings each ring as {@code lon0, lat0, lon1, lat1, ...}
 */
public record Outlines(List<double[]> rings) {
    private static final int FILE_CODE = 9994;
    private static final int POLYLINE = 3;
    private static final int POLYGON = 5;

    /** Copies the list. */
    public Outlines {
        rings = List.copyOf(rings);
    }

    /** The US state outlines shipped by libncarg-data, when installed ({@code scripts/fetch-data.sh}); read once. */
    public static Optional<Outlines> usStates() {
        return UsStates.OUTLINES;
    }

    /** Read on first use, then shared: every strip of an evaluation draws the same outlines. */
    private static final class UsStates {
        static final Optional<Outlines> OUTLINES = read();
    }

    private static Optional<Outlines> read() {
        for (Path p : List.of(Path.of("data/shp/states.shp"), Path.of("/usr/share/ncarg/data/shp/states.shp"))) {
            if (Files.isRegularFile(p)) {
                try {
                    return Optional.of(readShapefile(p));
                } catch (IOException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Reads the rings of every polygon and polyline record of {@code shp}; other record types are skipped.
     *
     * @throws DataSourceException naming the file when it is not a shapefile or a record is cut short
     */
    public static Outlines readShapefile(Path shp) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(shp));
        if (b.remaining() < 100 || b.order(ByteOrder.BIG_ENDIAN).getInt(0) != FILE_CODE) {
            throw new DataSourceException(shp, "not an ESRI shapefile (.shp): no file code 9994 in its header");
        }
        List<double[]> rings = new ArrayList<>();
        int pos = 100;
        try {
            while (pos + 8 <= b.limit()) {
                int length = b.order(ByteOrder.BIG_ENDIAN).getInt(pos + 4) * 2;
                int content = pos + 8;
                b.order(ByteOrder.LITTLE_ENDIAN);
                int type = b.getInt(content);
                if (type == POLYGON || type == POLYLINE) {
                    int parts = b.getInt(content + 36);
                    int points = b.getInt(content + 40);
                    int first = content + 44 + 4 * parts;
                    for (int k = 0; k < parts; k++) {
                        int from = b.getInt(content + 44 + 4 * k);
                        int to = k + 1 < parts ? b.getInt(content + 44 + 4 * (k + 1)) : points;
                        double[] ring = new double[2 * (to - from)];
                        for (int i = from; i < to; i++) {
                            ring[2 * (i - from)] = b.getDouble(first + 16 * i);
                            ring[2 * (i - from) + 1] = b.getDouble(first + 16 * i + 8);
                        }
                        rings.add(ring);
                    }
                }
                pos = content + length;
            }
        } catch (IndexOutOfBoundsException e) {
            throw new DataSourceException(shp, "record at byte " + pos + " is cut short", e);
        }
        return new Outlines(rings);
    }
}
