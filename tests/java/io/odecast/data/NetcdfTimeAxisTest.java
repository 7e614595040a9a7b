package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ucar.ma2.Array;
import ucar.ma2.DataType;
import ucar.nc2.Attribute;
import ucar.nc2.NetcdfFileWriter;
import ucar.nc2.Variable;

/** Time coordinates other than the storm files' bare hour offsets. */
class NetcdfTimeAxisTest {

    @Test
    void cfUnitsGiveTheTimesWithoutOverride(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cf.nc");
        NetcdfFileWriter w = NetcdfFileWriter.createNew(NetcdfFileWriter.Version.netcdf3, file.toString());
        try {
            w.addDimension(null, "time", 3);
            w.addDimension(null, "y", 2);
            w.addDimension(null, "x", 2);
            Variable time = w.addVariable(null, "time", DataType.DOUBLE, "time");
            w.addVariableAttribute(time, new Attribute("units", "hours since 2020-03-01 06:00:00"));
            Variable psl = w.addVariable(null, "psl", DataType.FLOAT, "time y x");
            w.addVariableAttribute(psl, new Attribute("missing_value", 1.0e20f));
            w.create();
            w.write(time, Array.factory(new double[] {0, 6, 18}));
            float[] values = {1, 2, 3, 4, 5, 6, 7, 1.0e20f, 1.0e20f, 1.0e20f, 1.0e20f, 1.0e20f};
            w.write(psl, Array.factory(DataType.FLOAT, new int[] {3, 2, 2}, values));
        } finally {
            w.close();
        }
        FrameSequence seq = NetcdfFrameReader.builder().variable(file, "psl").build().read("cf");
        assertEquals(Instant.parse("2020-03-01T06:00:00Z"), seq.frame(0).time());
        assertEquals(Instant.parse("2020-03-02T00:00:00Z"), seq.frame(2).time());
        assertNull(seq.nominalStep(), "6 h then 12 h is irregular");
        assertEquals(1, seq.frame(1).invalidCount());
        assertTrue(seq.frame(2).missing());
    }

    @Test
    void ficeMonthlyDaysGiveIrregularTimesAndTypedLatAxis() throws Exception {
        Path fice = Path.of("/usr/share/ncarg/data/cdf/fice.nc");
        assumeTrue(Files.exists(fice), "fice.nc absent: run scripts/fetch-data.sh (Debian package libncarg-data)");
        FrameSequence seq = NetcdfFrameReader.builder().variable(fice, "fice")
                .timeOverride(NetcdfFrameReader.TimeOverride.offsets(Instant.parse("2000-01-01T00:00:00Z"),
                        Duration.ofDays(1)))
                .build().read("fice");
        assertEquals(new GridShape(1, 49, 100), seq.shape());
        assertEquals(120, seq.size());
        assertEquals(Instant.parse("2000-02-01T00:00:00Z"), seq.frame(1).time());
        assertNull(seq.nominalStep());
        assertNotNull(seq.lat(), "hlat is typed _CoordinateAxisType=Lat");
        assertEquals(-77.4, seq.lat()[0], 1e-4);
        assertEquals(0, seq.frame(0).invalidCount(), "fice holds no missing_value cell");
    }
}
