package io.odecast.stream;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code odecast bench --restore}: what rebuilding a partition's local state store costs at an assignment, the whole
 * partition read into an emptied folder against only what follows a clean hand-over's checkpoint, on the same state
 * partition of a broker: {@code streams} snapshots of {@code bytes} each, then {@code changed} of them written again.
 */
public final class RestoreBenchmark {
    private final PrintStream out;

    public RestoreBenchmark(PrintStream out) {
        this.out = out;
    }

    /** One run's figures. */
    public record Result(int streams, int bytes, int changed, long fullRecords, double fullSeconds,
                         long incrementalRecords, double incrementalSeconds) {
    }

    public Result run(String bootstrap, int streams, int bytes, int changed, Path dir) throws Exception {
        String topic = "bench-restore-" + System.nanoTime() + ".state";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(Math.max(1 << 20, 2 * bytes))))))
                    .all().get(60, TimeUnit.SECONDS);
        }
        write(bootstrap, topic, 0, streams, bytes);
        SnapshotStore store = new SnapshotStore(dir);
        StateCheckpoints checkpoints = new StateCheckpoints("bench/" + topic, Duration.ofHours(12));
        try (StateTopicReader reader = new StateTopicReader(consumer(bootstrap), Duration.ofMinutes(5))) {
            long start = System.nanoTime();
            reader.restore(topic, List.of(0), store, Instant.now(), checkpoints);
            double full = (System.nanoTime() - start) / 1e9;
            long fullRecords = reader.recordsRead();
            store.checkpoint(0, reader.end(topic, 0), Instant.now(), checkpoints.identity());
            write(bootstrap, topic, 0, changed, bytes);
            start = System.nanoTime();
            reader.restore(topic, List.of(0), store, Instant.now(), checkpoints);
            double incremental = (System.nanoTime() - start) / 1e9;
            Result r = new Result(streams, bytes, changed, fullRecords, full, reader.recordsRead() - fullRecords,
                    incremental);
            out.printf("restore of one state partition: %d streams of %.1f KB (%.0f MB)%n", streams, bytes / 1e3,
                    (double) streams * bytes / 1e6);
            out.printf("  full (no checkpoint)   %8d records  %7.2f s  %6.1f MB/s%n", r.fullRecords(), r.fullSeconds(),
                    r.fullRecords() * (double) bytes / 1e6 / r.fullSeconds());
            out.printf("  from the checkpoint    %8d records  %7.2f s  (%d streams written since)%n",
                    r.incrementalRecords(), r.incrementalSeconds(), changed);
            out.printf("  ratio full / checkpoint: %.1fx%n", r.fullSeconds() / Math.max(1e-9, r.incrementalSeconds()));
            return r;
        }
    }

    private static void write(String bootstrap, String topic, int from, int count, int bytes) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Math.max(1 << 20, 2 * bytes)));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(1 << 20));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        Random rng = new Random(from + count);
        byte[] value = new byte[bytes];
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = from; i < from + count; i++) {
                rng.nextBytes(value);
                acks.add(producer.send(new ProducerRecord<>(topic, 0, "storm/s" + i, value.clone())));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(5, TimeUnit.MINUTES);
            }
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
        return new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** A temporary folder for the store, deleted afterwards. */
    public static Path tempStore() throws java.io.IOException {
        return Files.createTempDirectory("odecast-restore-bench");
    }
}
