package io.odecast.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

import ucar.ma2.Array;
import ucar.ma2.IndexIterator;
import ucar.ma2.InvalidRangeException;
import ucar.nc2.Attribute;
import ucar.nc2.Dimension;
import ucar.nc2.Group;
import ucar.nc2.Variable;
import ucar.nc2.constants.AxisType;
import ucar.nc2.dataset.CoordinateAxis;
import ucar.nc2.dataset.NetcdfDataset;
import ucar.nc2.dataset.VariableDS;
import ucar.nc2.time.CalendarDateUnit;

/**
 * Reads gridded variables from NetCDF (and, through the same {@link NetcdfDataset#openDataset} path, GRIB)
 * files into a {@link FrameSequence}, one channel per variable.
 *
 * <p>Each variable is {@code (time, y, x)} or {@code (time, level, y, x)}; its first dimension is time. Variables
 * may come from different files and are aligned on their times: a channel absent at some time is invalid
 * there. Fill values ({@code _FillValue}, {@code missing_value}) and NaN become invalid cells, and a frame
 * with no valid cell is flagged {@link TimedFrame#missing() missing}. Times come from the time coordinate's CF
 * units ({@code "hours since 1996-01-05 00:00"}) or, when the file has none (the NCAR storm files only hold
 * hour offsets), from a {@link TimeOverride}. A GRIB file with several reference times (a sequence of analyses
 * or forecasts concatenated) is read through NetCDF-Java's "Best" time series: valid time = reference time +
 * forecast time. A variable is found by its full name or, in any group (preferring {@code Best}), by its short
 * name; its coordinates (time, level, lat/lon) are looked up in its own group.
 *
 * <pre>{@code
 * FrameSequence storm = NetcdfFrameReader.builder()
 *         .variable(VariableSpec.of(dir.resolve("Ustorm.cdf"), "u"))
 *         .variable(VariableSpec.of(dir.resolve("Pstorm.cdf"), "p").scaled(0.01, "hPa"))
 *         .timeOverride(TimeOverride.offsets(Instant.parse("1996-01-05T00:00:00Z"), Duration.ofHours(1)))
 *         .build()
 *         .read("storm");
 * }</pre>
 */
public final class NetcdfFrameReader {

    /**
     * One variable to read as one channel.
     *
     * @param file     NetCDF or GRIB file
     * @param variable variable name in the file
     * @param channel  channel name in the sequence (defaults to the variable name)
     * @param scale    factor applied to the (already CF-unpacked) values, e.g. 0.01 for Pa to hPa
     * @param offset   added after scaling
     * @param units    units after scaling; {@code null} to take the variable's {@code units} attribute
     */
    public record VariableSpec(Path file, String variable, String channel, double scale, double offset,
                               String units) {

        /** Checks the names. */
        public VariableSpec {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(variable, "variable");
            Objects.requireNonNull(channel, "channel");
        }

        /** Variable {@code variable} of {@code file}, as is, named after the variable. */
        public static VariableSpec of(Path file, String variable) {
            return new VariableSpec(file, variable, variable, 1.0, 0.0, null);
        }

        /** The same variable under another channel name (e.g. u500 for the 500 hPa u). */
        public VariableSpec named(String newChannel) {
            return new VariableSpec(file, variable, newChannel, scale, offset, units);
        }

        /** The same variable multiplied by {@code factor}, in {@code newUnits}. */
        public VariableSpec scaled(double factor, String newUnits) {
            return new VariableSpec(file, variable, channel, factor, offset, newUnits);
        }
    }

    /**
     * Replaces or completes a file's time coordinate.
     *
     * @param origin    time of index 0, or of value 0
     * @param unit      duration of one index step ({@code fromIndex}) or of one unit of the time values
     * @param fromIndex true: frame {@code i} is at {@code origin + i * unit}, whatever the file holds; false:
     *                  frame {@code i} is at {@code origin + value[i] * unit}, keeping the file's gaps
     */
    public record TimeOverride(Instant origin, Duration unit, boolean fromIndex) {

        /** Checks the fields. */
        public TimeOverride {
            Objects.requireNonNull(origin, "origin");
            if (unit == null || unit.isZero() || unit.isNegative()) {
                throw new IllegalArgumentException("time unit must be positive, got " + unit);
            }
        }

        /** Regular frames: index {@code i} at {@code start + i * step}. */
        public static TimeOverride regular(Instant start, Duration step) {
            return new TimeOverride(start, step, true);
        }

        /** The file's time values, counted in {@code unit} from {@code origin}. */
        public static TimeOverride offsets(Instant origin, Duration unit) {
            return new TimeOverride(origin, unit, false);
        }

