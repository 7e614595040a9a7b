package io.odecast.render;

/**
 * A regular latitude-longitude grid: row {@code i} at {@code lat0 + i * dlat}, column {@code j} at
 * {@code lon0 + j * dlon} (the NCAR storm: 20, 1.25, -140, 2.5).
 */
public record LatLonGrid(double lat0, double dlat, double lon0, double dlon) {

    /** Checks that the values are finite and the steps non-zero. */
    public LatLonGrid {
        if (!Double.isFinite(lat0) || !Double.isFinite(lon0) || !Double.isFinite(dlat) || !Double.isFinite(dlon)
                || dlat == 0 || dlon == 0) {
            throw new IllegalArgumentException("grid needs finite origins and non-zero steps, got lat " + lat0
                    + " step " + dlat + ", lon " + lon0 + " step " + dlon);
        }
    }

    /**
     * Parses {@code lat0:dlat:lon0:dlon}.
     *
     * @throws IllegalArgumentException naming the expected form
     */
    public static LatLonGrid parse(String text) {
        String[] p = text.split(":");
        if (p.length != 4) {
            throw new IllegalArgumentException("grid '" + text + "' is not lat0:dlat:lon0:dlon, e.g. 20:1.25:-140:2.5");
        }
        try {
            return new LatLonGrid(Double.parseDouble(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]),
                    Double.parseDouble(p[3]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("grid '" + text + "' is not four numbers lat0:dlat:lon0:dlon");
        }
    }

    /** Latitudes of {@code rows} rows. */
    public double[] latitudes(int rows) {
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = lat0 + i * dlat;
        }
        return out;
    }

    /** Longitudes of {@code columns} columns. */
    public double[] longitudes(int columns) {
        double[] out = new double[columns];
        for (int j = 0; j < columns; j++) {
            out[j] = lon0 + j * dlon;
        }
        return out;
    }
}
