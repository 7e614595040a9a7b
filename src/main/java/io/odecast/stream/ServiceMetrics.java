package io.odecast.stream;

import io.odecast.kafka.DeadLetterReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a running service; thread-safe, read at any time. Single timings and sizes also go to a
 * {@link ServiceObserver} (histograms).
 */
public final class ServiceMetrics {
    /** Buckets of {@link #batchSizeHistogram()}: sizes 1, 2-3, 4-7, ..., 2^14 and more. */
    public static final int BATCH_SIZE_BUCKETS = 15;

    private final ServiceObserver observer;
    private final LongAdder framesReceived = new LongAdder();
    private final LongAdder framesAccepted = new LongAdder();
    private final LongAdder forecastsEmitted = new LongAdder();
    private final LongAdder framesFilled = new LongAdder();
    private final LongAdder framesProvisional = new LongAdder();
    private final Map<DeadLetterReason, LongAdder> deadLettered = new EnumMap<>(DeadLetterReason.class);
    private final LongAdder decoderBatches = new LongAdder();
    private static final int RECENT = 1024;
    private final long[] recentLatency = new long[RECENT];
    private final long[] recentAt = new long[RECENT];
    private long recentNext;
    private final LongAccumulator largestBatch = new LongAccumulator(Math::max, 0);
    private final LongAdder batchedRequests = new LongAdder();
    private final LongAdder mergedCalls = new LongAdder();
    private final LongAdder urgentCalls = new LongAdder();
    private final LongAdder urgentRequests = new LongAdder();
    private final LongAdder[] batchSizes = new LongAdder[BATCH_SIZE_BUCKETS];
    private final AtomicLong streamsEvicted = new AtomicLong();
    private final LongAdder snapshotsWritten = new LongAdder();
    private final LongAdder streamsRestored = new LongAdder();
    private final LongAdder framesSkipped = new LongAdder();
    private final LongAdder framesReplayed = new LongAdder();
    private final LongAdder forecastsMarkedReplayed = new LongAdder();
    private final LongAdder streamRestarts = new LongAdder();
    private final LongAdder engineRestarts = new LongAdder();
    private final LongAdder pollsHeldForRebalance = new LongAdder();
    private final LongAdder partitionsLost = new LongAdder();
    private final LongAdder streamsForgotten = new LongAdder();
    private final LongAdder stateRecordsRestored = new LongAdder();
    private final LongAdder modelNanos = new LongAdder();
    private final LongAdder callNanos = new LongAdder();
    private final LongAdder urgentCallNanos = new LongAdder();
    private final LongAdder commitNanos = new LongAdder();
    private final LongAdder commits = new LongAdder();
    private final java.util.List<EngineGauges> engines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final LongAdder forecastsDelivered = new LongAdder();
    private final Object busyLock = new Object();
    private int modelRuns;
    private long busySince;

    /**
     * One consumer loop's gauges (its streams, state bytes, partitions and lag); the service's figures are their
     * sums. Written by its loop only.
     */
    static final class EngineGauges {
        private volatile long streams;
        private volatile long bytes;
        private volatile long partitions;
        private volatile Map<Integer, Long> lag = Map.of();
        private volatile long behindMillis;

        void memory(long streams, long bytes, long partitions) {
            this.streams = streams;
            this.bytes = bytes;
            this.partitions = partitions;
        }

        void consumerLag(Map<Integer, Long> lag) {
            this.lag = Map.copyOf(lag);
        }

        void behind(long millis) {
            this.behindMillis = millis;
        }
    }

    /** Counters without an observer. */
    public ServiceMetrics() {
        this(ServiceObserver.NONE);
    }

