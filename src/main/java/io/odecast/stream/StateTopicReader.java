package io.odecast.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import io.odecast.proto.StateSnapshot;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the compacted state topic from its beginning to its end offsets as they are when reading starts, with a
 * plain consumer outside any group: the latest snapshot per stream, tombstones deleting.
 */
final class StateTopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(StateTopicReader.class);

    private StateTopicReader() {
    }

    /**
     * The latest snapshot of every stream on {@code topic}; records that do not parse are logged and skipped.
     *
     * @throws IllegalStateException when the end is not reached within {@code timeout}
     */
    static Map<String, StateSnapshot> readLatest(String bootstrapServers, String topic, int maxMessageBytes,
                                                 Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(maxMessageBytes));
        Map<String, StateSnapshot> latest = new HashMap<>();
        long records = 0;
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return Map.of();
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read state topic " + topic + " to its end offsets "
                            + end + " within " + timeout + "; check the brokers, or set odecast.snapshot.restore"
                            + " = false to start from empty states");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    records++;
                    if (r.value() == null) {
                        latest.remove(r.key());
                        continue;
                    }
                    try {
                        latest.put(r.key(), StateSnapshot.parseFrom(r.value()));
                    } catch (InvalidProtocolBufferException e) {
                        LOG.warn("Skipping {}-{}@{} on the state topic: not a StateSnapshot ({})", r.topic(),
                                r.partition(), r.offset(), e.getMessage());
                    }
                }
            }
        }
        LOG.info("Read {} records of state topic {}: snapshots of {} streams", records, topic, latest.size());
        return latest;
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
