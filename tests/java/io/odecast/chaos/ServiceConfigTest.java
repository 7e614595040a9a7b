package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServiceConfigTest {

    @Test
    void theServiceConfigurationHasTheContractsKeys() {
        Path models = Path.of("models with space").toAbsolutePath();
        Config c = ConfigFactory.parseString(ServiceConfig.hocon("127.0.0.1:19092", "chaos-kill-x", models,
                Delivery.EXACTLY_ONCE, 4, 10)).getConfig("odecast");
        assertEquals("127.0.0.1:19092", c.getString("kafka.bootstrap-servers"));
        assertEquals("chaos-kill-x.group", c.getString("kafka.group-id"));
        assertEquals(4, c.getInt("kafka.partitions"));
        assertEquals("chaos-kill-x.frames", c.getString("kafka.topics.frames"));
        assertEquals("chaos-kill-x.forecasts", c.getString("kafka.topics.forecasts"));
        assertEquals("chaos-kill-x.dlq", c.getString("kafka.topics.dead-letters"));
        assertEquals(ServiceConfig.topics("chaos-kill-x").all().size(), c.getConfig("kafka.topics").root().size());
        assertEquals(models.toString(), c.getString("models-dir"));
        assertEquals("exactly-once", c.getString("delivery"));
        assertEquals(0, c.getInt("http.port"), "instances on one machine must not compete for a port");
        assertEquals("chaos-1", c.getString("instance-id"));
        assertEquals(10, c.getInt("snapshot.every-frames"));
        Config stream = c.getConfigList("streams").get(0);
        assertEquals("storm/*", stream.getString("pattern"));
        assertEquals("storm-forecast", stream.getString("model"));
        assertEquals(Duration.ofHours(6), stream.getDuration("forecast.step"));
        assertEquals(Duration.ofHours(24), stream.getDuration("forecast.horizon"));
        assertEquals(false, stream.hasPath("cadence"));
        assertEquals("at-least-once", ConfigFactory.parseString(ServiceConfig.hocon("h:1", "p", models,
                Delivery.AT_LEAST_ONCE, 4, 10)).getString("odecast.delivery"));
    }

    @Test
    void priorityStreamsGetARuleOfTheirOwnAndTheReservedPartitionAndTheProducerRoutesThemThere() {
        Config c = ConfigFactory.parseString(ServiceConfig.hocon("h:1", "p", Path.of("m").toAbsolutePath(),
                Delivery.EXACTLY_ONCE, 4, 10, 2)).getConfig("odecast");
        assertEquals(1, c.getInt("kafka.priority-partitions"));
        assertEquals("p.frames", c.getString("kafka.topics.frames"), "the base settings stay");
        assertEquals(2, c.getConfigList("streams").size());
        java.util.regex.Pattern high = io.odecast.kafka.StreamPatterns.compile(
                c.getConfigList("streams").get(0).getString("pattern"));
        assertEquals("high", c.getConfigList("streams").get(0).getString("priority"));
        // The harness's producer is configured like this (ChaosKafka.producer).
        io.odecast.kafka.FramePartitioner routing = new io.odecast.kafka.FramePartitioner();
        routing.configure(io.odecast.kafka.FramePartitioner.producerConfig(1,
                java.util.List.of(ServiceConfig.priorityPattern(2))));
        org.apache.kafka.common.Node node = new org.apache.kafka.common.Node(0, "h", 1);
        java.util.List<org.apache.kafka.common.PartitionInfo> infos = new java.util.ArrayList<>();
        for (int p = 0; p < 4; p++) {
            infos.add(new org.apache.kafka.common.PartitionInfo("p.frames", p, node, null, null));
        }
        var cluster = new org.apache.kafka.common.Cluster("c", java.util.List.of(node), infos, java.util.Set.of(),
                java.util.Set.of());
        for (int k = 0; k < 12; k++) {
            String id = ChaosStreams.streamId(k);
            assertEquals(k < 2, high.matcher(id).matches(), id);
            int partition = routing.partition("p.frames", id, null, null, null, cluster);
            assertEquals(k < 2, partition == 3, id + " on " + partition);
        }
    }
}
