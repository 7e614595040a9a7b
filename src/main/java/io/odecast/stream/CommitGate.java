package io.odecast.stream;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Holds back offset commits until the frames they cover are in snapshots: a partition's offset may be
 * committed only up to, not including, the oldest frame that some stream absorbed after its last snapshot.
 * Then a restart resumes at or before every frame a restored state lacks, and the states come back exact.
 *
 * <p>Called in input order (one stream stage at a time); {@code T} is the consumer's committable offset. A frame's
 * commit token is released with the outputs of that frame or a later one of its partition; since outputs are
 * acknowledged in input order, a snapshot produced with frame {@code n} is acknowledged before any token released
 * with frame {@code n} or later is committed.
 */
final class CommitGate<T> {

    /** What a frame does to its stream's snapshot coverage. */
    enum Coverage {
        /** Not absorbed (rejected, skipped, or snapshots disabled). */
        NONE,
        /** Absorbed, and not yet in a snapshot. */
        UNCOVERS,
        /** Absorbed, and a snapshot including it goes out with its outputs. */
        COVERS
    }

    private record Pending<T>(long offset, T token) {
    }

    private static final class Partition<T> {
        final Map<String, Long> firstUncovered = new HashMap<>();
        final TreeMap<Long, String> uncoveredByOffset = new TreeMap<>();
        final ArrayDeque<Pending<T>> pending = new ArrayDeque<>();

        void cover(String stream) {
            Long offset = firstUncovered.remove(stream);
            if (offset != null) {
                uncoveredByOffset.remove(offset);
            }
        }
    }

    private final Map<TopicPartition, Partition<T>> partitions = new HashMap<>();

    /**
     * Records a frame and returns the newest token that may now be committed, if any.
     *
     * @param stream the frame's stream id; ignored for {@link Coverage#NONE}
     */
    Optional<T> passed(TopicPartition tp, long offset, T token, String stream, Coverage coverage) {
        Partition<T> p = partitions.computeIfAbsent(tp, k -> new Partition<>());
        p.pending.addLast(new Pending<>(offset, token));
        if (coverage == Coverage.UNCOVERS && !p.firstUncovered.containsKey(stream)) {
            p.firstUncovered.put(stream, offset);
            p.uncoveredByOffset.put(offset, stream);
        } else if (coverage == Coverage.COVERS) {
            p.cover(stream);
        }
        long limit = p.uncoveredByOffset.isEmpty() ? Long.MAX_VALUE : p.uncoveredByOffset.firstKey();
        T released = null;
        while (!p.pending.isEmpty() && p.pending.peekFirst().offset() < limit) {
            released = p.pending.removeFirst().token();
        }
        return Optional.ofNullable(released);
    }

    /** A snapshot with the stream's whole state goes out with the next frame's outputs (idle eviction). */
    void covered(String stream) {
        partitions.values().forEach(p -> p.cover(stream));
    }
}
