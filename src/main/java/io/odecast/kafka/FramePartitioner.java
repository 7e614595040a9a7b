package io.odecast.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * Puts a stream's frames on its side of the partitions the service reserves for high-priority streams
 * ({@code odecast.kafka.priority-partitions = N}: the last N partitions of the frames topic, served by each instance's
 * priority lane). Bulk streams hash over the first partitions, high-priority ones over the reserved ones, both by the
 * same murmur2 hash of the key as Kafka's default partitioner, so that with N = 0 every key lands where the default
 * partitioner puts it. A stream's partition must not change while it runs (its state snapshots live in the
 * co-partitioned state topic): change N or a stream's priority only with a fresh start of those streams.
 *
 * <p>Any Java producer can use it: {@code partitioner.class = io.odecast.kafka.FramePartitioner},
 * {@value #RESERVED_CONFIG} = N, {@value #STREAMS_CONFIG} = the high-priority streams' patterns in the syntax of the
 * service's stream rules (globs, or {@code regex:...}): a {@code List} of them, or one comma-separated string (then no
 * pattern may hold a comma). They should name the streams whose rules say {@code priority = high}; the service takes
 * the first rule that matches a stream, so a narrower {@code normal} rule ahead of a broader {@code high} one must be
 * left out here as well. Producers in other languages compute the same with
 * {@link #partition(String, boolean, int, int)}'s rule.
 */
public final class FramePartitioner implements Partitioner {
    /** Producer property: how many partitions, the last ones, are reserved for high-priority streams. */
    public static final String RESERVED_CONFIG = "odecast.priority-partitions";
    /** Producer property: the high-priority streams, comma-separated patterns as in the service's stream rules. */
    public static final String STREAMS_CONFIG = "odecast.priority-streams";

    private int reserved;
    private final List<Pattern> high = new ArrayList<>();

    @Override
    public void configure(Map<String, ?> configs) {
        Object r = configs.get(RESERVED_CONFIG);
        reserved = r == null ? 0 : Integer.parseInt(r.toString().trim());
        if (reserved < 0) {
            throw new IllegalArgumentException(RESERVED_CONFIG + " must be >= 0, got " + reserved);
        }
        Object s = configs.get(STREAMS_CONFIG);
        // A list (from code: any pattern) or a comma-separated string (from a properties file: no commas in patterns).
        Iterable<?> patterns = s instanceof java.util.Collection<?> list ? list
                : s == null ? List.of() : List.of(s.toString().split(","));
        for (Object p : patterns) {
            String pattern = p.toString().trim();
            if (!pattern.isEmpty()) {
                try {
                    high.add(StreamPatterns.compile(pattern));
                } catch (java.util.regex.PatternSyntaxException e) {
                    throw new IllegalArgumentException(STREAMS_CONFIG + ": not a pattern: " + pattern, e);
                }
            }
        }
    }

    /** Whether {@code streamId} is one of the configured high-priority streams. */
    boolean isHighPriority(String streamId) {
        return high.stream().anyMatch(p -> p.matcher(streamId).matches());
    }

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        if (key == null) {
            throw new IllegalArgumentException("a frame needs its stream id as the record key");
        }
        int partitions = cluster.partitionsForTopic(topic).size();
        // A key serialised by the producer (byte[] with ByteArraySerializer) is the stream id's UTF-8 bytes; its
        // toString() would be the array's identity, a different partition at every call.
        String streamId = key instanceof String s ? s : new String(keyBytes, StandardCharsets.UTF_8);
        return partition(streamId, isHighPriority(streamId), partitions, reserved);
    }

    /**
     * The partition of a stream's frames: with {@code reserved} of {@code partitions} reserved (at most all but one),
     * {@code toPositive(murmur2(utf8(streamId)))} modulo the partitions of its side, counted from its side's first
     * partition (0 for bulk streams, {@code partitions - reserved} for high-priority ones).
     */
    public static int partition(String streamId, boolean highPriority, int partitions, int reserved) {
        if (partitions < 1) {
            throw new IllegalArgumentException("a topic has at least one partition, got " + partitions);
        }
        int r = reservedCount(partitions, reserved);
        int hash = Utils.toPositive(Utils.murmur2(streamId.getBytes(StandardCharsets.UTF_8)));
        return highPriority && r > 0 ? partitions - r + hash % r : hash % (partitions - r);
    }

    /**
     * How many of {@code partitions} are reserved when {@code reserved} are asked for: at most all but one, so bulk
     * streams always keep a partition. The service's assignor and engine count them the same way.
     */
    public static int reservedCount(int partitions, int reserved) {
        return Math.max(0, Math.min(reserved, partitions - 1));
    }

    /** Whether {@code partition} of a topic of {@code partitions} is one of the reserved ones (the last). */
    public static boolean isReserved(int partition, int partitions, int reserved) {
        return partition >= partitions - reservedCount(partitions, reserved);
    }

    /**
     * Producer properties that route with this partitioner: {@code reserved} partitions for the streams matching
     * {@code highPriority} (patterns as in the service's stream rules).
     */
    public static Map<String, Object> producerConfig(int reserved, List<String> highPriority) {
        return Map.of(org.apache.kafka.clients.producer.ProducerConfig.PARTITIONER_CLASS_CONFIG,
                FramePartitioner.class.getName(), RESERVED_CONFIG, Integer.toString(reserved),
                STREAMS_CONFIG, List.copyOf(highPriority));
    }

    @Override
    public void close() {
    }
}
