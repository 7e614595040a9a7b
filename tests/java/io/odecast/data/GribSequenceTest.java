package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GRIB2 time sequence of {@code tests/resources/fixtures/grib} (ten hourly NAM messages, see its README):
 * times are reference time + forecast time, read from the file.
 */
class GribSequenceTest {

    static final Path FIXTURE = Path.of("tests/resources/fixtures/grib/nam212-hourly.grb2");

    private static FrameSequence read(NetcdfFrameReader.Builder builder) throws Exception {
        return builder.variable(NetcdfFrameReader.VariableSpec.of(FIXTURE, "Temperature_isobaric").named("t"))
                .variable(NetcdfFrameReader.VariableSpec.of(FIXTURE, "Geopotential_height_isobaric").named("gh"))
                .build().read("nam");
    }

    @Test
    void validTimesAreReferencePlusForecastTimeHourly() throws Exception {
        FrameSequence seq = read(NetcdfFrameReader.builder());
        assertEquals(10, seq.size());
        assertEquals(Instant.parse("2007-01-24T12:00:00Z"), seq.frame(0).time());
        assertEquals(Instant.parse("2007-01-24T21:00:00Z"), seq.frame(9).time());
        assertEquals(Duration.ofHours(1), seq.nominalStep());
    }

    @Test
    void twoVariablesOfOneFileAreTwoChannelsOnTheLambertGrid() throws Exception {
        FrameSequence seq = read(NetcdfFrameReader.builder().levelValue(500));
        assertEquals(new GridShape(2, 65, 93), seq.shape());
        assertNull(seq.lat(), "a Lambert grid has no 1-D latitude axis");
        assertArrayEquals(new String[] {"K", "gpm"}, seq.units());
        float t0 = seq.frame(0).value(0, 32, 46);
        float t9 = seq.frame(9).value(0, 32, 46);
        assertTrue(t0 > 230 && t0 < 310 && t9 > 210 && t9 < t0, "t from 1000 hPa to 550 hPa: " + t0 + " -> " + t9);
        assertTrue(seq.frame(9).value(1, 32, 46) > seq.frame(0).value(1, 32, 46) + 3000, "gh rises with the level");
    }

    @Test
    void aLevelValueThatIsAbsentListsTheLevels() {
        DataSourceException e = assertThrows(DataSourceException.class,
                () -> read(NetcdfFrameReader.builder().levelValue(850)));
        assertTrue(e.getMessage().contains("no level 850") && e.getMessage().contains("50000"), e.getMessage());
    }

    @Test
    void noIndexFileIsWrittenBesideTheData() throws Exception {
        read(NetcdfFrameReader.builder());
        try (var files = Files.list(FIXTURE.getParent())) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".gbx9") || f.toString().endsWith(".ncx2")));
        }
    }

    @Test
    void theFixtureIsWhatTheScriptMakesFromTheDebianFile(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(Path.of("/usr/share/ncarg/data/grb/fh.0012_tl.press_gr.awp211.grb2")),
                "libncarg-data absent: run scripts/fetch-data.sh");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/grib_set")), "libeccodes-tools absent: run scripts/fetch-data.sh");
        Path rebuilt = dir.resolve("rebuilt.grb2");
        Process p = new ProcessBuilder("scripts/make-grib-fixture.sh", rebuilt.toString()).redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(Files.readAllBytes(FIXTURE), Files.readAllBytes(rebuilt));
        assertNotEquals(0, Files.size(rebuilt));
    }
}
