package io.odecast.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

/** Frames of high-priority streams on the reserved partitions, the others on the rest, by Kafka's key hash. */
class FramePartitionerTest {

    private static Cluster cluster(String topic, int partitions) {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> infos = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            infos.add(new PartitionInfo(topic, p, node, new Node[] {node}, new Node[] {node}));
        }
        return new Cluster("c", List.of(node), infos, Set.of(), Set.of());
    }

    @Test
    void withoutReservedPartitionsEveryKeyLandsWhereKafkasDefaultPartitionerPutsIt() {
        for (int partitions : new int[] {1, 3, 7}) {
            for (int s = 0; s < 200; s++) {
                String id = "storm/site-" + s;
                int kafka = BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), partitions);
                assertEquals(kafka, FramePartitioner.partition(id, false, partitions, 0));
                assertEquals(kafka, FramePartitioner.partition(id, true, partitions, 0), "nothing reserved");
            }
        }
    }

    @Test
    void highPriorityStreamsOnTheReservedPartitionsOthersOnTheRestAndBothSidesUsed() {
        FramePartitioner partitioner = new FramePartitioner();
        partitioner.configure(Map.of(FramePartitioner.RESERVED_CONFIG, "2",
                FramePartitioner.STREAMS_CONFIG, "alerts/*, regex:radar-[0-9]+"));
        Cluster cluster = cluster("frames", 6);
        Set<Integer> high = new HashSet<>();
        Set<Integer> bulk = new HashSet<>();
        for (int s = 0; s < 100; s++) {
            for (String id : List.of("alerts/" + s, "radar-" + s)) {
                int p = partitioner.partition("frames", id, null, null, null, cluster);
                assertTrue(p == 4 || p == 5, id + " -> " + p);
                high.add(p);
            }
            for (String id : List.of("storm/" + s, "alerts/" + s + "/sub", "radar-x" + s)) {
                int p = partitioner.partition("frames", id, null, null, null, cluster);
                assertTrue(p >= 0 && p < 4, id + " -> " + p);
                bulk.add(p);
            }
        }
        assertEquals(Set.of(4, 5), high);
        assertEquals(Set.of(0, 1, 2, 3), bulk);
        // A stream's partition is a function of its id: the same every time.
        assertEquals(partitioner.partition("frames", "alerts/7", null, null, null, cluster),
                FramePartitioner.partition("alerts/7", true, 6, 2));
        // Keys a producer gives as bytes (ByteArraySerializer) land where their text does, every time.
        for (String id : List.of("alerts/7", "storm/3", "radar-12")) {
            byte[] bytes = id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int k = 0; k < 5; k++) {
                assertEquals(partitioner.partition("frames", id, bytes, null, null, cluster),
                        partitioner.partition("frames", bytes.clone(), bytes, null, null, cluster), id);
            }
        }
    }

    @Test
    void atMostAllPartitionsButOneAreReservedAndAFrameNeedsItsKey() {
        for (int s = 0; s < 50; s++) {
            assertEquals(0, FramePartitioner.partition("bulk-" + s, false, 3, 9));
            int p = FramePartitioner.partition("urgent-" + s, true, 3, 9);
            assertTrue(p == 1 || p == 2, "urgent-" + s + " -> " + p);
        }
        FramePartitioner partitioner = new FramePartitioner();
        partitioner.configure(Map.of(FramePartitioner.RESERVED_CONFIG, "1"));
        assertThrows(IllegalArgumentException.class,
                () -> partitioner.partition("frames", null, null, null, null, cluster("frames", 3)));
        assertThrows(IllegalArgumentException.class,
                () -> new FramePartitioner().configure(Map.of(FramePartitioner.RESERVED_CONFIG, "-1")));
    }

    @Test
    void patternsGivenAsAListMayHoldCommasAndABadPatternIsNamed() {
        FramePartitioner partitioner = new FramePartitioner();
        partitioner.configure(Map.of(FramePartitioner.RESERVED_CONFIG, 1,
                FramePartitioner.STREAMS_CONFIG, List.of("regex:ab{1,3}", "regex:" + java.util.regex.Pattern.quote("x,y"))));
        Cluster cluster = cluster("frames", 4);
        for (String id : List.of("ab", "abbb", "x,y")) {
            assertEquals(3, partitioner.partition("frames", id, null, null, null, cluster), id);
        }
        assertTrue(partitioner.partition("frames", "abbbb", null, null, null, cluster) < 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FramePartitioner().configure(Map.of(FramePartitioner.STREAMS_CONFIG, List.of("regex:a{1,"))));
        assertTrue(e.getMessage().contains("regex:a{1,"), e.getMessage());
    }
}
