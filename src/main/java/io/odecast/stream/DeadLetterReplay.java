package io.odecast.stream;

import io.odecast.kafka.DeadLetterCodec;
import io.odecast.kafka.DeadLetterMessage;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.FramePartitioner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The way back from the dead-letter topic ({@code odecast dead-letters}): a summary of what was rejected and why,
 * and, once the cause is mended (a stream rule added for {@code unknown_stream}, a producer fixed), the rejected
 * frames published again to the frames topic, in their original order, with their original key and timestamp.
 *
 * <p>A dead letter holds the rejected value whole up to {@code dead-letter-value-bytes}; a longer one holds a prefix,
 * and its record is read back from its original topic, partition and offset (gone once that topic's retention has
 * deleted it). Either way the bytes must match the letter's SHA-256. Letters of one record written twice (a replay
 * after a restart) count once. A replayed record carries the header {@value #REPLAY_HEADER} = its original position.
 */
public final class DeadLetterReplay {
    /** Header of a replayed frame: {@code topic-partition@offset} of the record it copies. */
    public static final String REPLAY_HEADER = "odecast.replay-of";

    private final ServiceSettings settings;
    private final Duration timeout;

    public DeadLetterReplay(ServiceSettings settings) {
        this.settings = settings;
        this.timeout = settings.kafka().setupTimeout();
    }

    /**
     * Which letters: by reason (empty: any) and stream id pattern (null: any; globs or {@code regex:} as in the
     * stream rules; letters without a stream id match only when no pattern is given).
     */
    public record Filter(Set<DeadLetterReason> reasons, String streamPattern) {
        Predicate<DeadLetterMessage> predicate() {
            Pattern p = streamPattern == null ? null : StreamRules.compile(streamPattern);
            return d -> (reasons.isEmpty() || reasons.contains(d.reason()))
                    && (p == null || d.streamId().map(id -> p.matcher(id).matches()).orElse(false));
        }
    }

    /**
     * What the topic holds for the filter, and what a replay did.
     *
     * @param letters  matching letters, one per original record
     * @param byReason their count per reason
     * @param byStream their count per stream id (letters without one under "")
     * @param replayed records published again
     * @param reread   of them, read back from their original topic (the letter held a prefix only)
     * @param gone     records neither in the letter whole nor any more on their topic
     * @param mismatch records whose bytes did not match the letter's SHA-256 (not published)
     */
    public record Result(int letters, Map<DeadLetterReason, Integer> byReason, Map<String, Integer> byStream,
                         int replayed, int reread, int gone, int mismatch) {
        @Override
        public String toString() {
            return letters + " dead letters " + byReason + "; by stream " + top(byStream) + "; replayed " + replayed
                    + " (" + reread + " read back from their topic), gone " + gone + ", not matching their SHA-256 " + mismatch;
        }

        private static String top(Map<String, Integer> counts) {
            List<Map.Entry<String, Integer>> sorted = counts.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
                            .thenComparing(Map.Entry.comparingByKey())).toList();
            Map<String, Integer> shown = new LinkedHashMap<>();
            sorted.stream().limit(10).forEach(e -> shown.put(e.getKey().isEmpty() ? "(none)" : e.getKey(),
                    e.getValue()));
            return shown + (sorted.size() > 10 ? " and " + (sorted.size() - 10) + " more" : "");
        }
    }

    /** Reads the dead-letter topic and, when {@code replay}, publishes the matching records again. */
    public Result run(Filter filter, boolean replay) throws Exception {
        List<DeadLetterMessage> letters = read(filter.predicate());
        Map<DeadLetterReason, Integer> byReason = new TreeMap<>();
        Map<String, Integer> byStream = new TreeMap<>();
        for (DeadLetterMessage d : letters) {
            byReason.merge(d.reason(), 1, Integer::sum);
            byStream.merge(d.streamId().orElse(""), 1, Integer::sum);
        }
        int[] counts = new int[4];
        if (replay) {
            publish(letters, counts);
        }
        return new Result(letters.size(), byReason, byStream, counts[0], counts[3], counts[1], counts[2]);
    }

    /** The matching letters, one per original position, in original topic, partition and offset order. */
    private List<DeadLetterMessage> read(Predicate<DeadLetterMessage> matches) {
        String topic = settings.kafka().topics().deadLetters();
        Map<String, DeadLetterMessage> byPosition = new HashMap<>();
        try (var consumer = consumer()) {
            List<TopicPartition> tps = consumer.partitionsFor(topic, timeout).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
            long deadline = System.nanoTime() + timeout.toNanos() * 10;
            while (tps.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end " + end);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    DeadLetterMessage d;
                    try {
                        d = DeadLetterCodec.decode(r.value());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalStateException("record " + r.topic() + "-" + r.partition() + "@" + r.offset()
                                + " is not a dead letter: " + e.getMessage(), e);
                    }
                    if (matches.test(d)) {
                        byPosition.putIfAbsent(d.position(), d);
                    }
                }
            }
        }
        List<DeadLetterMessage> letters = new ArrayList<>(byPosition.values());
        letters.sort(Comparator.comparing(DeadLetterMessage::originalTopic)
                .thenComparingInt(DeadLetterMessage::originalPartition)
                .thenComparingLong(DeadLetterMessage::originalOffset));
        return letters;
    }

    private void publish(List<DeadLetterMessage> letters, int[] counts) throws Exception {
        KafkaSettings kafka = settings.kafka();
        String frames = kafka.topics().frames();
        Map<String, Object> props = new HashMap<>(kafka.producerProperties());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(kafka.topicSetup().maxMessageBytes()));
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (var producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
             var originals = consumer()) {
            int partitions = producer.partitionsFor(frames).size();
            for (DeadLetterMessage d : letters) {
                Optional<byte[]> value = d.valueTruncated() ? original(originals, d) : Optional.of(d.originalValue());
                if (value.isEmpty()) {
                    counts[1]++;
                    continue;
                }
                if (!d.originalSha256().isEmpty() && !d.originalSha256().equals(sha256(value.get()))) {
                    counts[2]++;
                    continue;
                }
                if (d.valueTruncated()) {
                    counts[3]++;
                }
                byte[] key = d.originalKey().length == 0 ? null : d.originalKey();
                // The partition its producer would choose now (priority streams on the reserved partitions).
                Integer partition = null;
                if (key != null) {
                    String id = new String(key, StandardCharsets.UTF_8);
                    boolean high = settings.streams().settingsFor(id)
                            .map(s -> s.priority() == StreamSettings.Priority.HIGH).orElse(false);
                    partition = FramePartitioner.partition(id, high, partitions, kafka.priorityPartitions());
                }
                RecordHeaders headers = new RecordHeaders();
                headers.add(REPLAY_HEADER, d.position().getBytes(StandardCharsets.UTF_8));
                Long timestamp = d.originalTimestamp().map(java.time.Instant::toEpochMilli).orElse(null);
                acks.add(producer.send(new ProducerRecord<>(frames, partition, timestamp, key, value.get(), headers)));
                counts[0]++;
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        }
    }

    /** The record a letter copies, read from its topic, partition and offset; empty when it is no longer there. */
    private Optional<byte[]> original(KafkaConsumer<byte[], byte[]> consumer, DeadLetterMessage d) {
        TopicPartition tp = new TopicPartition(d.originalTopic(), d.originalPartition());
        consumer.assign(List.of(tp));
        consumer.seek(tp, d.originalOffset());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                return r.offset() == d.originalOffset() ? Optional.ofNullable(r.value()) : Optional.empty();
            }
            if (consumer.position(tp, timeout) > d.originalOffset()) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(settings.kafka().readerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
