package io.odecast.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads partitions from given offsets up to given end offsets with an assigned consumer: the one loop behind a
 * restore of state partitions, the forecasts topic's tail, the dead-letter index and replay, and the state
 * repartitioner. Records at or past a partition's end are not handed on (they arrived after the end was taken,
 * or lie beyond the asked range), and a partition that has reached its end is paused, so that live traffic on it
 * neither costs fetches nor counts as progress. Progress is a record below its end or a position that moved
 * towards its end (under read_committed a transaction marker moves the position with no record); the read fails
 * after {@code idle} without any, and, when a total limit is given, after that limit whatever the progress.
 */
final class TopicScan {

    private TopicScan() {
    }

    /**
     * Reads each partition of {@code from} from its offset to its {@code end} offset (exclusive).
     *
     * @param total the longest the whole read may take, or null for no limit beyond {@code idle}
     * @return the number of records handed to {@code each}
     * @throws IllegalArgumentException when a partition has no end offset, or its end lies before its start (a
     *         range that would read nothing without saying so: a checkpoint from another incarnation of the topic, or
     *         offsets swapped by the caller)
     * @throws IllegalStateException after {@code idle} with no progress, or past {@code total}
     */
    static <K, V> long read(KafkaConsumer<K, V> consumer, Map<TopicPartition, Long> from,
                            Map<TopicPartition, Long> end, Duration idle, Duration total,
                            Consumer<ConsumerRecord<K, V>> each) {
        List<TopicPartition> tps = List.copyOf(from.keySet());
        for (TopicPartition tp : tps) {
            Long stop = end.get(tp);
            if (stop == null) {
                throw new IllegalArgumentException("no end offset for " + tp + " (ends given: " + end + ")");
            }
            if (stop < from.get(tp)) {
                throw new IllegalArgumentException("cannot read " + tp + " from offset " + from.get(tp)
                        + ": its end offset is " + stop);
            }
        }
        consumer.assign(tps);
        // A consumer used for an earlier read may hold these partitions paused (assign keeps that for partitions
        // that stay assigned).
        consumer.resume(tps);
        tps.forEach(tp -> consumer.seek(tp, from.get(tp)));
        RuntimeException failed = null;
        try {
            return readAssigned(consumer, tps, end, idle, total, each);
        } catch (RuntimeException e) {
            failed = e;
            throw e;
        } finally {
            try {
                consumer.resume(consumer.paused());
            } catch (RuntimeException e) {
                // A consumer closed or broken by the failure: that failure is the one to report.
                if (failed != null) {
                    failed.addSuppressed(e);
                } else {
                    throw e;
                }
            }
        }
    }

    private static <K, V> long readAssigned(KafkaConsumer<K, V> consumer, List<TopicPartition> tps,
                                            Map<TopicPartition, Long> end, Duration idle, Duration total,
                                            Consumer<ConsumerRecord<K, V>> each) {
        long started = System.nanoTime();
        long records = 0;
        long deadline = started + idle.toNanos();
        Set<TopicPartition> done = new HashSet<>();
        long reached = reached(consumer, tps, end, done, idle);
        while (done.size() < tps.size()) {
            boolean progress = false;
            for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                    progress = true;
                    records++;
                    each.accept(r);
                }
            }
            long now = reached(consumer, tps, end, done, idle);
            if (progress || now != reached) {
                reached = now;
                deadline = System.nanoTime() + idle.toNanos();
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no progress reading " + unfinished(tps, done) + " to the end offsets "
                        + end + " for " + idle);
            }
            if (total != null && System.nanoTime() - started > total.toNanos() && done.size() < tps.size()) {
                throw new IllegalStateException("could not read " + unfinished(tps, done) + " to the end offsets "
                        + end + " within " + total);
            }
        }
        return records;
    }

    /** {@link #read} to the partitions' end offsets now (under the consumer's isolation level), no total limit. */
    static <K, V> long readToEnd(KafkaConsumer<K, V> consumer, Map<TopicPartition, Long> from, Duration idle,
                                 Consumer<ConsumerRecord<K, V>> each) {
        return read(consumer, from, consumer.endOffsets(from.keySet(), idle), idle, null, each);
    }

    /**
     * The summed positions, each capped at its end; partitions newly at their end are paused and marked done.
     */
    private static long reached(KafkaConsumer<?, ?> consumer, List<TopicPartition> tps, Map<TopicPartition, Long> end,
                                Set<TopicPartition> done, Duration timeout) {
        long sum = 0;
        List<TopicPartition> finished = new ArrayList<>();
        for (TopicPartition tp : tps) {
            long limit = end.get(tp);
            long position = done.contains(tp) ? limit : Math.min(consumer.position(tp, timeout), limit);
            if (position >= limit && done.add(tp)) {
                finished.add(tp);
            }
            sum += position;
        }
        if (!finished.isEmpty()) {
            consumer.pause(finished);
        }
        return sum;
    }

    private static List<TopicPartition> unfinished(List<TopicPartition> tps, Set<TopicPartition> done) {
        return tps.stream().filter(tp -> !done.contains(tp)).toList();
    }
}
