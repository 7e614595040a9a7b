package io.odecast.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import io.odecast.kafka.FramePartitioner;
import io.odecast.kafka.TopicNames;
import io.odecast.proto.StateSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Grows the service's topics to more partitions and takes every stream's state along ({@code odecast repartition}).
 *
 * <p>A stream's frames go to the partition its key hashes to (Kafka's default partitioner, or
 * {@link FramePartitioner} with priority partitions), and its snapshots sit in the state partition numbered like it.
 * Adding partitions changes where most keys hash to; without this tool such a stream would start afresh on its new
 * partition (the engine refuses a snapshot of another partition) and its old snapshot would stay behind for ever.
 * With the service stopped and its frames all processed, this adds the partitions to the frames, forecasts, regular
 * frames, state and dead-letter topics, then moves each stream's latest snapshot to the state partition of its new
 * frames partition (input position: that partition, before its first record) and leaves a tombstone where it was.
 * It can be run again after a failure at any point: it finds what is left to move.
 */
public final class StateRepartitioner {
    private final ServiceSettings settings;
    private final Duration timeout;

    public StateRepartitioner(ServiceSettings settings) {
        this.settings = settings;
        this.timeout = settings.kafka().setupTimeout();
    }

    /**
     * What a run did or (dry run) would do.
     *
     * @param from         partitions of the frames topic before
     * @param to           partitions after
     * @param streams      streams with a usable snapshot on the state topic
     * @param highPriority of them, streams whose rule says {@code priority = high} (routed to reserved partitions)
     * @param moves        snapshots to move, by old state partition and then new
     * @param stale        snapshots no engine would restore (naming another input partition than the one they sit
     *                     in, left by an earlier layout, or a second copy): tombstoned
     * @param topicsGrown  topics given more partitions (empty in a dry run or when they already had them)
     * @param blockers     what stops a run now (a dry run reports them; a run refuses)
     */
    public record Result(int from, int to, int streams, int highPriority, Map<Integer, Map<Integer, Integer>> moves,
                         int stale, List<String> topicsGrown, List<String> blockers) {
        public int moved() {
            return moves.values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
        }

        @Override
        public String toString() {
            return "partitions " + from + " -> " + to + "; " + streams + " streams with a snapshot (" + highPriority
                    + " high-priority), " + moved() + " to move (old partition -> {new partition = streams}: " + moves
                    + "), " + stale + " stale snapshots to delete"
                    + (topicsGrown.isEmpty() ? "" : "; topics grown: " + topicsGrown)
                    + (blockers.isEmpty() ? "" : "; NOT possible now: " + String.join("; ", blockers));
        }
    }

    /** One snapshot record on the state topic: where it is and which input partition it names. */
    private record Copy(int partition, long offset, long timestamp, int inputPartition) {
        boolean usable() {
            return inputPartition == partition;
        }
    }

    /** A stream's snapshot to move (a copy already at the target: {@code copy} null) and copies to delete. */
    private record Plan(String id, int target, Copy copy, List<Integer> tombstones) {
    }

