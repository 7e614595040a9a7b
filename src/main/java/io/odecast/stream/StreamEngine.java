package io.odecast.stream;

import io.odecast.kafka.DeadLetterPublisher;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop that owns partitions and their streams, in the manner of a Kafka Streams stream thread: one
 * thread holds the group consumer, the producer and one {@link PartitionTask} per assigned partition, and repeats
 * one step: poll, process the batch ({@link StreamProcessor}: validation, per-stream order, batched model calls),
 * produce its outputs and commit its offsets — in one Kafka transaction with {@code exactly-once}
 * ({@code sendOffsetsToTransaction} with the consumer's group metadata, KIP-447), or after every output is
 * acknowledged with {@code at-least-once}.
 *
 * <p>Partition ownership follows the consumer group, with Kafka as the only coordinator. Rebalance callbacks run on
 * this thread inside {@code poll}, between steps, so nothing is in flight when they run: on assignment the
 * partition's snapshots are read from the co-partitioned state topic into the local store and the consumer seeks
 * back to the replay point kept in the commit's metadata (frames from there to the committed offset rebuild state
 * without output); on revocation the partition's dirty streams are snapshotted and committed, then dropped.
 *
 * <p>Survival: any failure of a step (commit or transaction timeout during a broker outage, a fenced producer, a
 * model call past ask-timeout) closes the clients and drops every partition's state, then the engine starts again
 * after a backoff, from the last commit. A stop finishes the current step, snapshots and commits everything, and
 * leaves the group so its partitions move at once.
 */
