package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NetcdfFrameReaderTest {

    private static FrameSequence uvp;

    @BeforeAll
    static void readStorm() throws Exception {
        uvp = NetcdfFrameReader.builder()
                .variable(StormFixtures.file("u"), "u")
                .variable(StormFixtures.file("v"), "v")
                .variable(NetcdfFrameReader.VariableSpec.of(StormFixtures.file("p"), "p").scaled(0.01, "hPa"))
                .timeOverride(StormFixtures.HOURS_SINCE_START)
                .build()
                .read("storm");
    }

    @Test
    void twoChannelsOfTheSameNameAreRefusedWithTheWayToNameThemApart() {
        DataSourceException e = assertThrows(DataSourceException.class, () -> NetcdfFrameReader.builder()
                .variable(StormFixtures.file("u"), "u")
                .variable(StormFixtures.file("u"), "u")
                .timeOverride(StormFixtures.HOURS_SINCE_START)
                .build()
                .read("twice"));
        assertTrue(e.getMessage().contains("channel name 'u' is taken") && e.getMessage().contains("FILE:VAR:NAME"),
                e.getMessage());
    }

    @Test
    void stormHas64FramesOf33By36InThreeChannels() {
        assertEquals(64, uvp.size());
        assertEquals(new GridShape(3, 33, 36), uvp.shape());
        assertEquals(List.of("u", "v", "p"), uvp.channels());
    }

    @Test
    void latLonAxesAreRead() {
        assertAll(
                () -> assertEquals(33, uvp.lat().length),
                () -> assertEquals(20.0, uvp.lat()[0], 1e-6),
                () -> assertEquals(60.0, uvp.lat()[32], 1e-6),
                () -> assertEquals(1.25, uvp.lat()[1] - uvp.lat()[0], 1e-6),
                () -> assertEquals(-140.0, uvp.lon()[0], 1e-6),
                () -> assertEquals(-52.5, uvp.lon()[35], 1e-6),
                () -> assertEquals(2.5, uvp.lon()[1] - uvp.lon()[0], 1e-6));
    }

    @Test
    void timesAreSixHourlyFromFifthOfJanuary1996() {
        assertEquals(Instant.parse("1996-01-05T00:00:00Z"), uvp.frame(0).time());
        assertEquals(Instant.parse("1996-01-20T18:00:00Z"), uvp.frame(63).time());
        assertEquals(Duration.ofHours(6), uvp.nominalStep());
    }

    @Test
    void regularOverrideGivesTheSameTimes() throws Exception {
        FrameSequence u = NetcdfFrameReader.builder().variable(StormFixtures.file("u"), "u")
                .timeOverride(NetcdfFrameReader.TimeOverride.regular(
                        Instant.parse("1996-01-05T00:00:00Z"), Duration.ofHours(6)))
                .build().read("u");
        assertEquals(uvp.times(), u.times());
    }

    @Test
    void everyPresentFrameHas224FillCellsPerChannel() throws Exception {
        FrameSequence u = StormFixtures.read("u");
        for (TimedFrame f : u.frames()) {
            assertEquals(224, f.invalidCount(), "fill cells at " + f.time());
        }
        assertEquals(-9999.0, u.fillValue());
    }

    @Test
    void vHasWholeFramesMissingAt17And37AndUHasNone() throws Exception {
        assertEquals(List.of(17, 37), StormFixtures.read("v").missingIndices());
        assertEquals(List.of(), StormFixtures.read("u").missingIndices());
    }

    @Test
    void combinedFrameKeepsOtherChannelsWhenOneIsMissing() {
        TimedFrame f17 = uvp.frame(17);
        assertFalse(f17.missing());
        assertTrue(f17.channelMissing(1));
        assertFalse(f17.channelMissing(0));
    }

    @Test
    void pressureIsInHectopascalsAfterScaling() {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        int plane = uvp.shape().planeSize();
        for (TimedFrame f : uvp.frames()) {
            for (int i = 2 * plane; i < 3 * plane; i++) {
                if (f.isValid(i)) {
                    min = Math.min(min, f.data()[i]);
                    max = Math.max(max, f.data()[i]);
                }
            }
        }
        assertTrue(min > 950 && max < 1060, "p range " + min + ".." + max);
        assertEquals("hPa", uvp.units()[2]);
    }

    @Test
    void missingFileErrorNamesFileAndVariable() {
        Path absent = Path.of("tests/resources/fixtures/storm/Xstorm.cdf");
        DataSourceException e = assertThrows(DataSourceException.class,
                () -> NetcdfFrameReader.builder().variable(absent, "x").build().read("x"));
        assertTrue(e.getMessage().contains("Xstorm.cdf") && e.getMessage().contains("'x'"), e.getMessage());
    }

    @Test
    void missingVariableErrorListsTheGriddedVariables() {
        DataSourceException e = assertThrows(DataSourceException.class,
                () -> NetcdfFrameReader.builder().variable(StormFixtures.file("u"), "psl").build().read("x"));
        assertTrue(e.getMessage().contains("Ustorm.cdf") && e.getMessage().contains("'psl'")
                && e.getMessage().contains("gridded ones: [u]"), e.getMessage());
    }

    @Test
    void fileWithoutTimeUnitsAsksForAnOverride() {
        DataSourceException e = assertThrows(DataSourceException.class,
                () -> NetcdfFrameReader.builder().variable(StormFixtures.file("u"), "u").build().read("u"));
        assertTrue(e.getMessage().contains("--time-start and --time-step"), e.getMessage());
    }
}