    /**
     * Checks, then (unless {@code dryRun}) grows the topics to {@code partitions} and moves the snapshots.
     *
     * @throws IllegalArgumentException when {@code partitions} is fewer than the frames topic has
     * @throws IllegalStateException    (not in a dry run) when the service's group has members, frames are not yet
     *                                  processed or its last stop was not clean
     */
    public Result run(int partitions, boolean dryRun) throws Exception {
        KafkaSettings kafka = settings.kafka();
        TopicNames t = kafka.topics();
        List<String> grown = List.of(t.frames(), t.forecasts(), t.regularFrames(), t.state(), t.deadLetters());
        try (Admin admin = Admin.create(kafka.adminProperties())) {
            Map<String, TopicDescription> topics = get(admin.describeTopics(grown).allTopicNames());
            int current = topics.get(t.frames()).partitions().size();
            if (partitions < current) {
                throw new IllegalArgumentException("--partitions " + partitions + " is fewer than the " + current
                        + " partitions of " + t.frames() + "; Kafka cannot take partitions away");
            }
            List<String> blockers = new ArrayList<>();
            String running = running(admin, kafka.groupId());
            if (running != null) {
                blockers.add(running);
            } else {
                blockers.addAll(unprocessed(admin, kafka.groupId(), t.frames(), current));
            }
            if (!dryRun && !blockers.isEmpty()) {
                throw new IllegalStateException(String.join("; ", blockers));
            }
            int statePartitions = topics.get(t.state()).partitions().size();
            Map<String, List<Copy>> copies = index(t.state(), statePartitions);
            List<Plan> plans = new ArrayList<>();
            Map<Integer, Map<Integer, Integer>> moves = new TreeMap<>();
            int streams = 0;
            int high = 0;
            int stale = 0;
            for (var e : copies.entrySet()) {
                String id = e.getKey();
                boolean isHigh = settings.streams().settingsFor(id)
                        .map(s -> s.priority() == StreamSettings.Priority.HIGH).orElse(false);
                int target = FramePartitioner.partition(id, isHigh, partitions, kafka.priorityPartitions());
                List<Copy> usable = e.getValue().stream().filter(Copy::usable).toList();
                // The copy to keep: the newest usable one; of equal times the one at the target (a copy this tool
                // moved there keeps its source's time, so a run stopped half way finishes with it).
                Copy keep = usable.stream().max(java.util.Comparator.comparingLong(Copy::timestamp)
                        .thenComparing(c -> c.partition() == target).thenComparingLong(Copy::offset)).orElse(null);
                List<Integer> tombstones = new ArrayList<>();
                for (Copy c : e.getValue()) {
                    if (c == keep) {
                        continue;
                    }
                    // Any other copy is stale; one at the target is superseded by the copy moving there.
                    stale++;
                    if (!(keep != null && c.partition() == target)) {
                        tombstones.add(c.partition());
                    }
                }
                if (keep != null) {
                    streams++;
                    high += isHigh ? 1 : 0;
                    if (keep.partition() != target) {
                        moves.computeIfAbsent(keep.partition(), k -> new TreeMap<>()).merge(target, 1, Integer::sum);
                        tombstones.add(keep.partition());
                    }
                }
                if (keep != null && keep.partition() != target || !tombstones.isEmpty()) {
                    plans.add(new Plan(id, target, keep != null && keep.partition() != target ? keep : null,
                            tombstones));
                }
            }
            List<String> grownNow = new ArrayList<>();
            if (!dryRun) {
                Map<String, NewPartitions> increase = new LinkedHashMap<>();
                for (String topic : grown) {
                    if (topics.get(topic).partitions().size() < partitions) {
                        increase.put(topic, NewPartitions.increaseTo(partitions));
                    }
                }
                if (!increase.isEmpty()) {
                    get(admin.createPartitions(increase).all());
                    grownNow.addAll(increase.keySet());
                }
                move(t.state(), plans);
            }
            return new Result(current, partitions, streams, high, moves, stale, grownNow, blockers);
        }
    }

