package io.odecast.publish;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.odecast.data.FrameSequence;
import io.odecast.data.NetcdfFrameReader;
import io.odecast.kafka.TopicSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The storm fixture, the video fixture and a few broker helpers. */
final class PublishFixtures {
    static final Path STORM = Path.of("tests/resources/fixtures/storm");
    static final Instant STORM_START = Instant.parse("1996-01-05T00:00:00Z");
    static final Duration STORM_STEP = Duration.ofHours(6);

    private PublishFixtures() {
    }

    /** u, v and p (hPa) of the storm, 6-hourly from 1996-01-05 00Z. */
    static FrameSequence stormUvp() throws Exception {
        return NetcdfFrameReader.builder()
                .variable(STORM.resolve("Ustorm.cdf"), "u")
                .variable(STORM.resolve("Vstorm.cdf"), "v")
                .variable(NetcdfFrameReader.VariableSpec.of(STORM.resolve("Pstorm.cdf"), "p").scaled(0.01, "hPa"))
                .timeOverride(NetcdfFrameReader.TimeOverride.regular(STORM_START, STORM_STEP))
                .build()
                .read("storm");
    }

    /** An OpenCV sample video; the test is skipped when opencv-doc is not installed. */
    static Path video(String name) {
        Path path = Path.of("/usr/share/doc/opencv-doc/examples/data", name);
        assumeTrue(Files.exists(path), name + " absent: install the Debian package opencv-doc");
        return path;
    }

    static void createTopic(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of(
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(64 * 1024 * 1024)))))
                    .all().get(30, TimeUnit.SECONDS);
            TopicSetup.awaitPartitionLeaders(admin, List.of(topic), Duration.ofSeconds(30));
        }
    }

    /** Every record of {@code topic}, from the beginning to the end offsets. */
    static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }
}
