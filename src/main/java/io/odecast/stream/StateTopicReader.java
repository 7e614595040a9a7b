package io.odecast.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import io.odecast.proto.Forecast;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads single partitions of the output topics with a consumer outside any group (assign, not subscribe), for
 * what an instance needs when it is assigned a partition: the partition's snapshots from the state topic into
 * the local store (latest per stream, tombstones deleting), and, at-least-once, the newest input offset with a
 * forecast on the forecasts topic (what a replay may repeat). Reads under the consumer's isolation level, so with
 * exactly-once it sees only committed snapshots.
 */
final class StateTopicReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StateTopicReader.class);
    /** How many of the newest forecast records are read to find the newest input offset. */
    private static final int FORECAST_TAIL = 64;

    private final KafkaConsumer<String, byte[]> consumer;
    private final Duration timeout;

    StateTopicReader(KafkaConsumer<String, byte[]> consumer, Duration timeout) {
        this.consumer = consumer;
        this.timeout = timeout;
    }

    /**
     * Replaces the store's snapshots of {@code partition} by those on the state topic's partition of that number.
     *
     * @return the number of streams with a snapshot
     * @throws IllegalStateException when the end is not reached within the timeout
     */
    int restore(String topic, int partition, SnapshotStore store) {
        TopicPartition tp = new TopicPartition(topic, partition);
        store.clear(partition);
        java.util.Set<String> streams = new java.util.HashSet<>();
        long records = readToEnd(tp, consumer.beginningOffsets(List.of(tp), timeout).get(tp), r -> {
            store.put(partition, r.key(), r.value());
            if (r.value() == null) {
                streams.remove(r.key());
            } else {
                streams.add(r.key());
            }
        });
        LOG.info("Restored partition {}: {} records of {}, snapshots of {} streams", partition, records, topic,
                streams.size());
        return streams.size();
    }

    /** The newest input offset of {@code partition}'s frames with a forecast on the forecasts topic, or -1. */
    long newestForecastInput(String topic, int partition) {
        TopicPartition tp = new TopicPartition(topic, partition);
        long begin = consumer.beginningOffsets(List.of(tp), timeout).get(tp);
        long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
        long[] newest = {-1};
        readToEnd(tp, Math.max(begin, end - FORECAST_TAIL), r -> {
            if (r.value() == null) {
                return;
            }
            try {
                Forecast f = Forecast.parseFrom(r.value());
                if (f.getInputPartition() == partition) {
                    newest[0] = Math.max(newest[0], f.getInputOffset());
                }
            } catch (InvalidProtocolBufferException e) {
                LOG.debug("Not a Forecast at {}-{}@{}", r.topic(), r.partition(), r.offset());
            }
        });
        return newest[0];
    }

    private long readToEnd(TopicPartition tp, long from, java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        consumer.assign(List.of(tp));
        consumer.seek(tp, from);
        Map<TopicPartition, Long> end = consumer.endOffsets(List.of(tp), timeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        long records = 0;
        while (consumer.position(tp, timeout) < end.get(tp)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + tp + " to its end offset " + end.get(tp)
                        + " within " + timeout);
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                records++;
                each.accept(r);
            }
        }
        return records;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
