package io.odecast.chaos;

import io.odecast.kafka.TopicNames;
import io.odecast.kafka.TopicSetup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The harness's Kafka clients: topic setup, the driver's idempotent producer and read_committed readers. */
final class ChaosKafka {
    /** max.message.bytes of the topics, as the service's default (64 MiB). */
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private ChaosKafka() {
    }

    /**
     * Waits until the broker answers a cluster description, or the time is up or {@code alive} turns false.
     *
     * @return whether it answered
     */
    static boolean awaitBroker(String bootstrap, Duration timeout, BooleanSupplier alive) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && alive.getAsBoolean()) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
            try (Admin admin = Admin.create(p)) {
                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                return true;
            } catch (Exception e) {
                Thread.sleep(500);
            }
        }
        return false;
    }

    /** Creates the run's topics (as the service would) and waits until every partition answers. */
    static void createTopics(String bootstrap, TopicNames topics, int partitions, Duration timeout) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            new TopicSetup(admin, topics, new TopicSetup.Settings(partitions, (short) 1, MAX_MESSAGE_BYTES))
                    .ensureTopics(timeout);
            TopicSetup.awaitPartitionLeaders(admin, topics.all(), timeout);
        }
    }

    /**
     * The driver's producer: idempotent (acks=all, retries without end, at most 5 requests in flight), patient
     * through a broker outage (10 min delivery and block timeouts), and able to send a 60 MiB frame.
     */
    static KafkaProducer<String, byte[]> producer(String bootstrap, int priorityStreams) {
        Properties p = new Properties();
        if (priorityStreams > 0) {
            // The first priorityStreams streams on the reserved last partition.
            p.putAll(io.odecast.kafka.FramePartitioner.producerConfig(1,
                    java.util.List.of(ServiceConfig.priorityPattern(priorityStreams))));
        }
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.toString(Integer.MAX_VALUE));
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(192L * 1024 * 1024));
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** A read_committed consumer with no group, able to fetch records up to the topics' maximum size. */
    static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(MAX_MESSAGE_BYTES + 1024 * 1024));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(MAX_MESSAGE_BYTES + 1024 * 1024));
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Records of a topic read to the end, and whether the end was reached in time. */
    record Read(List<ConsumerRecord<String, byte[]>> records, boolean complete) {
    }

    /**
     * Every committed record of {@code topic} from the start to its end as of now (the last stable offset under
     * read_committed), grouped by partition in offset order.
     */
    static Read readAll(String bootstrap, String topic, Duration timeout) {
        Map<Integer, List<ConsumerRecord<String, byte[]>>> byPartition = new HashMap<>();
        boolean complete;
        try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrap)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                boolean done = true;
                for (TopicPartition tp : partitions) {
                    if (consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp)) {
                        done = false;
                        break;
                    }
                }
                if (done) {
                    complete = true;
                    break;
                }
                if (System.nanoTime() > deadline) {
                    complete = false;
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
                }
            }
        }
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        byPartition.keySet().stream().sorted().forEach(p -> {
            List<ConsumerRecord<String, byte[]>> list = byPartition.get(p);
            list.sort(Comparator.comparingLong(ConsumerRecord::offset));
            out.addAll(list);
        });
        return new Read(out, complete);
    }

    /** An admin client with short timeouts, for the harness's lag checks while the run goes on. */
    static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "4000");
        return Admin.create(p);
    }

    /**
     * The consumer group's lag on {@code topic}: per partition its end offset less the group's committed offset
     * (the whole partition where nothing is committed), summed; -1 when the broker does not answer in time.
     */
    static long lag(Admin admin, String group, String topic) {
        try {
            Map<TopicPartition, Long> committed = new HashMap<>();
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(6, TimeUnit.SECONDS);
            offsets.forEach((tp, om) -> {
                if (om != null && tp.topic().equals(topic)) {
                    committed.put(tp, om.offset());
                }
            });
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(6, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            for (int i = 0; i < partitions; i++) {
                latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
                earliest.put(new TopicPartition(topic, i), OffsetSpec.earliest());
            }
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(latest).all().get(6, TimeUnit.SECONDS).forEach((tp, info) -> end.put(tp, info.offset()));
            Map<TopicPartition, Long> start = new HashMap<>();
            admin.listOffsets(earliest).all().get(6, TimeUnit.SECONDS).forEach((tp, info) -> start.put(tp,
                    info.offset()));
            return lag(end, start, committed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** Summed lag: end less committed per partition, end less start where nothing is committed. */
    static long lag(Map<TopicPartition, Long> end, Map<TopicPartition, Long> start,
                    Map<TopicPartition, Long> committed) {
        long sum = 0;
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            Long c = committed.get(e.getKey());
            long from = c != null ? c : start.getOrDefault(e.getKey(), 0L);
            sum += Math.max(0, e.getValue() - from);
        }
        return sum;
    }
}
