package io.odecast.render;

import io.odecast.kafka.ForecastMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import ucar.ma2.Array;
import ucar.ma2.ArrayDouble;
import ucar.ma2.ArrayFloat;
import ucar.ma2.DataType;
import ucar.ma2.InvalidRangeException;
import ucar.nc2.Attribute;
import ucar.nc2.Dimension;
import ucar.nc2.NetcdfFileWriter;
import ucar.nc2.Variable;

/**
 * Writes the forecasts of one stream to a CF-1.8 netCDF-3 file (64-bit offsets).
 *
 * <p>Dimensions {@code reftime} (one per forecast), {@code lead}, and {@code lat}/{@code lon} when a
 * {@link LatLonGrid} is given, else {@code y}/{@code x} (plain indices). Variables: {@code reftime}
 * (forecast_reference_time), {@code lead} (forecast_period, in seconds), {@code time(reftime, lead)} (the valid
 * times), the axes, and one {@code float channel(reftime, lead, lat, lon)} per channel with a
 * {@code standard_name} where the channel is known (u, v, sea-level pressure), units, {@code _FillValue}
 * (written for invalid cells and for leads a forecast lacks) and {@code coordinates = "time"}.
 */
public final class CfNetcdfWriter {
    /** netCDF's default fill for floats. */
    public static final float FILL_VALUE = 9.96921e36f;
    /** CF units of every time variable. */
    public static final String TIME_UNITS = "seconds since 1970-01-01 00:00:00";

    private static final Map<String, String> STANDARD_NAMES = Map.ofEntries(
            Map.entry("u", "eastward_wind"), Map.entry("ua", "eastward_wind"), Map.entry("uwnd", "eastward_wind"),
            Map.entry("u10", "eastward_wind"), Map.entry("u500", "eastward_wind"), Map.entry("u850", "eastward_wind"),
            Map.entry("v", "northward_wind"), Map.entry("va", "northward_wind"), Map.entry("vwnd", "northward_wind"),
            Map.entry("v10", "northward_wind"), Map.entry("v500", "northward_wind"),
            Map.entry("v850", "northward_wind"),
            Map.entry("p", "air_pressure_at_mean_sea_level"), Map.entry("psl", "air_pressure_at_mean_sea_level"),
            Map.entry("slp", "air_pressure_at_mean_sea_level"), Map.entry("mslp", "air_pressure_at_mean_sea_level"),
            Map.entry("msl", "air_pressure_at_mean_sea_level"), Map.entry("prmsl", "air_pressure_at_mean_sea_level"));

    private final LatLonGrid grid;

    /** A writer; {@code grid} may be {@code null} for grids without geographic axes (video). */
    public CfNetcdfWriter(LatLonGrid grid) {
        this.grid = grid;
    }

    /** The CF standard name of a channel, or {@code null} when the channel is not a known quantity. */
    public static String standardName(String channel) {
        return STANDARD_NAMES.get(channel.toLowerCase(Locale.ROOT));
    }

