package io.odecast.data;

import io.odecast.data.NetcdfFrameReader.VariableSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ucar.nc2.Attribute;
import ucar.nc2.NetcdfFile;
import ucar.nc2.Variable;

/**
 * Parses the command-line form of one NetCDF or GRIB channel, {@code FILE[:VAR[:NAME[:SCALE[:UNITS]]]]}: the
 * file, the variable (by default the file's only variable with three or four dimensions), the channel name (by
 * default the variable's), a scale factor and the units after scaling. A scale without units keeps no units,
 * except that Pa times 0.01 is hPa. Shared by every command that reads data, so that they all accept the same
 * form.
 */
public final class VariableArgument {
    static {
        GribIndexCache.install();
    }

    private VariableArgument() {
    }

    /**
     * The variable spec of {@code argument}, checking that the file exists (and, when the variable must be
     * found or the units derived, opening it).
     *
     * @throws DataSourceException       if the file is absent, or holds no single gridded variable to choose
     * @throws IllegalArgumentException if the argument is malformed
     */
    public static VariableSpec parse(String argument) throws IOException {
        String[] parts = argument.split(":", -1);
        if (parts.length > 5 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("'" + argument + "' is not FILE[:VAR[:NAME[:SCALE[:UNITS]]]]");
        }
        Path file = Path.of(parts[0]);
        if (!Files.isRegularFile(file)) {
            throw new DataSourceException(file, "file not found");
        }
        String variable = part(parts, 1);
        if (variable == null) {
            variable = onlyGriddedVariable(file);
        }
        String channel = part(parts, 2) == null ? variable : parts[2];
        VariableSpec spec = VariableSpec.of(file, variable).named(channel);
        String scaleText = part(parts, 3);
        String units = part(parts, 4);
        if (scaleText != null) {
            double scale;
            try {
                scale = Double.parseDouble(scaleText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + argument + "': scale '" + scaleText
                        + "' is not a number");
            }
            spec = spec.scaled(scale, units != null ? units : scaledUnits(file, variable, scale));
        } else if (units != null) {
            spec = spec.scaled(1.0, units);
        }
        return spec;
    }

    private static String part(String[] parts, int i) {
        return i < parts.length && !parts[i].isEmpty() ? parts[i] : null;
    }

    private static String onlyGriddedVariable(Path file) throws IOException {
        try (NetcdfFile nc = NetcdfFile.open(file.toString())) {
            // a GRIB collection shows each variable twice, in its Best and TwoD groups
            List<String> gridded = nc.getVariables().stream().filter(v -> v.getRank() == 3 || v.getRank() == 4)
                    .map(Variable::getShortName).distinct().toList();
            if (gridded.size() != 1) {
                throw new DataSourceException(file, "name the variable (FILE:VAR): the file has "
                        + (gridded.isEmpty() ? "no variable of 3 or 4 dimensions" : "several: " + gridded));
            }
            return gridded.get(0);
        } catch (DataSourceException e) {
            throw e;
        } catch (IOException e) {
            throw new DataSourceException(file, "cannot open as NetCDF: " + e.getMessage(), e);
        }
    }

    private static String scaledUnits(Path file, String variable, double scale) throws IOException {
        try (NetcdfFile nc = NetcdfFile.open(file.toString())) {
            Variable v = nc.findVariable(variable);
            Attribute a = v == null ? null : v.findAttribute("units");
            String units = a == null || a.getStringValue() == null ? "" : a.getStringValue().trim();
            return units.equals("Pa") && scale == 0.01 ? "hPa" : "";
        } catch (IOException e) {
            throw new DataSourceException(file, "cannot open as NetCDF: " + e.getMessage(), e);
        }
    }
}
