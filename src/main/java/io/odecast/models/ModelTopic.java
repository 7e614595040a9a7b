package io.odecast.models;

import com.google.protobuf.InvalidProtocolBufferException;
import io.odecast.proto.ModelVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compacted models topic (key = model name, one partition): the latest record of a name is the version that
 * serves. Publishing a version appends it; a rollback appends an earlier version's record again. Until compaction
 * the topic also holds the history, which {@code odecast models list} shows.
 */
public final class ModelTopic {
    private static final Logger LOG = LoggerFactory.getLogger(ModelTopic.class);

    private final String topic;
    private final Map<String, Object> clientProperties;
    private final int maxMessageBytes;
    private final Duration timeout;

    /**
     * @param clientProperties bootstrap servers and common client properties
     * @param maxMessageBytes  the topic's {@code max.message.bytes} (the producer's request limit)
     */
    public ModelTopic(String topic, Map<String, Object> clientProperties, int maxMessageBytes, Duration timeout) {
        this.topic = topic;
        this.clientProperties = Map.copyOf(clientProperties);
        this.maxMessageBytes = maxMessageBytes;
        this.timeout = timeout;
    }

    public String topic() {
        return topic;
    }

    /** Appends a version; returns once the broker has it. */
    public void publish(ModelVersion version) {
        Map<String, Object> p = new LinkedHashMap<>(clientProperties);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(maxMessageBytes));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeout.toMillis()));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer())) {
            // Partition 0 always: followers read only that one (the topic has one; a topic made with more is
            // refused by TopicSetup.verify, and this keeps a version from going where no follower reads).
            producer.send(new ProducerRecord<>(topic, 0, version.getName(), version.toByteArray()))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot publish version " + version.getVersion() + " of model "
                    + version.getName() + " to " + topic + ": " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing to " + topic, e);
        }
        LOG.info("Published version {} of model {} (parent {}) to {}", version.getVersion(), version.getName(),
                version.getParentVersion().isEmpty() ? "none" : version.getParentVersion(), topic);
    }

    /** Every readable record of the topic, oldest first (what compaction has left of the history). */
    public List<ModelVersion> history() {
        List<ModelVersion> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(clientProperties, maxMessageBytes)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + topic + " did not reach its end offset " + end
                            + " within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    parse(r).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    /** The serving version of each model name: the latest record per key. */
    public Map<String, ModelVersion> latest() {
        Map<String, ModelVersion> out = new LinkedHashMap<>();
        history().forEach(v -> out.put(v.getName(), v));
        return out;
    }

    /** A version of a model from what the topic holds. */
    public Optional<ModelVersion> find(String name, String version) {
        return history().stream().filter(v -> v.getName().equals(name) && v.getVersion().equals(version))
                .reduce((a, b) -> b);
    }

    static KafkaConsumer<String, byte[]> consumer(Map<String, Object> clientProperties, int maxMessageBytes) {
        Map<String, Object> c = new LinkedHashMap<>(clientProperties);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(maxMessageBytes));
        c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(maxMessageBytes));
        return new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** A record as a version; a record that is not one is logged with its offset and skipped. */
    static Optional<ModelVersion> parse(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModelVersion.parseFrom(r.value()));
        } catch (InvalidProtocolBufferException e) {
            LOG.warn("{}-{}@{} (key {}) is not a ModelVersion, skipped: {}", r.topic(), r.partition(), r.offset(),
                    r.key(), e.getMessage());
            return Optional.empty();
        }
    }
}