    /**
     * Writes {@code forecasts} (one stream, same channels and shape, in base-time order) to {@code file},
     * replacing it.
     *
     * @throws IllegalArgumentException when the list is empty or the forecasts disagree on channels or shape
     */
    public void write(Path file, List<ForecastMessage> forecasts) throws IOException {
        if (forecasts.isEmpty()) {
            throw new IllegalArgumentException("no forecast to write to " + file);
        }
        ForecastMessage first = forecasts.get(0);
        ForecastMessage longest = first;
        for (ForecastMessage f : forecasts) {
            if (!f.shape().equals(first.shape())
                    || !f.channels().equals(first.channels())) {
                throw new IllegalArgumentException("stream " + first.streamId() + ": forecast at " + f.basedOnTime()
                        + " has " + f.channels() + " " + f.shape() + " but the one at "
                        + first.basedOnTime() + " has " + first.channels() + " " + first.shape());
            }
            if (f.leads().size() > longest.leads().size()) {
                longest = f;
            }
        }
        int nr = forecasts.size();
        int nl = Math.max(1, longest.leads().size());
        int h = first.shape().height();
        int w = first.shape().width();
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(file);
        NetcdfFileWriter out = NetcdfFileWriter.createNew(NetcdfFileWriter.Version.netcdf3, file.toString());
        try {
            out.setLargeFile(true);
            String yName = grid == null ? "y" : "lat";
            String xName = grid == null ? "x" : "lon";
            Dimension rDim = out.addDimension(null, "reftime", nr);
            Dimension lDim = out.addDimension(null, "lead", nl);
            Dimension yDim = out.addDimension(null, yName, h);
            Dimension xDim = out.addDimension(null, xName, w);

            Variable reftime = out.addVariable(null, "reftime", DataType.DOUBLE, List.of(rDim));
            attributes(out, reftime, "standard_name", "forecast_reference_time", "long_name",
                    "time of the last observation the forecast is based on", "units", TIME_UNITS,
                    "calendar", "standard");
            Variable lead = out.addVariable(null, "lead", DataType.DOUBLE, List.of(lDim));
            attributes(out, lead, "standard_name", "forecast_period", "long_name", "lead time", "units", "s");
            Variable time = out.addVariable(null, "time", DataType.DOUBLE, List.of(rDim, lDim));
            attributes(out, time, "standard_name", "time", "long_name", "valid time", "units", TIME_UNITS,
                    "calendar", "standard");
            out.addVariableAttribute(time, new Attribute("_FillValue", Double.valueOf(FILL_VALUE)));
            Variable yVar = out.addVariable(null, yName, DataType.DOUBLE, List.of(yDim));
            Variable xVar = out.addVariable(null, xName, DataType.DOUBLE, List.of(xDim));
            if (grid == null) {
                attributes(out, yVar, "long_name", "row index", "units", "1");
                attributes(out, xVar, "long_name", "column index", "units", "1");
            } else {
                attributes(out, yVar, "standard_name", "latitude", "long_name", "latitude", "units",
                        "degrees_north");
                attributes(out, xVar, "standard_name", "longitude", "long_name", "longitude", "units",
                        "degrees_east");
            }
            List<Variable> channels = new ArrayList<>();
            Set<String> used = new HashSet<>(Set.of("reftime", "lead", "time", yName, xName));
            for (int c = 0; c < first.shape().channels(); c++) {
                String channel = first.channels().get(c);
                Variable v = out.addVariable(null, variableName(channel, used), DataType.FLOAT,
                        List.of(rDim, lDim, yDim, xDim));
                String standard = standardName(channel);
                if (standard != null) {
                    attributes(out, v, "standard_name", standard);
                }
                attributes(out, v, "long_name", standard == null ? channel : standard.replace('_', ' '));
                String units = first.unit(c);
                if (!units.isBlank()) {
                    attributes(out, v, "units", units);
                }
                out.addVariableAttribute(v, new Attribute("_FillValue", Float.valueOf(FILL_VALUE)));
                attributes(out, v, "coordinates", "time", "odecast_channel", channel);
                channels.add(v);
            }
            out.addGroupAttribute(null, new Attribute("Conventions", "CF-1.8"));
            out.addGroupAttribute(null, new Attribute("title", "odecast forecasts of stream " + first.streamId()));
            out.addGroupAttribute(null, new Attribute("source", "odecast " + first.modelName() + " "
                    + first.modelVersion()));
            out.addGroupAttribute(null, new Attribute("history", Instant.now() + " written by odecast render"));
            out.addGroupAttribute(null, new Attribute("odecast_stream_id", first.streamId()));
            out.create();

            out.write(reftime, doubles(forecasts.stream().mapToDouble(f -> seconds(f.basedOnTime())).toArray()));
            out.write(lead, doubles(longest.leads().isEmpty() ? new double[] {0}
                    : longest.leads().stream().mapToDouble(l -> l.lead().toNanos() / 1e9).toArray()));
            out.write(yVar, doubles(grid == null ? indices(h) : grid.latitudes(h)));
            out.write(xVar, doubles(grid == null ? indices(w) : grid.longitudes(w)));
            ArrayDouble.D2 times = new ArrayDouble.D2(nr, nl);
            for (int r = 0; r < nr; r++) {
                List<ForecastMessage.Lead> leads = forecasts.get(r).leads();
                for (int l = 0; l < nl; l++) {
                    times.set(r, l, l < leads.size() ? seconds(leads.get(l).validTime()) : FILL_VALUE);
                }
            }
            out.write(time, times);
            int plane = h * w;
            for (int c = 0; c < channels.size(); c++) {
                for (int r = 0; r < nr; r++) {
                    List<ForecastMessage.Lead> leads = forecasts.get(r).leads();
                    ArrayFloat.D4 block = new ArrayFloat.D4(1, nl, h, w);
                    float[] storage = (float[]) block.getStorage();
                    for (int l = 0; l < nl; l++) {
                        for (int i = 0; i < plane; i++) {
                            int cell = c * plane + i;
                            boolean ok = l < leads.size() && leads.get(l).valid()[cell];
                            storage[l * plane + i] = ok ? leads.get(l).data()[cell] : FILL_VALUE;
                        }
                    }
                    out.write(channels.get(c), new int[] {r, 0, 0, 0}, block);
                }
            }
        } catch (InvalidRangeException e) {
            throw new IOException("writing " + file + ": " + e.getMessage(), e);
        } finally {
            out.close();
        }
    }

    /** Seconds since the epoch, with the fraction. */
    static double seconds(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }

    private static String variableName(String channel, Set<String> used) {
        String name = channel.replaceAll("[^A-Za-z0-9_]", "_");
        if (name.isEmpty() || !Character.isLetter(name.charAt(0))) {
            name = "ch_" + name;
        }
        while (!used.add(name)) {
            name = name + "_";
        }
        return name;
    }

    private static void attributes(NetcdfFileWriter out, Variable v, String... keyValues) {
        for (int i = 0; i < keyValues.length; i += 2) {
            out.addVariableAttribute(v, new Attribute(keyValues[i], keyValues[i + 1]));
        }
    }

    private static Array doubles(double[] values) {
        return Array.factory(DataType.DOUBLE, new int[] {values.length}, values);
    }

    private static double[] indices(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }
}