        Instant at(int index, double value) {
            double n = fromIndex ? index : value;
            return origin.plusNanos(Math.round(n * unit.toNanos()));
        }
    }

    static {
        GribIndexCache.install();
    }

    private final List<VariableSpec> variables;
    private final TimeOverride timeOverride;
    private final Integer level;
    private final Double levelValue;

    private NetcdfFrameReader(List<VariableSpec> variables, TimeOverride timeOverride, Integer level,
                              Double levelValue) {
        this.variables = List.copyOf(variables);
        this.timeOverride = timeOverride;
        this.level = level;
        this.levelValue = levelValue;
    }

    /** A builder; at least one variable is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of {@link NetcdfFrameReader}. */
    public static final class Builder {
        private final List<VariableSpec> variables = new ArrayList<>();
        private TimeOverride timeOverride;
        private Integer level;
        private Double levelValue;

        private Builder() {
        }

        /** Adds a channel. */
        public Builder variable(VariableSpec spec) {
            variables.add(spec);
            return this;
        }

        /** Adds variable {@code name} of {@code file} as a channel of the same name. */
        public Builder variable(Path file, String name) {
            return variable(VariableSpec.of(file, name));
        }

        /** Uses these times instead of (or to complete) the files' time coordinates. */
        public Builder timeOverride(TimeOverride override) {
            this.timeOverride = override;
            return this;
        }

        /** Level index for 4-D variables {@code (time, level, y, x)}; not needed when the level axis has size 1. */
        public Builder level(int index) {
            this.level = index;
            return this;
        }

        /**
         * Level of 4-D variables by its coordinate value in the file's units (e.g. 850 for hPa); a pressure level
         * in Pa is also found by its value in hPa.
         */
        public Builder levelValue(double value) {
            this.levelValue = value;
            return this;
        }

        /** The reader. */
        public NetcdfFrameReader build() {
            if (variables.isEmpty()) {
                throw new IllegalStateException("NetcdfFrameReader needs at least one variable");
            }
            if (level != null && levelValue != null) {
                throw new IllegalStateException("choose a level by index or by value, not both");
            }
            return new NetcdfFrameReader(variables, timeOverride, level, levelValue);
        }
    }

    /** One channel as read: its times, per-time planes and validity. */
    private record Channel(VariableSpec spec, int height, int width, List<Instant> times, List<float[]> planes,
                           List<boolean[]> valid, double[] lat, double[] lon, String units, double fill) {
    }

