package io.odecast.stream;

import io.odecast.kafka.ForecastCodec;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    private long recordsRead;

    StateTopicReader(KafkaConsumer<String, byte[]> consumer, Duration timeout) {
        this.consumer = consumer;
        this.timeout = timeout;
    }

    /**
     * Replaces the store's snapshots of {@code partitions} by those on the state topic's partitions of those
     * numbers, read together in one pass: from a partition folder's checkpoint when it has a usable one (written at
     * a clean hand-over, for this topic of this cluster, younger than the checkpoints' maximum age, and within the
     * partition's offsets), else from the beginning into an emptied folder.
     *
     * @return the number of streams with a snapshot, per partition
     * @throws IllegalStateException when the end is not reached within the timeout
     */
    Map<Integer, Integer> restore(String topic, Collection<Integer> partitions, SnapshotStore store,
                                  java.time.Instant now, StateCheckpoints checkpoints) {
        List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p)).toList();
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(tps, timeout);
        Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
        Map<TopicPartition, Long> from = new java.util.HashMap<>();
        List<Integer> incremental = new java.util.ArrayList<>();
        for (TopicPartition tp : tps) {
            int p = tp.partition();
            java.util.Optional<Long> checkpoint = store.takeCheckpoint(p, now, checkpoints);
            if (checkpoint.isPresent() && checkpoint.get() >= beginning.get(tp) && checkpoint.get() <= end.get(tp)) {
                from.put(tp, checkpoint.get());
                incremental.add(p);
            } else {
                store.clear(p);
                from.put(tp, beginning.get(tp));
            }
        }
        // To the ends the checkpoints were checked against; a restore is bounded by the timeout as a whole.
        Map<Integer, Long> reached = new HashMap<>();
        long records;
        try {
            records = TopicScan.read(consumer, from, end, timeout, timeout, r -> {
                store.put(r.partition(), r.key(), r.value(), java.time.Instant.ofEpochMilli(r.timestamp()));
                reached.put(r.partition(), r.offset() + 1);
            });
        } catch (RuntimeException e) {
            // What was read is kept: each folder now equals its partition up to the record after the last one put,
            // and a checkpoint there lets the next assignment go on from it (a partition too large to read within
            // the timeout gets through in several attempts instead of restarting from nothing each time).
            if (checkpoints.enabled()) {
                for (TopicPartition tp : tps) {
                    Long at = reached.get(tp.partition());
                    if (at != null) {
                        store.checkpoint(tp.partition(), at, now, checkpoints.identity());
                    }
                }
                LOG.warn("Restore of partitions {} of {} stopped ({}); progress kept for the next attempt: {}",
                        partitions, topic, e.getMessage(), reached);
            }
            throw e;
        }
        recordsRead += records;
        Map<Integer, Integer> counts = new java.util.TreeMap<>();
        partitions.forEach(p -> counts.put(p, store.count(p)));
        LOG.info("Restored partitions {} of {} from {} records{}: snapshots of {} streams", partitions, topic, records,
                incremental.isEmpty() ? "" : " (partitions " + incremental + " from their checkpoints)", counts);
        return counts;
    }

    /** State records read by restores so far. */
    long recordsRead() {
        return recordsRead;
    }

    /**
     * The end offset of {@code topic}'s {@code partition} under the reader's isolation level: with exactly-once the
     * last stable offset, which may still be below this loop's own just-committed records while their markers are
     * written (they are then read again: harmless).
     */
    long end(String topic, int partition) {
        return end(topic, List.of(partition)).get(partition);
    }

    /** {@link #end(String, int)} of several partitions in one request, by partition number. */
    Map<Integer, Long> end(String topic, Collection<Integer> partitions) {
        List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p)).toList();
        Map<Integer, Long> out = new HashMap<>();
        consumer.endOffsets(tps, timeout).forEach((tp, offset) -> out.put(tp.partition(), offset));
        return out;
    }

    /** The newest input offset of {@code partition}'s frames with a forecast on the forecasts topic, or -1. */
    long newestForecastInput(String topic, int partition) {
        TopicPartition tp = new TopicPartition(topic, partition);
        long begin = consumer.beginningOffsets(List.of(tp), timeout).get(tp);
        long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
        long[] newest = {-1};
        TopicScan.read(consumer, Map.of(tp, Math.max(begin, end - FORECAST_TAIL)), Map.of(tp, end), timeout, timeout,
                r -> {
                    if (r.value() == null) {
                        return;
                    }
                    try {
                        ForecastCodec.InputPosition at = ForecastCodec.inputPosition(r.value());
                        if (at.partition() == partition) {
                            newest[0] = Math.max(newest[0], at.offset());
                        }
                    } catch (IllegalArgumentException e) {
                        LOG.debug("Not a Forecast at {}-{}@{}", r.topic(), r.partition(), r.offset());
                    }
                });
        return newest[0];
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
