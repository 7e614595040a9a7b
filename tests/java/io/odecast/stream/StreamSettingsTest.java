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
    void referenceDefaultsBatchSixtyFourFramesAndBoundTheSubstepsOfOneArrival() {
        ServiceSettings settings = example();
        assertEquals(64, settings.decoder().maxBatch());
        assertEquals(64, settings.decoder().maxSubsteps());
        assertEquals(ServiceSettings.DeliveryMode.AT_LEAST_ONCE, settings.delivery());
        assertEquals("odecast.frames", settings.kafka().topics().frames());
        assertEquals(Optional.of(Duration.ofDays(7)),
                settings.streams().settingsFor("storm/jan1996").orElseThrow().maxGap());
    }

    @Test
    void decoderWorkersDefaultToOnePerProcessorWithOneIntraOpThreadAndPriorityToNormal() {
        ServiceSettings settings = example();
        assertEquals(0, settings.decoder().workers());
        assertEquals(Runtime.getRuntime().availableProcessors(), settings.decoder().resolvedWorkers());
        assertEquals(1, settings.decoder().intraOpThreads());
        assertEquals(StreamSettings.Priority.NORMAL,
                settings.streams().settingsFor("storm/jan1996").orElseThrow().priority());
        var high = ConfigFactory.parseString("odecast.streams = [{ pattern = \"x/*\", model = m, priority = high }]")
                .withFallback(ConfigFactory.parseFile(Path.of("conf/application.conf").toFile()));
        assertEquals(StreamSettings.Priority.HIGH, ServiceSettings.fromConfig(ConfigFactory.load(high)).streams()
                .settingsFor("x/1").orElseThrow().priority());
        var bad = ConfigFactory.parseString("odecast.streams = [{ pattern = \"x/*\", model = m, priority = urgent }]")
                .withFallback(ConfigFactory.parseFile(Path.of("conf/application.conf").toFile()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServiceSettings.fromConfig(ConfigFactory.load(bad)));
        assertTrue(e.getMessage().contains("priority must be normal or high"), e.getMessage());
        var workers = ConfigFactory.parseString("odecast.decoder.workers = -1")
                .withFallback(ConfigFactory.parseFile(Path.of("conf/application.conf").toFile()));
        assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(workers)));
    }

    @Test
    void consumerLoopsDefaultToTwoPerDecoderWorkerAndOnlyTheFirstKeepsTheInstanceId() {
        ServiceSettings settings = example();
        assertEquals(0, settings.engine().threads());
        assertEquals(2 * settings.decoder().resolvedWorkers(), settings.engineThreads());
        var three = ConfigFactory.parseString("odecast { instance-id = node-a, engine.threads = 3,"
                + " decoder.workers = 1 }").withFallback(ConfigFactory.parseFile(Path.of("conf/application.conf")
                .toFile()));
        ServiceSettings s = ServiceSettings.fromConfig(ConfigFactory.load(three));
        assertEquals(3, s.engineThreads());
        assertEquals(List.of("node-a", "node-a-e1", "node-a-e2"),
                List.of(s.engineId(0), s.engineId(1), s.engineId(2)));
        var bad = ConfigFactory.parseString("odecast.engine.threads = -1")
                .withFallback(ConfigFactory.parseFile(Path.of("conf/application.conf").toFile()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServiceSettings.fromConfig(ConfigFactory.load(bad)));
        assertTrue(e.getMessage().contains("odecast.engine.threads"), e.getMessage());
    }

    @Test
    void priorityLanesAddALoopOfTheirOwnAndTheRebalanceProtocolIsCooperativeUnlessAnUpgradeAsksForEager() {
        ServiceSettings plain = example();
        assertEquals(0, plain.kafka().priorityPartitions());
        assertEquals(plain.engineThreads(), plain.consumerLoops());
        assertTrue(plain.kafka().cooperative());
        var lanes = ConfigFactory.parseString("odecast { instance-id = node-a, engine.threads = 2,"
                + " kafka.priority-partitions = 1, kafka.rebalance-protocol = eager }")
                .withFallback(ConfigFactory.parseFile(Path.of("conf/application.conf").toFile()));
        ServiceSettings s = ServiceSettings.fromConfig(ConfigFactory.load(lanes));
        assertEquals(3, s.consumerLoops());
        assertEquals(List.of("node-a", "node-a-e1", "node-a-priority"),
                List.of(s.engineId(0), s.engineId(1), s.engineId(2)));
        assertTrue(!s.isPriorityLane(1) && s.isPriorityLane(2));
        assertTrue(!s.kafka().cooperative());
        for (String bad : List.of("odecast.kafka.priority-partitions = 3", "odecast.kafka.priority-partitions = -1",
                "odecast.kafka.rebalance-protocol = sticky")) {
            var e = assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(
                    ConfigFactory.parseString(bad))));
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf(' '))), e.getMessage());
        }
    }

    @Test
    void kafkaClientSectionsPassThroughAsPropertiesWithTheSpecificSectionWinning() {
        var config = ConfigFactory.parseString("""
                odecast.delivery = "exactly-once"
                odecast.instance-id = "node-7"
                odecast.kafka.kafka-clients { security.protocol = SASL_PLAINTEXT, sasl.mechanism = PLAIN }
                odecast.kafka.consumer.kafka-clients { sasl.mechanism = SCRAM-SHA-512 }
                """);
        ServiceSettings settings = ServiceSettings.fromConfig(ConfigFactory.load(config));
        assertEquals(ServiceSettings.DeliveryMode.EXACTLY_ONCE, settings.delivery());
        assertEquals("node-7", settings.instanceId());
        assertEquals("SASL_PLAINTEXT", settings.kafka().consumerProperties().get("security.protocol"));
        assertEquals("SCRAM-SHA-512", settings.kafka().consumerProperties().get("sasl.mechanism"));
        assertEquals("PLAIN", settings.kafka().producerProperties().get("sasl.mechanism"));
        assertEquals("PLAIN", settings.kafka().adminProperties().get("sasl.mechanism"));
        assertEquals("15000", settings.kafka().consumerProperties().get("session.timeout.ms"));
        var bad = ConfigFactory.parseString("odecast.delivery = \"exactly-twice\"");
        assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(bad)));
    }

    @Test
    void snapshotsEveryTenFramesWithRestoreByDefaultAndZeroDisablesThem() {
        assertEquals(new SnapshotSettings(10, Duration.ofSeconds(30), true), example().snapshot());
        var off = ConfigFactory.parseString("odecast.snapshot { every-frames = 0, every = 0s }");
        assertTrue(!ServiceSettings.fromConfig(ConfigFactory.load(off)).snapshot().enabled());
        var negative = ConfigFactory.parseString("odecast.snapshot.every-frames = -1");
        assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(negative)));
    }

    @Test
    void globStarsStayWithinOnePathPartAndRegexRulesMatchTheWholeId() {
        assertTrue(io.odecast.kafka.StreamPatterns.compile("storm/*").matcher("storm/a").matches());
        assertTrue(!io.odecast.kafka.StreamPatterns.compile("storm/*").matcher("storm/a/b").matches());
        assertTrue(io.odecast.kafka.StreamPatterns.compile("storm/**").matcher("storm/a/b").matches());
        assertTrue(io.odecast.kafka.StreamPatterns.compile("regex:cam[0-9]+").matcher("cam12").matches());
        assertTrue(example().streams().settingsFor("other/x").isEmpty());
    }

    @Test
    void unsupportedSettingsAreRejectedWithTheKeyToChange() {
        var bad = ConfigFactory.parseString("odecast.streams = [{ pattern = \"a/*\", model = m,"
                + " allowed-lateness = 1h }]");
        var e = assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(bad)));
        assertTrue(e.getMessage().contains("allowed-lateness"), e.getMessage());
        var instance = ConfigFactory.parseString("odecast.instance-id = \"a b\"");
        e = assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(instance)));
        assertTrue(e.getMessage().contains("instance-id"), e.getMessage());
        var retention = ConfigFactory.parseString("odecast { idle-timeout = 24h, state-retention = 12h }");
        e = assertThrows(IllegalArgumentException.class, () -> ServiceSettings.fromConfig(ConfigFactory.load(retention)));
        assertTrue(e.getMessage().contains("state-retention") && e.getMessage().contains("idle-timeout"),
                e.getMessage());
        assertEquals(Duration.ofDays(30), example().stateRetention());
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