    /**
     * Reads every variable and aligns them on time.
     *
     * @param name name of the resulting sequence
     * @throws DataSourceException if a file is absent or unreadable, lacks a variable, or the grids differ
     */
    public FrameSequence read(String name) throws IOException {
        List<Channel> channels = new ArrayList<>();
        for (VariableSpec spec : variables) {
            channels.add(readChannel(spec));
        }
        Channel first = channels.get(0);
        for (Channel c : channels) {
            if (c.height() != first.height() || c.width() != first.width()) {
                throw new DataSourceException(c.spec().file(), "variable '" + c.spec().variable() + "' is "
                        + c.height() + " x " + c.width() + " but '" + first.spec().variable() + "' in "
                        + first.spec().file() + " is " + first.height() + " x " + first.width());
            }
        }
        GridShape shape = new GridShape(channels.size(), first.height(), first.width());
        List<String> names = channels.stream().map(c -> c.spec().channel()).toList();
        for (int i = 0; i < channels.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (names.get(i).equals(names.get(j))) {
                    throw new DataSourceException(channels.get(i).spec().file(), "channel name '" + names.get(i)
                            + "' is taken already by variable '" + channels.get(j).spec().variable() + "' of "
                            + channels.get(j).spec().file() + "; name the channels apart with FILE:VAR:NAME");
                }
            }
        }
        TreeSet<Instant> allTimes = new TreeSet<>();
        List<Map<Instant, Integer>> byTime = new ArrayList<>();
        for (Channel c : channels) {
            Map<Instant, Integer> index = new TreeMap<>();
            for (int i = 0; i < c.times().size(); i++) {
                index.put(c.times().get(i), i);
            }
            allTimes.addAll(index.keySet());
            byTime.add(index);
        }
        int plane = shape.planeSize();
        List<TimedFrame> frames = new ArrayList<>(allTimes.size());
        for (Instant t : allTimes) {
            float[] data = new float[shape.size()];
            boolean[] valid = new boolean[shape.size()];
            boolean anyValid = false;
            boolean allValid = true;
            for (int c = 0; c < channels.size(); c++) {
                Integer i = byTime.get(c).get(t);
                if (i == null) {
                    Arrays.fill(data, c * plane, (c + 1) * plane, Float.NaN);
                    allValid = false;
                    continue;
                }
                System.arraycopy(channels.get(c).planes().get(i), 0, data, c * plane, plane);
                boolean[] v = channels.get(c).valid().get(i);
                System.arraycopy(v, 0, valid, c * plane, plane);
                for (boolean b : v) {
                    anyValid |= b;
                    allValid &= b;
                }
            }
            frames.add(new TimedFrame(t, names, shape, data, allValid ? null : valid, !anyValid));
        }
        String[] units = channels.stream().map(Channel::units).toArray(String[]::new);
        return new FrameSequence(name, names, shape, frames, first.lat(), first.lon(), units, first.fill(),
                FrameSequence.regularStep(new ArrayList<>(allTimes)));
    }

    private Channel readChannel(VariableSpec spec) throws IOException {
        Path file = spec.file();
        if (!Files.isRegularFile(file)) {
            throw new DataSourceException(file, "file not found (wanted variable '" + spec.variable() + "')");
        }
        try (NetcdfDataset ds = NetcdfDataset.openDataset(file.toString())) {
            Variable v = findVariable(ds, spec.variable());
            if (v == null) {
                List<String> available = ds.getVariables().stream().filter(x -> x.getRank() >= 3)
                        .map(Variable::getFullName).toList();
                throw new DataSourceException(file, "no variable '" + spec.variable() + "'; gridded ones: " + available);
            }
            int rank = v.getRank();
            if (rank != 3 && rank != 4) {
                throw new DataSourceException(file, "variable '" + spec.variable() + "' has dimensions "
                        + v.getDimensionsString() + "; expected (time, y, x) or (time, level, y, x)");
            }
            int[] shape = v.getShape();
            int nt = shape[0];
            int h = shape[rank - 2];
            int w = shape[rank - 1];
            int lev = levelIndex(spec, v, file, ds);
            List<Instant> times = readTimes(v, file);
            double fill = fillValue(v);
            List<float[]> planes = new ArrayList<>(nt);
            List<boolean[]> valid = new ArrayList<>(nt);
            int[] origin = new int[rank];
            int[] size = rank == 3 ? new int[] {1, h, w} : new int[] {1, 1, h, w};
            if (rank == 4) {
                origin[1] = lev;
            }
            for (int t = 0; t < nt; t++) {
                origin[0] = t;
                Array a = v.read(origin, size);
                float[] plane = new float[h * w];
                boolean[] ok = new boolean[h * w];
                IndexIterator it = a.getIndexIterator();
                for (int i = 0; it.hasNext(); i++) {
                    double x = it.getDoubleNext();
                    boolean isValid = !Double.isNaN(x) && x != fill && !(v instanceof VariableDS vds && vds.isMissing(x));
                    ok[i] = isValid;
                    plane[i] = isValid ? (float) (x * spec.scale() + spec.offset()) : (float) x;
                }
                planes.add(plane);
                valid.add(ok);
            }
            String units = spec.units() != null ? spec.units() : attributeString(v, "units");
            return new Channel(spec, h, w, times, planes, valid,
                    readAxis(v, v.getDimension(rank - 2), AxisType.Lat, "lat", "latitude"),
                    readAxis(v, v.getDimension(rank - 1), AxisType.Lon, "lon", "longitude"), units, fill);
        } catch (InvalidRangeException e) {
            throw new DataSourceException(file, "cannot read variable '" + spec.variable() + "'", e);
        } catch (DataSourceException e) {
            throw e;
        } catch (IOException e) {
            throw new DataSourceException(file, "cannot read variable '" + spec.variable() + "': " + e.getMessage(), e);
        }
    }

    private int levelIndex(VariableSpec spec, Variable v, Path file, NetcdfDataset ds) throws IOException {
        if (v.getRank() == 3) {
            return 0;
        }
        int levels = v.getShape()[1];
        if (levelValue != null) {
            return levelOfValue(spec, v, file);
        }
        int lev = level != null ? level : 0;
        if (level == null && levels != 1) {
            throw new DataSourceException(file, "variable '" + spec.variable() + "' has " + levels + " levels ("
                    + v.getDimensionsString() + ", values " + Arrays.toString(levelValues(v)) + "); choose one by"
                    + " index (--level) or value (--level-value)");
        }
        if (lev < 0 || lev >= levels) {
            throw new DataSourceException(file, "level " + lev + " out of range 0.." + (levels - 1)
                    + " for variable '" + spec.variable() + "'");
        }
        return lev;
    }

    private int levelOfValue(VariableSpec spec, Variable v, Path file) throws IOException {
        double[] values = levelValues(v);
        if (values == null) {
            throw new DataSourceException(file, "variable '" + spec.variable() + "' has no level coordinate to find "
                    + levelValue + " in; choose the level by index");
        }
        Variable axis = coordinate(v, v.getDimension(1).getShortName());
        boolean pascal = "Pa".equals(attributeString(axis, "units"));
        for (int i = 0; i < values.length; i++) {
            if (close(values[i], levelValue) || pascal && close(values[i], levelValue * 100)) {
                return i;
            }
        }
        throw new DataSourceException(file, "variable '" + spec.variable() + "' has no level " + levelValue
                + "; its levels are " + Arrays.toString(values) + (pascal ? " Pa" : ""));
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
    }

    private static double[] levelValues(Variable v) throws IOException {
        Variable axis = coordinate(v, v.getDimension(1).getShortName());
        if (axis == null || axis.getRank() != 1) {
            return null;
        }
        return (double[]) axis.read().get1DJavaArray(double.class);
    }

    /**
     * The variable named {@code name}: by full name, else by short name in any group, preferring NetCDF-Java's
     * {@code Best} time series of a GRIB collection over its two-dimensional ({@code TwoD}) view.
     */
    private static Variable findVariable(NetcdfDataset ds, String name) {
        Variable exact = ds.findVariable(name);
        if (exact != null) {
            return exact;
        }
        List<Variable> byShortName = ds.getVariables().stream().filter(x -> x.getShortName().equals(name)).toList();
        return byShortName.stream().filter(x -> "Best".equals(x.getParentGroup().getShortName())).findFirst()
                .orElse(byShortName.stream().filter(x -> !"TwoD".equals(x.getParentGroup().getShortName()))
                        .findFirst().orElse(byShortName.isEmpty() ? null : byShortName.get(0)));
    }

    /** The coordinate variable {@code name} of {@code v}: in its group or the nearest enclosing one. */
    private static Variable coordinate(Variable v, String name) {
        for (Group g = v.getParentGroup(); g != null; g = g.getParentGroup()) {
            Variable c = g.findVariable(name);
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    private List<Instant> readTimes(Variable v, Path file) throws IOException {
        int nt = v.getShape()[0];
        Dimension timeDim = v.getDimension(0);
        Variable coord = coordinate(v, timeDim.getShortName());
        double[] values = new double[nt];
        String units = null;
        if (coord != null && coord.getRank() == 1 && coord.getShape()[0] == nt) {
            Array a = coord.read();
            for (int i = 0; i < nt; i++) {
                values[i] = a.getDouble(i);
            }
            units = attributeString(coord, "units");
        } else {
            for (int i = 0; i < nt; i++) {
                values[i] = i;
            }
        }
        List<Instant> times = new ArrayList<>(nt);
        if (timeOverride != null) {
            for (int i = 0; i < nt; i++) {
                times.add(timeOverride.at(i, values[i]));
            }
            return times;
        }
        if (units == null || !units.contains(" since ")) {
            throw new DataSourceException(file, "time coordinate '" + timeDim.getShortName() + "' of variable '"
                    + v.getFullName() + "' has no CF units (\"<unit> since <date>\"); give the frames' times with --time-start and "
                    + "--time-step");
        }
        String calendar = attributeString(coord, "calendar");
        CalendarDateUnit cdu = CalendarDateUnit.of(calendar.isEmpty() ? null : calendar, units);
        for (double value : values) {
            times.add(Instant.ofEpochMilli(cdu.makeCalendarDate(value).getMillis()));
        }
        return times;
    }

    private static double[] readAxis(Variable v, Dimension dim, AxisType type, String... names)
            throws IOException {
        Variable axis = coordinate(v, dim.getShortName());
        if (axis == null || axis.getRank() != 1) {
            return null;
        }
        boolean typed = axis instanceof CoordinateAxis ca && ca.getAxisType() == type;
        boolean named = Arrays.stream(names).anyMatch(n -> n.equalsIgnoreCase(axis.getShortName()));
        if (!typed && !named) {
            return null;
        }
        return (double[]) axis.read().get1DJavaArray(double.class);
    }

    private static double fillValue(Variable v) {
        for (String name : new String[] {"_FillValue", "missing_value"}) {
            Attribute a = v.findAttribute(name);
            if (a != null && a.getNumericValue() != null) {
                return a.getNumericValue().doubleValue();
            }
        }
        return Double.NaN;
    }

    private static String attributeString(Variable v, String name) {
        if (v == null) {
            return "";
        }
        Attribute a = v.findAttribute(name);
        return a == null || a.getStringValue() == null ? "" : a.getStringValue().trim();
    }
}
