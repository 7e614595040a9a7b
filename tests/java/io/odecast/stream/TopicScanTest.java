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
    void refusesARangeThatEndsBeforeItStartsOrHasNoEnd() {
        try (var consumer = consumer()) {
            IllegalArgumentException backwards = assertThrows(IllegalArgumentException.class,
                    () -> TopicScan.read(consumer, Map.of(P0, 8L), Map.of(P0, 5L), Duration.ofSeconds(10), null,
                            r -> { }));
            assertTrue(backwards.getMessage().contains("scan-0") && backwards.getMessage().contains("8"),
                    backwards.getMessage());
            // Past the partition's end now (10 records): read to the end, nothing silently skipped.
            assertThrows(IllegalArgumentException.class,
                    () -> TopicScan.readToEnd(consumer, Map.of(P1, 12L), Duration.ofSeconds(10), r -> { }));
            assertThrows(IllegalArgumentException.class,
                    () -> TopicScan.read(consumer, Map.of(P0, 0L, P1, 0L), Map.of(P0, 5L), Duration.ofSeconds(10),
                            null, r -> { }));
            // An empty range is a valid read of nothing.
            assertEquals(0, TopicScan.read(consumer, Map.of(P0, 4L), Map.of(P0, 4L), Duration.ofSeconds(10), null,
                    r -> { }));
        }
    }

    @Test
    void handsOnExactlyTheAskedRangeOfEachPartition() {
        List<String> read = new ArrayList<>();
        try (var consumer = consumer()) {
            long n = TopicScan.read(consumer, Map.of(P0, 2L, P1, 7L), Map.of(P0, 5L, P1, 10L), Duration.ofSeconds(10),
                    null, r -> read.add(r.value()));
            assertEquals(6, n);
            // The same consumer again (its partitions were paused at their ends): a whole second read.
            List<String> again = new ArrayList<>();
            TopicScan.read(consumer, Map.of(P0, 0L, P1, 0L), Map.of(P0, 3L, P1, 3L), Duration.ofSeconds(10), null,
                    r -> again.add(r.value()));
            assertEquals(6, again.size(), again.toString());
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
    void anEndThatNeverComesFailsAfterTheIdleTimeEvenWhileAnotherPartitionIsLive() throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Exception> producerFailed = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        // Live traffic on partition 1, already read to its end: it must neither hold the read up nor count as
        // progress for partition 0, whose asked end never comes.
        Thread live = new Thread(() -> {
            try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                while (!stop.get()) {
                    producer.send(new ProducerRecord<>("scan", 1, "k", "live"));
                    producer.flush();
                    sent.incrementAndGet();
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                producerFailed.set(e);
            }
        });
        live.start();
        try (var consumer = consumer()) {
            long started = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TopicScan.read(consumer,
                    Map.of(P0, 0L, P1, 0L), Map.of(P0, 1000L, P1, 10L), Duration.ofSeconds(2), null, r -> { }));
            double seconds = (System.nanoTime() - started) / 1e9;
            assertTrue(e.getMessage().contains("no progress") && e.getMessage().contains("[scan-0]"), e.getMessage());
            assertTrue(seconds >= 2 && seconds < 10, "gave up after " + seconds + " s");
        } finally {
            stop.set(true);
            live.join();
        }
        assertEquals(null, producerFailed.get(), "the live producer ran throughout");
        assertTrue(sent.get() > 20, "records kept arriving on the finished partition: " + sent.get());
    }

    @Test
    void aTotalLimitEndsAReadBeforeItsIdleLimitWould() {
        try (var consumer = consumer()) {
            // The idle limit (30 s) would end this read much later; the total one (1 s) ends it first.
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TopicScan.read(consumer,
                    Map.of(P0, 0L), Map.of(P0, 1000L), Duration.ofSeconds(30), Duration.ofSeconds(1), r -> { }));
            assertTrue(e.getMessage().contains("within PT1S"), e.getMessage());
        }
    }
}
