package io.odecast.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Topics, frames and dead letters against a real in-process broker. */
class KafkaRoundTripTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final TopicNames TOPICS = TopicNames.defaults();

    private static EmbeddedKafkaBroker kafka;
    private static Admin admin;
    private static List<String> createdAtStart;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaBroker.start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
        createdAtStart = new TopicSetup(admin, TOPICS, TopicSetup.Settings.defaults()).ensureTopics(TIMEOUT);
    }

    @AfterAll
    static void stopBroker() {
        if (admin != null) {
            admin.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    static KafkaProducer<String, FrameMessage> frameProducer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new FrameSerializer());
    }

    static KafkaConsumer<String, byte[]> bytesConsumer(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Reads every partition of {@code topic} from the start until {@code count} records have arrived. */
    static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic, int count) {
        try (var consumer = bytesConsumer(bootstrap)) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new org.apache.kafka.common.TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    static FrameMessage frame(String stream, int index) {
        float[] data = new float[3 * 4 * 5];
        for (int i = 0; i < data.length; i++) {
            data[i] = Float.intBitsToFloat(0x3f800000 + index * 131 + i * 7919);
        }
        data[index % data.length] = Float.NaN;
        return FrameMessage.of(stream, Instant.parse("1996-01-05T00:00:00Z").plus(Duration.ofHours(6L * index)),
                List.of("U", "V", "P"), new io.odecast.data.GridShape(3, 4, 5), data);
    }

    @Test
    void allTopicsAreCreatedAndASecondSetupCreatesNone() {
        assertEquals(TOPICS.all().stream().sorted().toList(), createdAtStart.stream().sorted().toList());
        assertEquals(List.of(), new TopicSetup(admin, TOPICS, TopicSetup.Settings.defaults()).ensureTopics(TIMEOUT));
    }

    @Test
    void existingStateTopicThatIsNotCompactedIsRejectedWithTheFix() throws Exception {
        TopicNames other = new TopicNames("x.frames", "x.forecasts", "x.regular", "x.state", "x.models", "x.dlq");
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(other.state(), 3, (short) 1)))
                .all().get(30, TimeUnit.SECONDS);
        var e = org.junit.jupiter.api.Assertions.assertThrows(TopicSetupException.class,
                () -> new TopicSetup(admin, other, TopicSetup.Settings.defaults()).ensureTopics(TIMEOUT));
        assertTrue(e.getMessage().contains("x.state has cleanup.policy=delete"), e.getMessage());
        assertTrue(e.getMessage().contains("--add-config cleanup.policy=compact"), e.getMessage());
    }

    @Test
    void anExistingModelsTopicOfSeveralPartitionsIsRejected() throws Exception {
        TopicNames other = new TopicNames("m.frames", "m.forecasts", "m.regular", "m.state", "m.models", "m.dlq");
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(other.models(), 3, (short) 1)
                .configs(Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
        var e = org.junit.jupiter.api.Assertions.assertThrows(TopicSetupException.class,
                () -> new TopicSetup(admin, other, TopicSetup.Settings.defaults()).ensureTopics(TIMEOUT));
        assertTrue(e.getMessage().contains("m.models has 3 partitions but odecast needs 1"), e.getMessage());
    }

    @Test
    void stateAndModelTopicsAreCompacted() throws Exception {
        for (String topic : TOPICS.compacted()) {
            var resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            var config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertEquals("compact", config.get("cleanup.policy").value(), topic);
        }
        var frames = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPICS.frames())))
                .all().get(30, TimeUnit.SECONDS).values().iterator().next();
        assertEquals("delete", frames.get("cleanup.policy").value());
    }

    @Test
    void modelsTopicHasOnePartitionAndStateMatchesFrames() throws Exception {
        Map<String, TopicDescription> d = admin.describeTopics(TOPICS.all()).allTopicNames().get(30, TimeUnit.SECONDS);
        assertEquals(1, d.get(TOPICS.models()).partitions().size());
        assertEquals(d.get(TOPICS.frames()).partitions().size(), d.get(TOPICS.state()).partitions().size());
    }

    @Test
    void framesComeBackInOrderPerStreamWithIdenticalPayloads() throws Exception {
        String topic = TOPICS.frames();
        List<String> streams = List.of("storm-u", "storm-v", "storm-p", "camera-1", "camera-2");
        Map<String, List<FrameMessage>> sent = new HashMap<>();
        try (var producer = frameProducer(kafka.bootstrapServers())) {
            for (int i = 0; i < 100; i++) {
                String stream = streams.get(i % streams.size());
                FrameMessage frame = frame(stream, i / streams.size());
                sent.computeIfAbsent(stream, s -> new ArrayList<>()).add(frame);
                producer.send(new ProducerRecord<>(topic, stream, frame));
            }
            producer.flush();
        }
        Map<String, List<FrameMessage>> received = new HashMap<>();
        for (var record : readAll(kafka.bootstrapServers(), topic, 100)) {
            FrameMessage frame = FrameCodec.decode(record.value());
            assertEquals(record.key(), frame.streamId());
            received.computeIfAbsent(record.key(), s -> new ArrayList<>()).add(frame);
        }
        assertEquals(sent, received);
        for (String stream : streams) {
            for (int k = 0; k < sent.get(stream).size(); k++) {
                float[] a = sent.get(stream).get(k).data();
                float[] b = received.get(stream).get(k).data();
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]));
                }
            }
        }
    }

    @Test
    void rejectedRecordBecomesADeadLetterWithItsOriginalBytesAndPosition() throws Exception {
        String input = "odecast.test.bad-frames";
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(input, 1, (short) 1)))
                .all().get(30, TimeUnit.SECONDS);
        byte[] garbage = {(byte) 0xff, 0x01, 0x02};
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(input, "cam-9", garbage)).get(30, TimeUnit.SECONDS);
            ConsumerRecord<String, byte[]> bad = readAll(kafka.bootstrapServers(), input, 1).get(0);
            FrameDecodeException error = null;
            try {
                FrameCodec.decode(bad.value());
            } catch (FrameDecodeException e) {
                error = e;
            }
            new DeadLetterPublisher(TOPICS).publish(producer, bad, error).get(30, TimeUnit.SECONDS);
        }
        var records = readAll(kafka.bootstrapServers(), TOPICS.deadLetters(), 1);
        DeadLetterMessage letter = DeadLetterCodec.decode(records.get(0).value());
        assertEquals(DeadLetterReason.MALFORMED, letter.reason());
        assertEquals(input, letter.originalTopic());
        assertEquals(0L, letter.originalOffset());
        assertEquals("cam-9", new String(letter.originalKey(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("cam-9", records.get(0).key());
        assertTrue(java.util.Arrays.equals(garbage, letter.originalValue()));
        assertTrue(letter.originalTimestamp().isPresent());
    }
}
