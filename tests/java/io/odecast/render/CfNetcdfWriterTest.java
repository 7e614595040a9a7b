package io.odecast.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.odecast.kafka.ForecastMessage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ucar.ma2.Array;
import ucar.nc2.NetcdfFile;
import ucar.nc2.Variable;

/** The CF writer's file, read back with NetCDF-Java. */
class CfNetcdfWriterTest {
    @TempDir
    static Path dir;
    private static Path file;
    private static List<ForecastMessage> forecasts;

    @BeforeAll
    static void write() throws Exception {
        forecasts = RenderFixtures.decoded("ncar/storm", 3);
        file = dir.resolve("storm.nc");
        new CfNetcdfWriter(new LatLonGrid(20, 1.25, -140, 2.5)).write(file, forecasts);
    }

    @Test
    void dimensionsAreReftimeLeadLatLon() throws Exception {
        try (NetcdfFile nc = NetcdfFile.open(file.toString())) {
            assertEquals(3, nc.findDimension("reftime").getLength());
            assertEquals(2, nc.findDimension("lead").getLength());
            assertEquals(4, nc.findDimension("lat").getLength());
            assertEquals(5, nc.findDimension("lon").getLength());
            assertEquals("reftime lead lat lon", nc.findVariable("p").getDimensionsString());
            assertEquals("CF-1.8", nc.findGlobalAttribute("Conventions").getStringValue());
        }
    }

    @Test
    void channelsHaveStandardNamesUnitsFillAndCoordinates() throws Exception {
        try (NetcdfFile nc = NetcdfFile.open(file.toString())) {
            assertEquals("eastward_wind", nc.findVariable("u").findAttribute("standard_name").getStringValue());
            assertEquals("northward_wind", nc.findVariable("v").findAttribute("standard_name").getStringValue());
            Variable p = nc.findVariable("p");
            assertEquals("air_pressure_at_mean_sea_level", p.findAttribute("standard_name").getStringValue());
            assertEquals("hPa", p.findAttribute("units").getStringValue());
            assertEquals("time", p.findAttribute("coordinates").getStringValue());
            assertEquals(CfNetcdfWriter.FILL_VALUE, p.findAttribute("_FillValue").getNumericValue().floatValue());
        }
    }

    @Test
    void valuesAreWrittenAndInvalidCellsHoldTheFillValue() throws Exception {
        try (NetcdfFile nc = NetcdfFile.open(file.toString())) {
            float[] u = (float[]) nc.findVariable("u").read(new int[] {2, 1, 0, 0}, new int[] {1, 1, 4, 5})
                    .get1DJavaArray(float.class);
            float[] expected = java.util.Arrays.copyOf(RenderFixtures.values(2, 2), 20);
            expected[0] = CfNetcdfWriter.FILL_VALUE;
            assertArrayEquals(expected, u);
            double[] lat = (double[]) nc.findVariable("lat").read().get1DJavaArray(double.class);
            assertArrayEquals(new double[] {20, 21.25, 22.5, 23.75}, lat);
        }
    }

    @Test
    void timesUseCfUnitsAndEqualTheForecastTimes() throws Exception {
        try (NetcdfFile nc = NetcdfFile.open(file.toString())) {
            Variable reftime = nc.findVariable("reftime");
            Variable time = nc.findVariable("time");
            assertEquals(CfNetcdfWriter.TIME_UNITS, reftime.findAttribute("units").getStringValue());
            assertEquals("forecast_reference_time", reftime.findAttribute("standard_name").getStringValue());
            assertEquals(CfNetcdfWriter.TIME_UNITS, time.findAttribute("units").getStringValue());
            Array r = reftime.read();
            Array t = time.read();
            for (int i = 0; i < 3; i++) {
                ForecastMessage f = forecasts.get(i);
                assertEquals(f.basedOnTime().getEpochSecond(), r.getDouble(i));
                assertEquals(f.leads().get(1).validTime().getEpochSecond(), t.getDouble(i * 2 + 1));
            }
            assertArrayEquals(new double[] {21600, 43200},
                    (double[]) nc.findVariable("lead").read().get1DJavaArray(double.class));
        }
    }

    @Test
    void unknownChannelsGetALongNameOnlyAndNoGridGivesIndexAxes() throws Exception {
        Path video = dir.resolve("video.nc");
        List<ForecastMessage> grey = forecasts.stream().map(f -> new ForecastMessage(f.streamId(), f.basedOnTime(),
                f.issuedAt(), f.modelName(), f.modelVersion(), List.of("luma", "x", "time"), List.of("1", "", ""),
                f.shape(), f.leads(), f.flags(), f.inputPartition(), f.inputOffset())).toList();
        new CfNetcdfWriter(null).write(video, grey);
        try (NetcdfFile nc = NetcdfFile.open(video.toString())) {
            Variable luma = nc.findVariable("luma");
            assertNull(luma.findAttribute("standard_name"));
            assertEquals("luma", luma.findAttribute("long_name").getStringValue());
            assertEquals("reftime lead y x", luma.getDimensionsString());
            assertEquals("x", nc.findVariable("x_").findAttribute("odecast_channel").getStringValue());
            assertEquals("time", nc.findVariable("time_").findAttribute("odecast_channel").getStringValue());
        }
    }
}
