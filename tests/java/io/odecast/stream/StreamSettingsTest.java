package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Settings from reference.conf and the example application.conf; the forecast grid. */
class StreamSettingsTest {

    private static ServiceSettings example() {
        return ServiceSettings.fromConfig(ConfigFactory.load(ConfigFactory.parseFile(Path.of("conf/application.conf")
                .toFile())));
    }

    @Test
    void exampleConfigurationGivesStormStreamsASixHourlyCadenceAndFourLeads() {
        StreamSettings storm = example().streams().settingsFor("storm/jan1996").orElseThrow();
        assertEquals("storm-forecast", storm.model());
        assertEquals(Optional.of("storm-interp"), storm.fillModel());
        assertEquals(Optional.of(Duration.ofHours(6)), storm.cadence());
        assertEquals(4, storm.leads());
        assertEquals(5, example().streams().settingsFor("video/cam1").orElseThrow().leads());
    }

    @Test
    void referenceDefaultsBatchSixtyFourRequestsWithinFiveMilliseconds() {
        ServiceSettings settings = example();
        assertEquals(64, settings.decoder().maxBatch());
        assertEquals(Duration.ofMillis(5), settings.decoder().maxWait());
        assertEquals("odecast.frames", settings.kafka().topics().frames());
    }

    @Test
    void snapshotsEveryTenFramesWithRestoreByDefaultAndZeroDisablesThem() {
        assertEquals(new SnapshotSettings(10, true), example().snapshot());
        var off = ConfigFactory.parseString("odecast.snapshot.every-frames = 0");
        assertTrue(!ServiceSettings.fromConfig(ConfigFactory.load(off)).snapshot().enabled());
        var negative = ConfigFactory.parseString("odecast.snapshot.every-frames = -1");
        assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(negative)));
    }

    @Test
    void globStarsStayWithinOnePathPartAndRegexRulesMatchTheWholeId() {
        assertTrue(StreamRules.compile("storm/*").matcher("storm/a").matches());
        assertTrue(!StreamRules.compile("storm/*").matcher("storm/a/b").matches());
        assertTrue(StreamRules.compile("storm/**").matcher("storm/a/b").matches());
        assertTrue(StreamRules.compile("regex:cam[0-9]+").matcher("cam12").matches());
        assertTrue(example().streams().settingsFor("other/x").isEmpty());
    }

    @Test
    void unsupportedSettingsAreRejectedWithTheKeyToChange() {
        var bad = ConfigFactory.parseString("odecast.streams = [{ pattern = \"a/*\", model = m,"
                + " allowed-lateness = 1h }]");
        var e = assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(bad)));
        assertTrue(e.getMessage().contains("allowed-lateness"), e.getMessage());
        var exactlyOnce = ConfigFactory.parseString("odecast.delivery = exactly-once");
        assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(exactlyOnce)));
    }

    @Test
    void forecastGridTimesAreEpochAlignedMultiplesStrictlyAfterTheArrival() {
        Duration step = Duration.ofHours(6);
        assertEquals(List.of(Instant.parse("1996-01-05T12:00:00Z"), Instant.parse("1996-01-05T18:00:00Z")),
                ForecastGrid.after(Instant.parse("1996-01-05T07:30:00Z"), step, 2));
        assertEquals(List.of(Instant.parse("1996-01-05T12:00:00Z")),
                ForecastGrid.after(Instant.parse("1996-01-05T06:00:00Z"), step, 1));
        assertEquals(List.of(Instant.parse("1969-12-31T18:00:00Z")),
                ForecastGrid.after(Instant.parse("1969-12-31T13:00:00Z"), step, 1));
        assertEquals(2, ForecastGrid.countBetween(Instant.parse("1996-01-05T00:00:00Z"),
                Instant.parse("1996-01-05T18:00:00Z"), step));
        assertEquals(ForecastGrid.between(Instant.parse("1996-01-05T00:00:00Z"), Instant.parse("1996-01-05T18:00:00Z"),
                step).size(), 2);
    }
}
