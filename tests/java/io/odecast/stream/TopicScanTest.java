package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.kafka.EmbeddedKafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The one read-to-offsets loop of restores, dead-letter replay and repartitioning, on a real broker. */
class TopicScanTest {

    private static EmbeddedKafkaBroker broker;
    private static final TopicPartition P0 = new TopicPartition("scan", 0);
    private static final TopicPartition P1 = new TopicPartition("scan", 1);

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("scan", 2, (short) 1))).all().get();
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("scan", 0, "k", "p0-" + i));
                producer.send(new ProducerRecord<>("scan", 1, "k", "p1-" + i));
            }
            producer.flush();
        }
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static KafkaConsumer<String, String> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }

    @Test
    void handsOnExactlyTheAskedRangeOfEachPartition() {
        List<String> read = new ArrayList<>();
        try (var consumer = consumer()) {
            long n = TopicScan.read(consumer, Map.of(P0, 2L, P1, 7L), Map.of(P0, 5L, P1, 10L), Duration.ofSeconds(10),
                    r -> read.add(r.value()));
            assertEquals(6, n);
        }
        read.sort(String::compareTo);
        assertEquals(List.of("p0-2", "p0-3", "p0-4", "p1-7", "p1-8", "p1-9"), read);
        List<String> all = new ArrayList<>();
        try (var consumer = consumer()) {
            TopicScan.readToEnd(consumer, Map.of(P0, 0L), Duration.ofSeconds(10), r -> all.add(r.value()));
        }
        assertEquals(10, all.size());
        assertEquals("p0-9", all.get(9), "in offset order");
    }

    @Test
    void anEndThatNeverComesFailsAfterTheIdleTimeNotBefore() {
        try (var consumer = consumer()) {
            long started = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TopicScan.read(consumer,
                    Map.of(P0, 0L), Map.of(P0, 20L), Duration.ofSeconds(2), r -> { }));
            double seconds = (System.nanoTime() - started) / 1e9;
            assertTrue(e.getMessage().contains("no progress") && e.getMessage().contains("scan-0"), e.getMessage());
            assertTrue(seconds >= 2, "gave up after " + seconds + " s");
        }
    }
}
