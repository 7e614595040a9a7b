package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code odecast bench --restore} in a short mode: the full restore reads every snapshot, the checkpointed one only the new. */
class RestoreBenchmarkTest extends BrokerTestBase {
    @TempDir
    Path dir;

    @Test
    void theFullRestoreReadsEverySnapshotAndTheCheckpointedOneOnlyThoseWrittenSince() throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        RestoreBenchmark.Result r = new RestoreBenchmark(new PrintStream(text, true, StandardCharsets.UTF_8))
                .run(kafka.bootstrapServers(), 50, 2_000, 7, dir);
        assertEquals(50, r.fullRecords());
        assertEquals(7, r.incrementalRecords());
        // The store rebuilt from the checkpoint holds every stream once, the rewritten ones with their new bytes.
        SnapshotStore store = new SnapshotStore(dir);
        assertEquals(50, store.count(0));
        Random first = new Random(50);
        Random second = new Random(7);
        for (int i = 0; i < 50; i++) {
            byte[] expected = new byte[2_000];
            first.nextBytes(expected);
            if (i < 7) {
                second.nextBytes(expected);
            }
            assertArrayEquals(expected, store.get(0, "storm/s" + i).orElseThrow(), "storm/s" + i);
        }
        String printed = text.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("full (no checkpoint)") && printed.contains("from the checkpoint"), printed);
    }

    @Test
    void aCheckpointOutsideThePartitionsOffsetsIsNotTrustedAndThePartitionIsReadWhole() throws Exception {
        String topic = "restore-range.state";
        snapshots(topic, 5);
        SnapshotStore store = new SnapshotStore(dir);
        StateCheckpoints checkpoints = new StateCheckpoints("test/" + topic, java.time.Duration.ofHours(1));
        // A stream the topic does not hold (the folder of a topic deleted and made anew, say).
        store.put(0, "stale", new byte[] {9}, java.time.Instant.now());
        Map<String, Object> c = Map.of(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers());
        try (StateTopicReader reader = new StateTopicReader(new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer()), java.time.Duration.ofSeconds(60))) {
            // Past the end (5): the folder was not made from this partition's log.
            store.checkpoint(0, 6, java.time.Instant.now(), checkpoints.identity());
            assertEquals(Map.of(0, 5), reader.restore(topic, List.of(0), store, java.time.Instant.now(), checkpoints));
            assertEquals(5, reader.recordsRead(), "read whole");
            assertTrue(store.get(0, "stale").isEmpty(), "the folder was emptied first");
            // At the end: trusted, nothing to read.
            store.checkpoint(0, 5, java.time.Instant.now(), checkpoints.identity());
            assertEquals(Map.of(0, 5), reader.restore(topic, List.of(0), store, java.time.Instant.now(), checkpoints));
            assertEquals(5, reader.recordsRead(), "nothing read after the checkpoint at the end");
        }
    }

    @Test
    void aRestoreThatFailsPartWayKeepsItsProgressAndTheNextOneGoesOnFromThere() throws Exception {
        String topic = "restore-partial.state";
        snapshots(topic, 10);
        StateCheckpoints checkpoints = new StateCheckpoints("test/" + topic, java.time.Duration.ofHours(1));
        // A store that fails on its seventh write, as a restore cut by its timeout stops part way.
        int[] puts = {0};
        SnapshotStore failing = new SnapshotStore(dir) {
            @Override
            void put(int partition, String streamId, byte[] snapshot, java.time.Instant writtenAt) {
                if (++puts[0] == 7) {
                    throw new IllegalStateException("cut part way");
                }
                super.put(partition, streamId, snapshot, writtenAt);
            }
        };
        Map<String, Object> c = Map.of(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers());
        try (StateTopicReader reader = new StateTopicReader(new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer()), java.time.Duration.ofSeconds(60))) {
            assertThrows(IllegalStateException.class,
                    () -> reader.restore(topic, List.of(0), failing, java.time.Instant.now(), checkpoints));
            // Before, the next attempt emptied the folder and read from offset 0 again, with the same time limit.
            SnapshotStore store = new SnapshotStore(dir);
            long before = reader.recordsRead();
            assertEquals(Map.of(0, 10), reader.restore(topic, List.of(0), store, java.time.Instant.now(), checkpoints));
            assertEquals(4, reader.recordsRead() - before, "only the records from the seventh on are read again");
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(new byte[] {(byte) i}, store.get(0, "s" + i).orElseThrow(), "s" + i);
            }
        }
    }

    /** A state topic of one partition holding streams s0.. s{count-1}, each snapshot one byte, its number. */
    private void snapshots(String topic, int count) throws Exception {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1)))
                    .all().get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        for (int i = 0; i < count; i++) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, "s" + i, new byte[] {(byte) i}))
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