final class StreamEngine {
    private static final Logger LOG = LoggerFactory.getLogger(StreamEngine.class);
    private static final long SLOW_STEP_NANOS = 10_000_000_000L;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(30);
    private static final int MAX_CHUNK = 100_000;
    /**
     * The most bytes of polled records a loop buffers before it pauses fetching (besides {@code max.poll.records}):
     * frames may be up to {@code max-message-bytes} (64 MiB) each, and a few hundred such records held before the
     * shape check rejects them would exhaust the heap.
     */
    static final long MAX_BUFFERED_BYTES = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);
    /** Whether, and for how long, a local state folder's checkpoint stands for the state topic. */
    private final StateCheckpoints checkpoints;

    private final ServiceSettings settings;
    /** This loop's identity: static group member, transactional id, client id and state folder. */
    private final String id;
    private final ServiceMetrics.EngineGauges gauges;
    private final StreamCatalog catalog;
    private final StreamProcessor processor;
    private final SnapshotStore store;
    private final ServiceMetrics metrics;
    private final Clock clock;
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean stopping;
    /** Whether the engine is inside {@code poll}: the only call stop() may interrupt with a wakeup. */
    private volatile boolean polling;
    private volatile Session session;
    /** The current session's consumer has joined the group (its first assignment, maybe empty, came back). */
    private volatile boolean joined;
    /** Partitions are being restored from the state topic (inside an assignment callback). */
    private volatile boolean restoring;
    /**
     * A rebalance round is in progress (from this member's JoinGroup to its {@code onPartitionsAssigned}): under the
     * cooperative protocol polls still return the kept partitions' records, but no commit can succeed, so no step runs
     * and nothing is committed meanwhile (the records stay buffered). Set on the consumer's thread (this engine's).
     */
    private volatile boolean rebalancing;
    /** Partitions owned, with their states in place. */
    private volatile int owned;
    /** This loop is its process's priority lane: it owns only the partitions reserved for high-priority streams. */
    private final boolean lane;
    /** Streams warned about arriving on the wrong side of the reserved partitions (bounded; the engine thread's). */
    private final Set<String> misroutedStreams = new HashSet<>();
    static final int MISROUTED_WARNINGS = 1000;

    /**
     * Consumer loop {@code index} of {@code settings.engineThreads()}: its identity is
     * {@link ServiceSettings#engineId(int)}.
     */
    StreamEngine(ServiceSettings settings, int index, StreamCatalog catalog, StreamProcessor.ModelRunner runner,
                 ServiceMetrics metrics, ModelSwaps swaps, Clock clock, StateCheckpoints checkpoints) {
        this.settings = settings;
        this.checkpoints = checkpoints;
        this.id = settings.engineId(index);
        this.lane = settings.isPriorityLane(index);
        this.gauges = metrics.engineGauges();
        this.catalog = catalog;
        this.metrics = metrics;
        this.clock = clock;
        this.store = new SnapshotStore(settings.stateDir().resolve(id));
        // A chunk's commit runs while the next chunk's model calls do (see Session.step): the model's cores do not
        // wait for the acknowledgements and the offset commit, and the commit does not wait for the model.
        StreamProcessor.ModelRunner overlapping = new StreamProcessor.ModelRunner() {
            @Override
            public CompletableFuture<DecoderActor.Results> start(List<ModelWork.Step> steps,
                                                                 List<ModelWork.Fill> fills) {
                return runner.start(marked(steps), fills);
            }

            @Override
            public DecoderActor.Results run(List<ModelWork.Step> steps, List<ModelWork.Fill> fills,
                                            Runnable meanwhile) throws Exception {
                CompletableFuture<DecoderActor.Results> results = runner.start(marked(steps), fills);
                Session s = session;
                if (s != null) {
                    s.commitPending();
                }
                meanwhile.run();
                return results.get();
            }
        };
        this.processor = new StreamProcessor(settings, catalog, overlapping, metrics,
                new DeadLetterPublisher(settings.kafka().topics().deadLetters(), clock,
                        settings.input().deadLetterValueBytes()), store, swaps, gauges);
        this.thread = new Thread(this::run, "odecast-engine-" + id);
    }

    /** Whether this loop is its process's priority lane. */
    boolean lane() {
        return lane;
    }

    /**
     * The steps, urgent when the engine step running now was taken for a high-priority frame: every record of such
     * a step (the frames before it in its partition too) holds the step back, so all of its calls go first.
     */
    private List<ModelWork.Step> marked(List<ModelWork.Step> steps) {
        return urgentStep ? steps.stream().map(ModelWork.Step::urgently).toList() : steps;
    }

    void start() {
        thread.start();
    }

    /** Completes when the engine has stopped after {@link #stop()}. */
    CompletableFuture<Void> completion() {
        return completion;
    }

    /**
     * Whether the engine is connected and owns its partitions with their states in place: its consumer has joined
     * the group since the clients were last (re)created, no partition's restore is in progress, and no rebalance round
     * is (under cooperative rebalancing a partition given up in one round is assigned in the next, so between the
     * two every loop may have joined while that partition has no owner).
     */
    boolean partitionsRestored() {
        return joined && !restoring && !rebalancing;
    }

    /** Whether the consumer has joined its group since the clients were last (re)created: Kafka is reachable. */
    boolean joined() {
        return joined;
    }

    /** Partitions this instance owns now (states restored), as of the last rebalance. */
    int ownedPartitions() {
        return owned;
    }

    /** Asks the engine to finish its step, snapshot and commit everything and leave the group. */
    void stop() {
        stopping = true;
        Session s = session;
        // Only a poll is woken: a wakeup during a step would fail its commit and lose the stop's final snapshots.
        if (s != null && polling) {
            s.consumer.wakeup();
        }
    }

    private void run() {
        int failures = 0;
        try {
            while (!stopping) {
                Instant started = clock.instant();
                try (Session s = new Session()) {
                    session = s;
                    s.loop();
                } catch (VirtualMachineError e) {
                    // Out of memory or stack: the process is not safe to go on in. Said loudly, then left to the
                    // JVM (bin/odecast and the container run with -XX:+ExitOnOutOfMemoryError, so a supervisor
                    // restarts the process and the uncommitted records are read again).
                    LOG.error("Consumer loop {} died: {}", thread.getName(), e.toString(), e);
                    completion.completeExceptionally(e);
                    throw e;
                } catch (Exception | Error e) {
                    if (stopping) {
                        LOG.warn("Engine stopped with a failure: {}", e.toString());
                        break;
                    }
                    metrics.engineRestarted();
                    if (Duration.between(started, clock.instant()).compareTo(settings.engine().backoffMax()) > 0) {
                        failures = 0;
                    }
                    failures++;
                    Duration wait = backoff(failures);
                    LOG.warn("Engine failed ({}); restarting from the last commit in {}", describe(e), wait,
                            LOG.isDebugEnabled() ? e : null);
                    sleep(wait);
                } finally {
                    session = null;
                }
            }
        } finally {
            completion.complete(null);
        }
    }

    /** The failure and its causes in one line (client construction errors hide the reason in a cause). */
    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.toString());
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            text.append(" <- ").append(t);
        }
        return text.toString();
    }

    private Duration backoff(int failures) {
        Duration wait = settings.engine().backoffMin();
        for (int i = 1; i < failures && wait.compareTo(settings.engine().backoffMax()) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(settings.engine().backoffMax()) > 0 ? settings.engine().backoffMax() : wait;
    }

    private void sleep(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        while (!stopping && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private boolean exactlyOnce() {
        return settings.delivery() == ServiceSettings.DeliveryMode.EXACTLY_ONCE;
    }

    /**
     * How many leading records of a partition's buffer an urgent step takes (0: it holds no high-priority record):
     * up to its first high-priority record, or to the last one within {@code share} records, so that dense
     * high-priority frames in a backlog still run as steps of a useful size.
     */
    static <R> int urgentPrefix(Iterable<R> queue, java.util.function.Predicate<R> urgent, int share) {
        int count = 0;
        int i = 0;
        for (R r : queue) {
            i++;
            if (urgent.test(r)) {
                count = i;
            }
            if (count > 0 && i >= share) {
                break;
            }
        }
        return count;
    }

    /** One chunk's outputs, offsets, replay points and the arrival times of its forecasts. */
    private record Commit(List<ProducerRecord<String, byte[]>> out, Map<TopicPartition, OffsetAndMetadata> offsets,
                          Map<PartitionTask, long[]> points, List<Long> arrivals) {
    }

    /** Whether the engine step running now was taken for a high-priority stream's frame (the engine thread's). */
    private boolean urgentStep;

    /** One life of the clients, from creation to a failure or the stop. */
    private final class Session implements AutoCloseable, ConsumerRebalanceListener {
        final KafkaConsumer<String, byte[]> consumer;
        final KafkaProducer<String, byte[]> producer;
        final StateTopicReader reader;
        final Map<Integer, PartitionTask> tasks = new HashMap<>();
        final String frames = settings.kafka().topics().frames();
        Instant lastMaintenance = Instant.MIN;
        Instant lastProgress = clock.instant();
        /** Records per chunk, adapted to the measured cost per record; never fewer than a full model batch. */
        final int minChunk = settings.decoder().maxBatch();
        int chunk = minChunk;
        boolean clean;
        /** Polled records not processed yet, per partition in offset order; at most about two polls' worth. */
        final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> waiting = new LinkedHashMap<>();
        int buffered;
        /** The values' bytes of the buffered records. */
        long bufferedBytes;
        /** The buffered records of high-priority streams (by identity). */
        final Set<ConsumerRecord<String, byte[]>> urgentRecords =
                java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        final int maxPollRecords;
        /**
         * A finished chunk's commit, made during the next chunk's model calls (or by the next step when it has none);
         * dropped with the session on failure, so its records are processed again from the last commit.
         */
        Commit pending;
        /** Set when the session closes its clients. */
        volatile boolean closing;

        Session() {
            KafkaSettings kafka = settings.kafka();
            String maxBytes = Integer.toString(kafka.topicSetup().maxMessageBytes());
            Map<String, Object> c = kafka.consumerProperties();
            c.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.groupId());
            c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, maxBytes);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, exactlyOnce() ? "read_committed" : "read_uncommitted");
            c.put(ConsumerConfig.CLIENT_ID_CONFIG, "odecast-" + id);
            // Partitions spread over instances first, then over their loops (an operator's strategy wins), rebalanced
            // cooperatively: every assignor of the list supports it, so the consumer uses it (the range assignor in
            // the list makes it eager, kafka.rebalance-protocol = eager). The second is the fallback a group agrees
            // on while members without ours are in it.
            c.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                    List.of(ProcessAwareAssignor.class.getName(), kafka.cooperative()
                            ? org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName()
                            : org.apache.kafka.clients.consumer.RangeAssignor.class.getName()));
            c.put(ProcessAwareAssignor.PROCESS_CONFIG, settings.instanceId());
            c.put(ProcessAwareAssignor.LANE_CONFIG, Boolean.toString(lane));
            c.put(ProcessAwareAssignor.RESERVED_CONFIG, Integer.toString(kafka.priorityPartitions()));
            c.put(ProcessAwareAssignor.REBALANCE_START_CONFIG, (Runnable) () -> rebalancing = true);
            Map<String, Object> r = kafka.consumerProperties();
            r.remove(ConsumerConfig.GROUP_ID_CONFIG);
            r.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            r.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, maxBytes);
            r.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, exactlyOnce() ? "read_committed" : "read_uncommitted");
            // An offset gone from the log by the time it is read (retention or compaction after the checkpoint was
            // checked) restarts the read at the oldest record kept, never at the end: "latest" would end a restore
            // at once with nothing read.
            r.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            r.put(ConsumerConfig.CLIENT_ID_CONFIG, "odecast-" + id + "-restore");
            Map<String, Object> p = kafka.producerProperties();
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxBytes);
            p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(kafka.commitTimeout().toMillis()));
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "odecast-" + id);
            if (exactlyOnce()) {
                p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "odecast-" + kafka.groupId() + "-"
                        + id);
                p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                        Integer.toString((int) kafka.transactionTimeout().toMillis()));
            }
            KafkaConsumer<String, byte[]> groupConsumer = null;
            KafkaConsumer<String, byte[]> readerConsumer = null;
            KafkaProducer<String, byte[]> outputs = null;
            try {
                groupConsumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
                readerConsumer = new KafkaConsumer<>(r, new StringDeserializer(), new ByteArrayDeserializer());
                outputs = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
                if (exactlyOnce()) {
                    // Fences an earlier producer with this transactional id and aborts its open transaction.
                    outputs.initTransactions();
                }
            } catch (RuntimeException e) {
                StreamEngine.close(groupConsumer);
                StreamEngine.close(readerConsumer);
                StreamEngine.close(outputs);
                throw e;
            }
            consumer = groupConsumer;
            producer = outputs;
            maxPollRecords = Integer.parseInt(String.valueOf(
                    c.getOrDefault(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, ConsumerConfig.DEFAULT_MAX_POLL_RECORDS)));
            reader = new StateTopicReader(readerConsumer, kafka.commitTimeout());
        }

        void loop() throws Exception {
            consumer.subscribe(List.of(frames), this);
            LOG.info("Engine {} consuming {} as group {} ({})", id, frames,
                    settings.kafka().groupId(), settings.delivery());
            while (!stopping) {
                ConsumerRecords<String, byte[]> polled;
                polling = true;
                try {
                    if (stopping) {
                        break;
                    }
                    // A bounded buffer: fetch more only while it holds less than one poll's worth; a paused poll still
                    // keeps the group membership alive.
                    if (buffered >= maxPollRecords || bufferedBytes >= MAX_BUFFERED_BYTES) {
                        consumer.pause(consumer.assignment());
                    } else if (!consumer.paused().isEmpty()) {
                        consumer.resume(consumer.paused());
                    }
                    polled = consumer.poll(!rebalancing && (buffered > 0 || pending != null) ? Duration.ZERO
                            : settings.engine().pollTimeout());
                } catch (WakeupException e) {
                    if (stopping) {
                        break;
                    }
                    throw e;
                } finally {
                    polling = false;
                }
                if (stopping) {
                    // Not processed, not committed: these records are read again by the next owner.
                    break;
                }
                buffer(polled);
                lag();
                if (rebalancing) {
                    // Steps and commits wait for the round to end (the next polls complete it).
                    metrics.heldForRebalance();
                    continue;
                }
                step();
            }
            // Buffered records were not processed and are not committed: the next owner reads them again.
            commitPending();
            // Stop: snapshot and commit everything, then leave the group (close) so partitions move at once.
            release(List.copyOf(tasks.values()));
            tasks.clear();
            clean = true;
        }

        /**
         * Adds a poll's records to the buffer, each partition's in offset order, and notes the records of high-priority
         * streams (rules resolved once per record).
         */
        private void buffer(ConsumerRecords<String, byte[]> polled) {
            boolean priorities = catalog.hasHighPriority();
            boolean lanes = settings.kafka().priorityPartitions() > 0;
            for (TopicPartition tp : polled.partitions()) {
                ArrayDeque<ConsumerRecord<String, byte[]>> queue = waiting.computeIfAbsent(tp, k -> new ArrayDeque<>());
                for (ConsumerRecord<String, byte[]> r : polled.records(tp)) {
                    queue.add(r);
                    buffered++;
                    bufferedBytes += Math.max(0, r.serializedValueSize());
                    if ((priorities || lanes) && r.key() != null) {
                        boolean high = catalog.resolve(r.key())
                                .map(x -> x.settings().priority() == StreamSettings.Priority.HIGH).orElse(false);
                        if (high && priorities) {
                            urgentRecords.add(r);
                        }
                        if (lanes && high != io.odecast.kafka.FramePartitioner.isReserved(r.partition(),
                                framePartitions(), settings.kafka().priorityPartitions())) {
                            misrouted(r, high);
                        }
                    }
                }
            }
        }

        /** Partitions of the frames topic, from the consumer's metadata once per session. */
        private int framePartitions() {
            if (framePartitions <= 0) {
                framePartitions = consumer.partitionsFor(frames).size();
            }
            return framePartitions;
        }

        private int framePartitions;

        /**
         * Warns once per stream (for the first {@link #MISROUTED_WARNINGS} streams) whose frames arrive on the wrong side
         * of the reserved partitions: they are processed all the same, only without the lane's latency (or, for a
         * bulk stream on a reserved partition, taking the lane's).
         */
        private void misrouted(ConsumerRecord<String, byte[]> r, boolean high) {
            if (misroutedStreams.size() < MISROUTED_WARNINGS && misroutedStreams.add(r.key())) {
                LOG.warn("Stream {} ({} priority) arrives on partition {} of {}, {} the partitions reserved for"
                                + " high-priority streams (odecast.kafka.priority-partitions); its frames are processed"
                                + " there, see odecast publish --priority and io.odecast.kafka.FramePartitioner",
                        r.key(), high ? "high" : "normal", r.partition(), r.topic(), high ? "outside" : "inside");
            }
        }

        /** Drops the buffered records of partitions this instance gives up or re-seeks: they are read again. */
        private void unbuffer(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                ArrayDeque<ConsumerRecord<String, byte[]>> dropped = waiting.remove(tp);
                if (dropped != null) {
                    buffered -= dropped.size();
                    dropped.forEach(r -> bufferedBytes -= Math.max(0, r.serializedValueSize()));
                    dropped.forEach(urgentRecords::remove);
                }
            }
        }

        /**
         * The next chunk from the buffer: when high-priority streams have frames waiting, every such partition's
         * records up to its first such frame (a partition's records stay in order), the least work that serves the
         * oldest of them, or up to the last such frame within its share of {@code chunk} records: a backlog with
         * high-priority frames all through it runs as steps of about the normal size that each end at one (taking up
         * to the last such frame made one step of nearly the whole backlog, and the high-priority streams' frames
         * waited longer than the others'); otherwise a prefix of every partition's records, round robin, of at most
         * {@code chunk} records.
         */
        private Chunk take() {
            List<ConsumerRecord<String, byte[]>> records;
            boolean first = !urgentRecords.isEmpty();
            if (first) {
                Set<TopicPartition> holding = new HashSet<>();
                urgentRecords.forEach(r -> holding.add(new TopicPartition(r.topic(), r.partition())));
                int share = Math.max(1, chunk / holding.size());
                List<List<ConsumerRecord<String, byte[]>>> parts = new ArrayList<>();
                // In the buffer's partition order, so that a step's order does not depend on the identity set's.
                waiting.forEach((tp, queue) -> {
                    if (holding.contains(tp)) {
                        int count = StreamEngine.urgentPrefix(queue, urgentRecords::contains, share);
                        List<ConsumerRecord<String, byte[]>> part = new ArrayList<>(count);
                        for (int k = 0; k < count; k++) {
                            ConsumerRecord<String, byte[]> r = queue.poll();
                            urgentRecords.remove(r);
                            part.add(r);
                        }
                        parts.add(part);
                    }
                });
                records = interleaved(parts);
            } else {
                // Round robin over the partitions: the order of taking is the interleaved order.
                records = new ArrayList<>(Math.min(chunk, buffered));
                List<ArrayDeque<ConsumerRecord<String, byte[]>>> queues = new ArrayList<>(waiting.values());
                while (records.size() < Math.min(chunk, buffered)) {
                    for (int q = 0; q < queues.size() && records.size() < chunk; q++) {
                        ConsumerRecord<String, byte[]> r = queues.get(q).poll();
                        if (r != null) {
                            records.add(r);
                        }
                    }
                }
            }
            waiting.values().removeIf(ArrayDeque::isEmpty);
            buffered -= records.size();
            records.forEach(r -> bufferedBytes -= Math.max(0, r.serializedValueSize()));
            return new Chunk(records, first);
        }

        /** The records of one step, and whether they are there for a high-priority stream. */
        private record Chunk(List<ConsumerRecord<String, byte[]>> records, boolean urgent) {
        }

        /**
         * Processes the next chunk of buffered records (or none: maintenance and due commits still run) and commits it:
         * the chunk's size comes from the last chunks' cost, to take about {@code target-step}, so a backlog after a
         * restart or a rebalance shows its first outputs after one short step, and the engine polls between steps,
         * so newly arrived frames of high-priority streams overtake the waiting ones. A chunk's commit runs during the
         * next chunk's model calls when the poll after it brings frames, and at once otherwise; a high-priority
         * chunk commits at once.
         */
        private void step() throws Exception {
            Chunk next = take();
            List<ConsumerRecord<String, byte[]>> records = next.records();
            Instant now = clock.instant();
            long behind = 0;
            for (PartitionTask t : tasks.values()) {
                // Every fetched frame of the partition is in this chunk and nothing more is known to wait on the
                // broker: its streams' silence up to now is real (state-retention).
                TopicPartition tp = new TopicPartition(frames, t.partition);
                ArrayDeque<ConsumerRecord<String, byte[]>> left = waiting.get(tp);
                if ((left == null || left.isEmpty()) && consumer.currentLag(tp).orElse(1) == 0) {
                    t.caughtUpAt = now;
                } else {
                    Instant since = t.caughtUpAt != null ? t.caughtUpAt : t.assignedAt != null ? t.assignedAt : now;
                    behind = Math.max(behind, Duration.between(since, now).toMillis());
                }
            }
            gauges.behind(behind);
            int n = records.size();
            long start = System.nanoTime();
            // Arrivals of a failed step's forecasts were never acknowledged; they are replayed and counted anew.
            processor.takeArrivals();
            List<ProducerRecord<String, byte[]>> out;
            urgentStep = next.urgent();
            try {
                out = new ArrayList<>(processor.process(records, tasks, now));
            } finally {
                urgentStep = false;
            }
            if (!now.isBefore(lastMaintenance.plus(settings.engine().maintenance()))) {
                lastMaintenance = now;
                out.addAll(processor.maintain(tasks, now));
            }
            long processed = System.nanoTime();
            List<Long> arrivals = processor.takeArrivals();
            // This chunk's model calls are done, so a previous chunk's commit (if no model call absorbed it) goes
            // first: commits stay in chunk order.
            commitPending();
            List<PartitionTask> due = tasks.values().stream().filter(PartitionTask::commitDue).toList();
            if (!out.isEmpty() || !due.isEmpty()) {
                Commit commit = prepare(out, due, arrivals);
                if (n > 0 && !next.urgent() && !stopping) {
                    // Committed during the next chunk's model calls, or by the next step at once when the poll
                    // that follows (which does not wait while a commit is pending) brings nothing.
                    pending = commit;
                } else {
                    commit(commit);
                }
            }
            long end = System.nanoTime();
            if (n >= chunk / 2) {
                // Processing cost per record; the commit's cost is per chunk and does not scale with it.
                double perRecord = (double) (processed - start) / n;
                // A whole number of full model batches: a chunk of distinct streams then runs no small call.
                int fit = (int) Math.min(MAX_CHUNK,
                        settings.engine().targetStep().toNanos() / Math.max(1.0, perRecord));
                chunk = Math.max(minChunk, fit / minChunk * minChunk);
            }
            if (end - start > SLOW_STEP_NANOS) {
                LOG.warn("Slow step: {} records processed in {} ms, {} outputs committed in {} ms", n,
                        (processed - start) / 1_000_000, out.size(), (end - processed) / 1_000_000);
            }
            if (stopping) {
                commitPending();
            }
            Instant finished = clock.instant();
            if (!finished.isBefore(lastProgress.plus(PROGRESS_EVERY))) {
                lastProgress = finished;
                LOG.info("Progress: {} partitions, {}", tasks.size(), metrics);
            }
        }

        /** Publishes the consumer's lag per assigned partition (local figures of the last fetch, no request). */
        private void lag() {
            Map<Integer, Long> lag = new HashMap<>();
            for (TopicPartition tp : consumer.assignment()) {
                consumer.currentLag(tp).ifPresent(n -> lag.put(tp.partition(), n));
            }
            gauges.consumerLag(lag);
        }

        /** The records partition by partition in turn, each partition's in offset order. */
        private static List<ConsumerRecord<String, byte[]>> interleaved(
                List<List<ConsumerRecord<String, byte[]>>> parts) {
            int count = parts.stream().mapToInt(List::size).sum();
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>(count);
            for (int i = 0; out.size() < count; i++) {
                for (List<ConsumerRecord<String, byte[]>> part : parts) {
                    if (i < part.size()) {
                        out.add(part.get(i));
                    }
                }
            }
            return out;
        }

        /** Produces {@code out} and commits the offsets of {@code due} as one unit (transaction or acks first). */
        private void commit(List<ProducerRecord<String, byte[]>> out, Collection<PartitionTask> due)
                throws Exception {
            commitPending();
            commit(prepare(out, due, List.of()));
        }

        /**
         * A chunk's outputs and commit points, fixed when the chunk is done: committed later (during the next
         * chunk's model calls) they still name exactly this chunk's offsets and replay points.
         */
        private Commit prepare(List<ProducerRecord<String, byte[]>> out, Collection<PartitionTask> due,
                               List<Long> arrivals) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            Map<PartitionTask, long[]> points = new HashMap<>();
            for (PartitionTask t : due) {
                long offset = t.commitOffset();
                long replayFrom = t.replayFrom();
                offsets.put(new TopicPartition(frames, t.partition),
                        new OffsetAndMetadata(offset, PartitionTask.metadata(replayFrom)));
                points.put(t, new long[] {offset, replayFrom});
            }
            return new Commit(out, offsets, points, arrivals);
        }

        /** Commits the chunk left pending, if any (on the engine's thread, inside or between model calls). */
        void commitPending() throws Exception {
            Commit c = pending;
            if (c != null) {
                pending = null;
                commit(c);
            }
        }

        private void commit(Commit c) throws Exception {
            long start = System.nanoTime();
            List<ProducerRecord<String, byte[]>> out = c.out();
            Map<TopicPartition, OffsetAndMetadata> offsets = c.offsets();
            if (exactlyOnce()) {
                producer.beginTransaction();
                for (ProducerRecord<String, byte[]> record : out) {
                    producer.send(record);
                }
                if (!offsets.isEmpty()) {
                    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                }
                producer.commitTransaction();
            } else {
                // Outputs first, snapshots only once those are acknowledged: a snapshot tells the next owner to
                // skip the frames it holds, so it must never land without their outputs (different partitions
                // have no common order).
                String state = settings.kafka().topics().state();
                sendAndAwait(out.stream().filter(r -> !r.topic().equals(state)).toList());
                sendAndAwait(out.stream().filter(r -> r.topic().equals(state)).toList());
                if (!offsets.isEmpty()) {
                    commitSync(offsets);
                }
            }
            c.points().forEach((t, p) -> t.committed(p[0], p[1]));
            metrics.committed(System.nanoTime() - start);
            long acknowledged = System.currentTimeMillis();
            for (long arrival : c.arrivals()) {
                metrics.forecastDelivered(acknowledged - arrival);
            }
        }

        /**
         * Commits offsets; a wakeup left pending by a stop that raced the end of a poll is absorbed once (a commit of
         * the same offsets again is harmless), so the stop's final commit still happens.
         */
        private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            try {
                consumer.commitSync(offsets, settings.kafka().commitTimeout());
            } catch (WakeupException e) {
                if (!stopping) {
                    throw e;
                }
                consumer.commitSync(offsets, settings.kafka().commitTimeout());
            }
        }

        private void sendAndAwait(List<ProducerRecord<String, byte[]>> records) throws Exception {
            if (records.isEmpty()) {
                return;
            }
            // No flush(): it waits for delivery.timeout.ms (2 minutes) while the broker is away. The batch goes out
            // after linger.ms (0 by default) anyway; the acks are awaited against one deadline, past which the engine
            // restarts.
            long deadline = System.nanoTime() + settings.kafka().commitTimeout().toNanos();
            List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
            for (ProducerRecord<String, byte[]> record : records) {
                acks.add(producer.send(record));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        }

        /** Whether partitions given up cleanly are checkpointed (snapshots restored from a compacted state topic). */
        private boolean checkpointing() {
            return settings.snapshot().enabled() && settings.snapshot().restore() && checkpoints.enabled();
        }

        /**
         * Gives up {@code given} cleanly (revocation or stop), in one commit: snapshots their dirty streams and
         * commits them with their offsets (the last step's pending commit first), then checkpoints them. With outputs
         * or offsets to commit, the commit is required and its failure throws. With checkpoints it is made even with
         * nothing new: a commit the group accepts shows this loop still owns the partitions, so no other owner's
         * snapshots can sit below the end offsets the checkpoints then record. That commit only serves the
         * checkpoints: when it fails (a rebalance under way at a stop, a fenced producer) they are skipped, the
         * next assignment reads the partitions whole, and nothing else changes.
         */
        private void release(List<PartitionTask> given) throws Exception {
            if (given.isEmpty()) {
                return;
            }
            Instant now = clock.instant();
            List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
            boolean due = false;
            for (PartitionTask task : given) {
                out.addAll(processor.snapshotAll(task, now));
                due |= task.commitDue();
            }
            // The last step's commit goes first, and always: it is required whatever follows.
            commitPending();
            if (!out.isEmpty() || due) {
                commit(out, given);
            } else if (!checkpointing()) {
                return;
            } else {
                try {
                    commit(List.of(), given);
                } catch (Exception e) {
                    abortQuietly();
                    LOG.info("No state checkpoints for partitions {}: the ownership commit failed ({}); their next "
                            + "assignment reads them whole", numbers(given), e.toString());
                    return;
                }
            }
            checkpoint(given);
        }

        /**
         * After the partitions' final commit: their local folders now equal the state topic up to its ends, so the
         * next assignment of them to this loop reads only what follows.
         */
        private void checkpoint(List<PartitionTask> given) {
            if (!checkpointing()) {
                return;
            }
            Map<Integer, Long> ends;
            try {
                ends = reader.end(settings.kafka().topics().state(), numbers(given));
            } catch (RuntimeException e) {
                // Without a checkpoint the next assignment reads the whole partition: slower, never wrong.
                LOG.warn("No state checkpoints for partitions {}: {}", numbers(given), e.toString());
                return;
            }
            Instant now = clock.instant();
            for (PartitionTask task : given) {
                try {
                    store.checkpoint(task.partition, ends.get(task.partition), now, checkpoints.identity());
                } catch (RuntimeException e) {
                    LOG.warn("No state checkpoint for partition {}: {}", task.partition, e.toString());
                }
            }
        }

        private static List<Integer> numbers(Collection<PartitionTask> given) {
            return given.stream().map(t -> t.partition).sorted().toList();
        }

        /** Leaves a failed transaction, if one is open, so that the next step can begin one (or fail and restart). */
        private void abortQuietly() {
            if (!exactlyOnce()) {
                return;
            }
            try {
                producer.abortTransaction();
            } catch (RuntimeException e) {
                LOG.debug("abort after a failed ownership commit: {}", e.toString());
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            unbuffer(partitions);
            restoring = true;
            try {
                assign(partitions);
                owned = tasks.size();
                joined = true;
            } finally {
                restoring = false;
                // The end of a round (called after every one, with the partitions added, under both protocols).
                rebalancing = false;
            }
        }

        private void assign(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            Duration timeout = settings.kafka().commitTimeout();
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(partitions), timeout);
            Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, timeout);
            boolean restore = settings.snapshot().enabled() && settings.snapshot().restore();
            List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
            if (restore) {
                long before = reader.recordsRead();
                reader.restore(settings.kafka().topics().state(), numbers, store, clock.instant(), checkpoints);
                metrics.stateRecordsRestored(reader.recordsRead() - before);
            } else {
                numbers.forEach(store::clear);
            }
            for (TopicPartition tp : partitions) {
                int p = tp.partition();
                OffsetAndMetadata c = committed.get(tp);
                long processFrom = c != null ? c.offset() : beginning.get(tp);
                long replayFrom = restore ? PartitionTask.replayFrom(c == null ? null : c.metadata(), processFrom)
                        : processFrom;
                long replayedUpTo = exactlyOnce() ? -1
                        : reader.newestForecastInput(settings.kafka().topics().forecasts(), p);
                consumer.seek(tp, replayFrom);
                PartitionTask task = new PartitionTask(p, processFrom, replayFrom, replayedUpTo);
                task.assignedAt = clock.instant();
                tasks.put(p, task);
                LOG.info("Assigned {}: replaying from offset {}, processing from {}{}", tp, replayFrom, processFrom,
                        replayedUpTo >= 0 ? ", forecasts up to input offset " + replayedUpTo + " marked REPLAYED"
                                : "");
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            unbuffer(partitions);
            List<PartitionTask> given = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                PartitionTask task = tasks.remove(tp.partition());
                if (task != null) {
                    given.add(task);
                }
            }
            owned = tasks.size();
            if (given.isEmpty()) {
                return;
            }
            try {
                release(given);
            } catch (Exception e) {
                // The next owner replays from the last commit; nothing is lost.
                LOG.warn("Revoked {}: final commit failed ({}); the next owner replays from the last commit",
                        numbers(given), e.toString());
                throw new IllegalStateException("commit on revocation of partitions " + numbers(given) + " failed", e);
            }
            for (PartitionTask task : given) {
                LOG.info("Revoked {}-{}: {} streams snapshotted and committed at offset {}", frames, task.partition,
                        task.active.size(), task.commitOffset());
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (!closing) {
                // At close the consumer reports its partitions lost too when its generation is already gone: a stop
                // or a restart, not the group moving on.
                metrics.lostPartitions();
            }
            unbuffer(partitions);
            for (TopicPartition tp : partitions) {
                tasks.remove(tp.partition());
                LOG.warn("Lost {} (the group moved on without this instance); its states are dropped", tp);
            }
            owned = tasks.size();
            Commit c = pending;
            if (c != null) {
                // The last step's commit belongs to the generation the group has left. Committed now, under the
                // generation this loop rejoins with, its offsets would be accepted and its outputs would sit beside
                // the same outputs replayed from the last commit by the partitions' next owner (this loop again, with
                // static membership): a duplicate. Dropped, its records are processed again from the last commit.
                pending = null;
                boolean others = c.points().keySet().stream().anyMatch(t -> tasks.get(t.partition) == t);
                LOG.warn("Lost partitions {} with a step's commit pending ({} outputs): dropped; its frames are "
                        + "processed again from the last commit", partitions, c.out().size());
                if (others) {
                    // Kept partitions advanced past that step too; only a restart from the last commit puts them back.
                    throw new IllegalStateException("partitions " + partitions + " lost while a commit of partitions "
                            + "still owned was pending; restarting from the last commit");
                }
            }
        }

        @Override
        public void close() {
            closing = true;
            joined = false;
            tasks.clear();
            owned = 0;
            gauges.memory(0, 0, 0);
            gauges.behind(0);
            gauges.consumerLag(Map.of());
            if (exactlyOnce() && !clean) {
                try {
                    producer.abortTransaction();
                } catch (RuntimeException e) {
                    LOG.debug("No transaction to abort: {}", e.toString());
                }
            }
            try {
                CloseOptions options = clean
                        ? CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                        : CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP);
                consumer.close(options.withTimeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                LOG.debug("Consumer close: {}", e.toString());
            }
            StreamEngine.close(producer);
            StreamEngine.close(reader);
        }
    }

    /** Closes a client (or nothing), logging a failure: a closing session must close everything it can. */
    private static void close(AutoCloseable client) {
        if (client == null) {
            return;
        }
        try {
            if (client instanceof KafkaConsumer<?, ?> c) {
                c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            } else if (client instanceof KafkaProducer<?, ?> p) {
                p.close(Duration.ofSeconds(5));
            } else {
                client.close();
            }
        } catch (Exception e) {
            LOG.debug("Close {}: {}", client.getClass().getSimpleName(), e.toString());
        }
    }
}
