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
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
     * @param from          partitions of the frames topic before
     * @param to            partitions after
     * @param streams       streams with a snapshot on the state topic
     * @param moves         snapshots to move, by old state partition and then new
     * @param topicsGrown   topics given more partitions (empty in a dry run or when they already had them)
     */
    public record Result(int from, int to, int streams, Map<Integer, Map<Integer, Integer>> moves,
                         List<String> topicsGrown) {
        public int moved() {
            return moves.values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
        }

        @Override
        public String toString() {
            return "partitions " + from + " -> " + to + "; " + streams + " streams with a snapshot, " + moved()
                    + " to move (old partition -> {new partition = streams}: " + moves + ")"
                    + (topicsGrown.isEmpty() ? "" : "; topics grown: " + topicsGrown);
        }
    }

    /**
     * Checks, then (unless {@code dryRun}) grows the topics to {@code partitions} and moves the snapshots.
     *
     * @throws IllegalArgumentException when {@code partitions} is fewer than the frames topic has
     * @throws IllegalStateException    when the service's group has members or frames are not yet processed
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
            requireStopped(admin, kafka.groupId());
            requireProcessed(admin, kafka.groupId(), t.frames(), current);
            Map<String, Map<Integer, ConsumerRecord<String, byte[]>>> snapshots = readState(t.state(),
                    topics.get(t.state()).partitions().size());
            List<Move> plan = new ArrayList<>();
            Map<Integer, Map<Integer, Integer>> moves = new TreeMap<>();
            for (var e : snapshots.entrySet()) {
                String id = e.getKey();
                boolean high = settings.streams().settingsFor(id)
                        .map(s -> s.priority() == StreamSettings.Priority.HIGH).orElse(false);
                int target = FramePartitioner.partition(id, high, partitions, kafka.priorityPartitions());
                for (int p : e.getValue().keySet()) {
                    if (p != target) {
                        // [old partition, new partition]; a copy already at the target (a run stopped half way)
                        // makes the move a tombstone only.
                        plan.add(new Move(id, p, target));
                        moves.computeIfAbsent(p, k -> new TreeMap<>()).merge(target, 1, Integer::sum);
                    }
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
                move(snapshots, plan);
            }
            return new Result(current, partitions, snapshots.size(), moves, grownNow);
        }
    }

    private void requireStopped(Admin admin, String group) throws Exception {
        ConsumerGroupDescription g;
        try {
            g = get(admin.describeConsumerGroups(List.of(group)).all()).get(group);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return;
            }
            throw e;
        }
        if (!g.members().isEmpty()) {
            throw new IllegalStateException("consumer group " + group + " has " + g.members().size() + " members ("
                    + g.members().stream().map(m -> m.groupInstanceId().orElse(m.consumerId())).sorted().toList()
                    + "): stop every instance of the service first (odecast serve drains and commits on SIGTERM)");
        }
    }

    /** Every frame of every partition processed and committed: a stream's old frames must not wait behind it. */
    private void requireProcessed(Admin admin, String group, String frames, int partitions) throws Exception {
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
            if (from < end) {
                behind.add("partition " + p + ": " + (end - from) + " (committed " + (c == null ? "none" : from)
                        + ", end " + end + ")");
            }
            // A stop by SIGTERM snapshots every stream before its last commit; after a crash the next owner would
            // first replay frames into states that are not in any snapshot, and those states would not move.
            long replay = c == null ? from : PartitionTask.replayFrom(c.metadata(), from);
            if (replay < from) {
                unsnapshotted.add("partition " + p + " (snapshots up to offset " + replay + ", committed " + from + ")");
            }
        }
        if (!behind.isEmpty()) {
            throw new IllegalStateException("frames of " + frames + " not yet processed by group " + group + ": "
                    + String.join("; ", behind) + ". Stop the producers, let the service process them and stop it,"
                    + " then run this again");
        }
        if (!unsnapshotted.isEmpty()) {
            throw new IllegalStateException("the service did not stop cleanly: " + String.join("; ", unsnapshotted)
                    + " hold frames in no snapshot yet. Start the service, let it catch up, stop it with SIGTERM (it"
                    + " snapshots every stream before its last commit), then run this again");
        }
    }

    /** The latest snapshot of every stream, by partition (a stream is in one, or two after a run stopped half way). */
    private Map<String, Map<Integer, ConsumerRecord<String, byte[]>>> readState(String topic, int partitions) {
        Map<String, Object> props = new HashMap<>(settings.kafka().consumerProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        Map<String, Map<Integer, ConsumerRecord<String, byte[]>>> latest = new TreeMap<>();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (tps.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end " + end + " within "
                            + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null) {
                        continue;
                    }
                    Map<Integer, ConsumerRecord<String, byte[]>> byPartition =
                            latest.computeIfAbsent(r.key(), k -> new TreeMap<>());
                    if (r.value() == null) {
                        byPartition.remove(r.partition());
                        if (byPartition.isEmpty()) {
                            latest.remove(r.key());
                        }
                    } else {
                        byPartition.put(r.partition(), r);
                    }
                }
            }
        }
        return latest;
    }

    /** A stream's snapshot to move from one state partition to another. */
    private record Move(String id, int from, int to) {
    }

    private void move(Map<String, Map<Integer, ConsumerRecord<String, byte[]>>> snapshots, List<Move> plan)
            throws Exception {
        if (plan.isEmpty()) {
            return;
        }
        String topic = settings.kafka().topics().state();
        Map<String, Object> props = new HashMap<>(settings.kafka().producerProperties());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(settings.kafka().topicSetup().maxMessageBytes()));
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            // New copies first, acknowledged, then the tombstones: a run that stops in between leaves a stream in two
            // partitions, and the next run keeps the copy at its new partition.
            for (Move m : plan) {
                Map<Integer, ConsumerRecord<String, byte[]>> copies = snapshots.get(m.id());
                if (copies.containsKey(m.to())) {
                    continue;
                }
                ConsumerRecord<String, byte[]> old = copies.get(m.from());
                byte[] moved = StateSnapshot.parseFrom(old.value()).toBuilder()
                        .setInputPartition(m.to()).setInputOffset(-1).build().toByteArray();
                acks.add(producer.send(new ProducerRecord<>(topic, m.to(), old.timestamp(), m.id(), moved)));
                copies.put(m.to(), old);
            }
            await(acks);
            acks.clear();
            for (Move m : plan) {
                acks.add(producer.send(new ProducerRecord<String, byte[]>(topic, m.from(), null, m.id(), null)));
            }
            await(acks);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a record on " + topic + " is not a state snapshot: " + e.getMessage(), e);
        }
    }

    private void await(List<Future<RecordMetadata>> acks) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Future<RecordMetadata> ack : acks) {
            ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    private <T> T get(KafkaFuture<T> future) throws ExecutionException, InterruptedException, TimeoutException {
        return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