    /** Why the service counts as running (its group has members), or null. */
    private String running(Admin admin, String group) throws Exception {
        ConsumerGroupDescription g;
        try {
            g = get(admin.describeConsumerGroups(List.of(group)).all()).get(group);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return null;
            }
            throw e;
        }
        if (g.members().isEmpty()) {
            return null;
        }
        return "consumer group " + group + " has " + g.members().size() + " members ("
                + g.members().stream().map(m -> m.groupInstanceId().orElse(m.consumerId())).sorted().toList()
                + "): stop every instance of the service first (odecast serve drains and commits on SIGTERM)";
    }

    /**
     * What keeps the states from moving now: frames not yet processed (a stream's old frames would be processed on
     * its old partition from an empty state), or a last stop that was not clean (after a crash the next owner first
     * replays frames into states that no snapshot holds, and those states would not move).
     */
    private List<String> unprocessed(Admin admin, String group, String frames, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(frames, p), OffsetSpec.latest());
            earliest.put(new TopicPartition(frames, p), OffsetSpec.earliest());
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = get(admin.listOffsets(latest).all());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = get(admin.listOffsets(earliest).all());
        Map<TopicPartition, OffsetAndMetadata> committed =
                get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        List<String> behind = new ArrayList<>();
        List<String> unsnapshotted = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(frames, p);
            OffsetAndMetadata c = committed.get(tp);
            long from = c != null ? c.offset() : starts.get(tp).offset();
            long end = ends.get(tp).offset();
            // Transactional producers leave commit markers, which take offsets but are no frames.
            if (from < end && hasRecords(tp, from, end)) {
                behind.add("partition " + p + ": up to " + (end - from) + " (committed " + (c == null ? "none" : from)
                        + ", end " + end + ")");
            }
            long replay = c == null ? from : PartitionTask.replayFrom(c.metadata(), from);
            if (replay < from) {
                unsnapshotted.add("partition " + p + " (snapshots up to offset " + replay + ", committed " + from + ")");
            }
        }
        List<String> problems = new ArrayList<>();
        if (!behind.isEmpty()) {
            problems.add("frames of " + frames + " not yet processed by group " + group + ": "
                    + String.join("; ", behind) + ". Stop the producers, let the service process them and stop it,"
                    + " then run this again");
        }
        if (!unsnapshotted.isEmpty()) {
            problems.add("the service did not stop cleanly: " + String.join("; ", unsnapshotted)
                    + " hold frames in no snapshot yet. Start the service, let it catch up, stop it with SIGTERM (it"
                    + " snapshots every stream before its last commit), then run this again");
        }
        return problems;
    }

    /** Whether {@code tp} holds a committed record at an offset in [from, end). */
    private boolean hasRecords(TopicPartition tp, long from, long end) {
        try (var consumer = consumer()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp, timeout) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() < end) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Every stream's latest snapshot record per state partition (a stream sits in one, or more after an earlier
     * layout or a run stopped half way), without their values: a topic of 100,000 streams is read in bounded memory.
     */
    private Map<String, List<Copy>> index(String topic, int partitions) {
        Map<String, Map<Integer, Copy>> latest = new TreeMap<>();
        scan(topic, partitions, null, r -> {
            if (r.key() == null) {
                return;
            }
            Map<Integer, Copy> byPartition = latest.computeIfAbsent(r.key(), k -> new TreeMap<>());
            if (r.value() == null) {
                byPartition.remove(r.partition());
                if (byPartition.isEmpty()) {
                    latest.remove(r.key());
                }
                return;
            }
            int input;
            try {
                input = StateSnapshot.parseFrom(r.value()).getInputPartition();
            } catch (InvalidProtocolBufferException e) {
                input = -1;
            }
            byPartition.put(r.partition(), new Copy(r.partition(), r.offset(), r.timestamp(), input));
        });
        Map<String, List<Copy>> out = new TreeMap<>();
        latest.forEach((id, m) -> out.put(id, List.copyOf(m.values())));
        return out;
    }

    /**
     * Reads {@code topic}'s partitions to their end offsets (from each one's {@code from} offset, else the
     * beginning), read_committed; fails after the setup timeout without progress ({@link TopicScan}).
     */
    private void scan(String topic, int partitions, Map<Integer, Long> from,
                      java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        try (var consumer = consumer()) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                if (from == null || from.containsKey(p)) {
                    tps.add(new TopicPartition(topic, p));
                }
            }
            Map<TopicPartition, Long> start = new HashMap<>(consumer.beginningOffsets(tps, timeout));
            if (from != null) {
                tps.forEach(tp -> start.put(tp, from.get(tp.partition())));
            }
            TopicScan.readToEnd(consumer, start, timeout, each);
        }
    }

    private KafkaConsumer<String, byte[]> consumer() {
        return new KafkaConsumer<>(settings.kafka().readerProperties(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Writes each moved snapshot to its new partition (input position: that partition, before its first record),
     * reading the values in a second pass; once every copy is acknowledged, the tombstones.
     */
    private void move(String topic, List<Plan> plans) throws Exception {
        if (plans.isEmpty()) {
            return;
        }
        Map<Integer, Map<Long, Plan>> wanted = new TreeMap<>();
        for (Plan p : plans) {
            if (p.copy() != null) {
                wanted.computeIfAbsent(p.copy().partition(), k -> new HashMap<>()).put(p.copy().offset(), p);
            }
        }
        Map<String, Object> props = new HashMap<>(settings.kafka().producerProperties());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(settings.kafka().topicSetup().maxMessageBytes()));
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            if (!wanted.isEmpty()) {
                Map<Integer, Long> from = new HashMap<>();
                wanted.forEach((p, offsets) -> from.put(p, offsets.keySet().stream().min(Long::compare).orElseThrow()));
                Exception[] failed = {null};
                scan(topic, from.keySet().stream().max(Integer::compare).orElseThrow() + 1, from, r -> {
                    Plan plan = wanted.get(r.partition()).get(r.offset());
                    if (plan == null || r.value() == null || failed[0] != null) {
                        return;
                    }
                    try {
                        byte[] moved = StateSnapshot.parseFrom(r.value()).toBuilder()
                                .setInputPartition(plan.target()).setInputOffset(-1).build().toByteArray();
                        acks.add(producer.send(new ProducerRecord<>(topic, plan.target(), r.timestamp(), plan.id(),
                                moved)));
                        if (acks.size() >= 1000) {
                            await(acks);
                        }
                    } catch (Exception e) {
                        failed[0] = e;
                    }
                });
                if (failed[0] != null) {
                    throw failed[0];
                }
                await(acks);
            }
            // New copies acknowledged before any tombstone: a run that stops in between leaves a stream in two
            // partitions, and the next run keeps the copy at its new partition.
            for (Plan p : plans) {
                for (int partition : p.tombstones()) {
                    acks.add(producer.send(new ProducerRecord<String, byte[]>(topic, partition, null, p.id(), null)));
                    if (acks.size() >= 1000) {
                        await(acks);
                    }
                }
            }
            await(acks);
        }
    }

    /** Waits for the acknowledgements, each within the setup timeout, and clears the list. */
    private void await(List<Future<RecordMetadata>> acks) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Future<RecordMetadata> ack : acks) {
            ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        acks.clear();
    }

    private <T> T get(KafkaFuture<T> future) throws ExecutionException, InterruptedException, TimeoutException {
        return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
