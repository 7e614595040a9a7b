package io.odecast.stream;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads partitions from given offsets up to given end offsets with an assigned consumer: the one loop behind a
 * restore of state partitions, the forecasts topic's tail, the dead-letter index and replay, and the state
 * repartitioner. Records at or past a partition's end are not handed on (they arrived after the end was taken,
 * or lie beyond the asked range). Progress is a record or a position that moved (under read_committed a
 * transaction marker moves the position with no record), and the read fails only after {@code idle} without any,
 * so a long read that keeps moving is never cut short.
 */
final class TopicScan {

    private TopicScan() {
    }

    /**
     * Reads each partition of {@code from} from its offset to its {@code end} offset (exclusive).
     *
     * @return the number of records handed to {@code each}
     * @throws IllegalStateException after {@code idle} with no progress
     */
    static <K, V> long read(KafkaConsumer<K, V> consumer, Map<TopicPartition, Long> from,
                            Map<TopicPartition, Long> end, Duration idle, Consumer<ConsumerRecord<K, V>> each) {
        List<TopicPartition> tps = List.copyOf(from.keySet());
        consumer.assign(tps);
        tps.forEach(tp -> consumer.seek(tp, from.get(tp)));
        long records = 0;
        long deadline = System.nanoTime() + idle.toNanos();
        long positions = positions(consumer, tps, idle);
        while (tps.stream().anyMatch(tp -> consumer.position(tp, idle) < end.get(tp))) {
            boolean progress = false;
            for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
                progress = true;
                if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                    records++;
                    each.accept(r);
                }
            }
            long now = positions(consumer, tps, idle);
            if (progress || now != positions) {
                positions = now;
                deadline = System.nanoTime() + idle.toNanos();
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no progress reading " + tps + " to the end offsets " + end + " for "
                        + idle);
            }
        }
        return records;
    }

    /** {@link #read} to the partitions' end offsets now (under the consumer's isolation level). */
    static <K, V> long readToEnd(KafkaConsumer<K, V> consumer, Map<TopicPartition, Long> from, Duration idle,
                                 Consumer<ConsumerRecord<K, V>> each) {
        return read(consumer, from, consumer.endOffsets(from.keySet(), idle), idle, each);
    }

    private static long positions(KafkaConsumer<?, ?> consumer, List<TopicPartition> tps, Duration timeout) {
        long sum = 0;
        for (TopicPartition tp : tps) {
            sum += consumer.position(tp, timeout);
        }
        return sum;
    }
}