    /** Counters that also pass every timing and size to {@code observer}. */
    public ServiceMetrics(ServiceObserver observer) {
        this.observer = observer;
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            deadLettered.put(reason, new LongAdder());
        }
        for (int i = 0; i < BATCH_SIZE_BUCKETS; i++) {
            batchSizes[i] = new LongAdder();
        }
    }

    /** Input records read for processing (records replayed to rebuild state after an assignment excluded). */
    public long framesReceived() {
        return framesReceived.sum();
    }

    void frameReceived() {
        framesReceived.increment();
    }

    /** Frames that passed validation and were handed to the model. */
    public long framesAccepted() {
        return framesAccepted.sum();
    }

    /** Forecast messages produced (one per accepted frame, again for replayed frames). */
    public long forecastsEmitted() {
        return forecastsEmitted.sum();
    }

    /** Regular frames flagged FILLED that were produced. */
    public long framesFilled() {
        return framesFilled.sum();
    }

    /** Regular frames flagged PROVISIONAL that were produced. */
    public long framesProvisional() {
        return framesProvisional.sum();
    }

    void framesProvisional(int n) {
        framesProvisional.add(n);
    }

    /** Records sent to the dead-letter topic for {@code reason}. */
    public long deadLettered(DeadLetterReason reason) {
        return deadLettered.get(reason).sum();
    }

    /** Records sent to the dead-letter topic, for every reason. */
    public long deadLettered() {
        return deadLettered.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Batched model calls the decoder ran (advance, forecast and interpolate calls each count one). */
    public long decoderBatches() {
        return decoderBatches.sum();
    }

    /** The most requests in one model call. */
    public long largestBatch() {
        return largestBatch.get();
    }

    /** Model calls that ran the waiting requests of several steps (several consumer loops' steps) together. */
    public long mergedCalls() {
        return mergedCalls.sum();
    }

    /** Model calls of engine steps taken for a high-priority stream's frame (they go ahead of the waiting calls). */
    public long urgentCalls() {
        return urgentCalls.sum();
    }

    /** Requests served by all model calls; divided by {@link #decoderBatches()} it is the mean batch size. */
    public long batchedRequests() {
        return batchedRequests.sum();
    }

    /**
     * The part of {@link #batchedRequests()} served by {@link #urgentCalls()}: without both, the bulk calls' mean
     * batch size.
     */
    public long urgentRequests() {
        return urgentRequests.sum();
    }

    /**
     * Model calls by size: element {@code i} counts the calls of {@code 2^i} to {@code 2^(i+1) - 1} requests (the
     * last bucket everything larger), so a batching change shows as a shift between buckets.
     */
    public long[] batchSizeHistogram() {
        long[] counts = new long[BATCH_SIZE_BUCKETS];
        for (int i = 0; i < BATCH_SIZE_BUCKETS; i++) {
            counts[i] = batchSizes[i].sum();
        }
        return counts;
    }

    /** Streams whose state was dropped from memory (idle, or beyond max-active-streams). */
    public long streamsEvicted() {
        return streamsEvicted.get();
    }

    /** State snapshots produced (periodic and on eviction). */
    public long snapshotsWritten() {
        return snapshotsWritten.sum();
    }

    /** Streams whose state came back from a snapshot (after assignment, or returning after eviction). */
    public long streamsRestored() {
        return streamsRestored.sum();
    }

    /** Frames skipped because their stream's restored snapshot already includes them. */
    public long framesSkipped() {
        return framesSkipped.sum();
    }

    void snapshotWritten(long nanos) {
        snapshotsWritten.increment();
        observer.snapshotWritten(nanos);
    }

    void streamRestored() {
        streamsRestored.increment();
    }

    void frameSkipped() {
        framesSkipped.increment();
    }

    void frameAccepted() {
        framesAccepted.increment();
    }

    void forecastEmitted() {
        forecastsEmitted.increment();
    }

    void framesFilled(int n) {
        framesFilled.add(n);
    }

    void deadLetter(DeadLetterReason reason) {
        deadLettered.get(reason).increment();
    }

    void callMerged() {
        mergedCalls.increment();
    }

    /** A model call of {@code size} requests that took {@code nanos}; {@code urgent}: a high-priority call. */
    void batchRun(int size, long nanos, boolean urgent) {
        if (urgent) {
            urgentCalls.increment();
            urgentRequests.add(size);
            urgentCallNanos.add(nanos);
        }
        decoderBatches.increment();
        batchedRequests.add(size);
        largestBatch.accumulate(size);
        batchSizes[Math.min(BATCH_SIZE_BUCKETS - 1, 31 - Integer.numberOfLeadingZeros(Math.max(1, size)))].increment();
        callNanos.add(nanos);
        observer.modelCall(size, nanos);
    }

    /**
     * Seconds of model calls summed over calls (calls on two workers at once count twice): divided by the requests
     * they served, a forecast's cost in a worker's time, comparable with the model timed alone.
     */
    public double modelCallSeconds() {
        return callNanos.sum() * 1e-9;
    }

    /** The part of {@link #modelCallSeconds()} spent in high-priority calls (on the urgent workers, when there are). */
    public double urgentCallSeconds() {
        return urgentCallNanos.sum() * 1e-9;
    }

    /** Gauges for one more consumer loop, counted into the service's figures from now on. */
    EngineGauges engineGauges() {
        EngineGauges g = new EngineGauges();
        engines.add(g);
        return g;
    }

    /**
     * A step's model calls started; with {@link #modelFinished()} this measures the wall time during which any model
     * call ran (calls on several workers or of several consumer loops at once count once).
     */
    void modelStarted() {
        synchronized (busyLock) {
            if (modelRuns++ == 0) {
                busySince = System.nanoTime();
            }
        }
    }

    /** A step's model calls finished. */
    void modelFinished() {
        synchronized (busyLock) {
            if (--modelRuns == 0) {
                modelNanos.add(System.nanoTime() - busySince);
            }
        }
    }

    /** Frames absorbed again without output after a partition was assigned (state rebuild up to the commit). */
    public long framesReplayed() {
        return framesReplayed.sum();
    }

    /** Forecasts produced with the REPLAYED flag (at-least-once, frames whose outputs may exist already). */
    public long forecastsMarkedReplayed() {
        return forecastsMarkedReplayed.sum();
    }

    /** Streams whose state restarted from a frame after a gap beyond max-gap or max-substeps. */
    public long streamRestarts() {
        return streamRestarts.sum();
    }

    /** Times the engine failed (broker outage, commit timeout, hung decoder) and started again. */
    public long engineRestarts() {
        return engineRestarts.sum();
    }

    /**
     * Polls after which a consumer loop held its step because a rebalance round was in progress (no commit can succeed
     * then; the records wait in the buffer until the round ends).
     */
    public long pollsHeldForRebalance() {
        return pollsHeldForRebalance.sum();
    }

    void heldForRebalance() {
        pollsHeldForRebalance.increment();
    }

    /**
     * Times a consumer loop learnt that the group had moved on without it (a step longer than max.poll.interval.ms, a
     * session timeout, an operator removing the member): its partitions' uncommitted work was dropped and they were
     * taken up again, if given back, from the last commit.
     */
    public long partitionsLost() {
        return partitionsLost.sum();
    }

    void lostPartitions() {
        partitionsLost.increment();
    }

    /** Offset (or transaction) commits. */
    public long commits() {
        return commits.sum();
    }

    /** Seconds spent inside model calls. */
    public double modelSeconds() {
        return modelNanos.sum() * 1e-9;
    }

    /** Streams whose state is in memory now. */
    public long activeStreams() {
        return engines.stream().mapToLong(g -> g.streams).sum();
    }

    /** Bytes of stream state in memory now (measured from the state arrays). */
    public long stateBytes() {
        return engines.stream().mapToLong(g -> g.bytes).sum();
    }

    /**
     * Consumer loops that own at least one partition, counting {@code self} by its current partitions {@code own}
     * (its gauge may not have been published yet) and the others by their gauges.
     */
    int loopsOwningPartitions(EngineGauges self, int own) {
        return (int) engines.stream().filter(g -> g != self && g.partitions > 0).count() + (own > 0 ? 1 : 0);
    }

    /** Partitions this instance owns now. */
    public long assignedPartitions() {
        return engines.stream().mapToLong(g -> g.partitions).sum();
    }

    void frameReplayed() {
        framesReplayed.increment();
    }

    void forecastMarkedReplayed() {
        forecastsMarkedReplayed.increment();
    }

    void streamRestarted() {
        streamRestarts.increment();
    }

    void engineRestarted() {
        engineRestarts.increment();
    }

    void committed(long nanos) {
        commits.increment();
        commitNanos.add(nanos);
        observer.committed(nanos);
    }

    /** Time the engine spent producing outputs and committing (part of it overlaps model calls). */
    public double commitSeconds() {
        return commitNanos.sum() * 1e-9;
    }

    void forecastDelivered(long millis) {
        forecastsDelivered.increment();
        observer.forecastDelivered(millis);
        synchronized (recentLatency) {
            recentLatency[(int) (recentNext % RECENT)] = millis;
            recentAt[(int) (recentNext % RECENT)] = System.nanoTime();
            recentNext++;
        }
    }

    /**
     * The 99th percentile of the arrival-to-forecast latencies of forecasts delivered within {@code window} (of the
     * last 1024 at most), in milliseconds; -1 when none was delivered in it. What a co-located training actor reads
     * to hold back while serving is slow.
     */
    public long recentLatencyP99(java.time.Duration window) {
        long since = System.nanoTime() - window.toNanos();
        long[] values;
        int n = 0;
        synchronized (recentLatency) {
            int count = (int) Math.min(recentNext, RECENT);
            values = new long[count];
            for (int i = 0; i < count; i++) {
                if (recentAt[i] - since >= 0) {
                    values[n++] = recentLatency[i];
                }
            }
        }
        if (n == 0) {
            return -1;
        }
        long[] in = java.util.Arrays.copyOf(values, n);
        java.util.Arrays.sort(in);
        return in[Math.min(n - 1, (int) Math.ceil(0.99 * n) - 1)];
    }

    /** Forecasts whose outputs were acknowledged (or committed in a transaction); each has a latency observed. */
    public long forecastsDelivered() {
        return forecastsDelivered.sum();
    }

    /**
     * Records not yet fetched per assigned partition of the frames topic, as of the last poll (the consumer's log end
     * offset minus its position); partitions without a known end are left out.
     */
    public Map<Integer, Long> consumerLag() {
        Map<Integer, Long> all = new java.util.TreeMap<>();
        engines.forEach(g -> all.putAll(g.lag));
        return all;
    }

    /**
     * The longest time, in seconds, that one of this instance's partitions has gone without being caught up (no lag,
     * nothing buffered) as of the last engine step: 0 when all are. Streams are forgotten for state-retention only
     * up to that point, so a value that keeps growing means a backlog that never drains.
     */
    public double secondsBehind() {
        return engines.stream().mapToLong(g -> g.behindMillis).max().orElse(0) / 1000.0;
    }

    void streamEvicted() {
        streamsEvicted.incrementAndGet();
    }

    /**
     * Streams forgotten after {@code state-retention} without a frame: snapshot deleted from the local store, a
     * tombstone on the state topic.
     */
    public long streamsForgotten() {
        return streamsForgotten.sum();
    }

    void streamsForgotten(int count) {
        streamsForgotten.add(count);
    }

    /**
     * State-topic records read to rebuild local stores at assignments: the whole partition, or after a clean
     * hand-over only what follows the folder's checkpoint.
     */
    public long stateRecordsRestored() {
        return stateRecordsRestored.sum();
    }

    void stateRecordsRestored(long count) {
        stateRecordsRestored.add(count);
    }

    @Override
    public String toString() {
        return "ServiceMetrics[accepted=" + framesAccepted() + ", forecasts=" + forecastsEmitted() + ", filled="
                + framesFilled() + ", provisional=" + framesProvisional() + ", deadLettered=" + deadLettered()
                + ", batches=" + decoderBatches()
                + ", largestBatch=" + largestBatch() + ", batchedRequests=" + batchedRequests() + ", snapshots="
                + snapshotsWritten() + ", restored=" + streamsRestored() + ", skipped=" + framesSkipped()
                + ", replayed=" + framesReplayed() + ", markedReplayed=" + forecastsMarkedReplayed() + ", restarts="
                + streamRestarts() + ", engineRestarts=" + engineRestarts() + ", commits=" + commits() + ", activeStreams=" + activeStreams()
                + ", stateBytes=" + stateBytes() + "]";
    }
}
