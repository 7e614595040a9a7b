package io.odecast.stream;

import io.odecast.kafka.DeadLetterCodec;
import io.odecast.kafka.DeadLetterMessage;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.FramePartitioner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
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
 * frames published again to the frames topic, each stream's in its original order, with their original key (a frame
 * that had none: its stream id) and timestamp.
 *
 * <p>A dead letter holds the rejected value whole up to {@code dead-letter-value-bytes}; a longer one holds a prefix,
 * and its record is read back from its topic, partition and offset (gone once that topic's retention has deleted
 * it). Either way the bytes must match the letter's SHA-256. A replayed record carries the header
 * {@value DeadLetterMessage#REPLAY_HEADER} = the position of the first record it copies (its root), and a letter of
 * a replay rejected again carries it on, so letters of one root are one frame: only the newest counts (letters of one
 * record written twice, by a replay of the service after a restart, count once too). A root whose newest letter is a
 * replay rejected as out of order is already in (an earlier replay was accepted, the stream is past it) and is not
 * published again; letters of records from other topics than the frames topic are summarised, never published.
 *
 * <p>The summary pass keeps a small index per root, not the letters: a replay reads the letters' values again in
 * passes of at most {@link #BATCH_BYTES} each over the dead-letter topic, so memory stays bounded however many there
 * are.
 */
public final class DeadLetterReplay {
    /** Header of a replayed frame: {@code topic-partition@offset} of the first record it copies. */
    public static final String REPLAY_HEADER = DeadLetterMessage.REPLAY_HEADER;
    /** At most this many letter value bytes are held at once while replaying. */
    static final long BATCH_BYTES = 64L << 20;

    private final ServiceSettings settings;
    private final Duration timeout;
    private final long batchBytes;

    public DeadLetterReplay(ServiceSettings settings) {
        this(settings, BATCH_BYTES);
    }

    DeadLetterReplay(ServiceSettings settings, long batchBytes) {
        this.settings = settings;
        this.timeout = settings.kafka().setupTimeout();
        this.batchBytes = batchBytes;
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
     * @param letters     matching letters, one per root (the newest)
     * @param byReason    their count per reason
     * @param byStream    their count per stream id (letters without one under "")
     * @param replayed    records published again
     * @param reread      of them, read back from their original topic (the letter held a prefix only)
     * @param gone        records neither in the letter whole nor any more on their topic
     * @param mismatch    records whose bytes did not match the letter's SHA-256 (not published)
     * @param alreadyIn   letters of a replay rejected as out of order: an earlier replay was taken (not published)
     * @param otherTopics letters of records from other topics than the frames topic (not published)
     */
    public record Result(int letters, Map<DeadLetterReason, Integer> byReason, Map<String, Integer> byStream,
                         int replayed, int reread, int gone, int mismatch, int alreadyIn, int otherTopics) {
        @Override
        public String toString() {
            return letters + " dead letters " + byReason + "; by stream " + top(byStream) + "; replayed " + replayed
                    + " (" + reread + " read back from their topic), gone " + gone + ", not matching their SHA-256 "
                    + mismatch + ", already in " + alreadyIn + ", from other topics " + otherTopics;
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

    /**
     * One root's newest letter, without its value: where the letter is, and what orders and classifies it.
     *
     * @param at         the letter's partition and offset on the dead-letter topic
     * @param timestamp  the original record's timestamp in ms (a replay keeps it), Long.MIN_VALUE without one
     * @param rootOffset the root record's offset (orders one stream's letters of equal timestamps)
     */
    private record Entry(TopicPartition at, long offset, Instant time, DeadLetterReason reason, String streamId,
                         String originalTopic, boolean replay, long timestamp, long rootOffset, int bytes,
                         boolean matches) {
        static final Comparator<Entry> NEWER = Comparator.comparing(Entry::time)
                .thenComparingInt(e -> e.at().partition()).thenComparingLong(Entry::offset);
        static final Comparator<Entry> REPLAY_ORDER = Comparator.comparing(Entry::streamId)
                .thenComparingLong(Entry::timestamp).thenComparingLong(Entry::rootOffset);
    }

    /** Reads the dead-letter topic and, when {@code replay}, publishes the matching records again. */
    public Result run(Filter filter, boolean replay) throws Exception {
        String frames = settings.kafka().topics().frames();
        Map<DeadLetterReason, Integer> byReason = new TreeMap<>();
        Map<String, Integer> byStream = new TreeMap<>();
        List<Entry> due = new ArrayList<>();
        int letters = 0;
        int alreadyIn = 0;
        int otherTopics = 0;
        for (Entry e : index(filter.predicate()).values()) {
            if (!e.matches()) {
                continue;
            }
            letters++;
            byReason.merge(e.reason(), 1, Integer::sum);
            byStream.merge(e.streamId(), 1, Integer::sum);
            if (!e.originalTopic().equals(frames)) {
                otherTopics++;
            } else if (e.replay() && e.reason() == DeadLetterReason.OUT_OF_ORDER) {
                alreadyIn++;
            } else {
                due.add(e);
            }
        }
        int[] counts = new int[4];
        if (replay) {
            due.sort(Entry.REPLAY_ORDER);
            publish(due, counts);
        }
        return new Result(letters, byReason, byStream, counts[0], counts[3], counts[1], counts[2], alreadyIn,
                otherTopics);
    }

    /** Every root's newest letter on the dead-letter topic, marked whether it matches. */
    private Map<String, Entry> index(Predicate<DeadLetterMessage> matches) {
        Map<String, Entry> byRoot = new HashMap<>();
        scan(null, (r, d) -> {
            String root = d.root();
            Entry e = new Entry(new TopicPartition(r.topic(), r.partition()), r.offset(), d.time(), d.reason(),
                    d.streamId().orElse(""), d.originalTopic(), d.replayOf().isPresent(),
                    d.originalTimestamp().map(Instant::toEpochMilli).orElse(Long.MIN_VALUE), rootOffset(root),
                    d.originalValue().length, matches.test(d));
            byRoot.merge(root, e, (a, b) -> Entry.NEWER.compare(a, b) >= 0 ? a : b);
        });
        return byRoot;
    }

    /** The offset in a position {@code topic-partition@offset}. */
    private static long rootOffset(String position) {
        try {
            return Long.parseLong(position.substring(position.lastIndexOf('@') + 1));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Reads the dead-letter topic, or only the offset ranges of {@code only} (first to last per partition), and
     * hands each letter to {@code sink}.
     */
    private void scan(Map<TopicPartition, long[]> only,
                      java.util.function.BiConsumer<ConsumerRecord<byte[], byte[]>, DeadLetterMessage> sink) {
        String topic = settings.kafka().topics().deadLetters();
        try (var consumer = consumer()) {
            List<TopicPartition> tps = only != null ? List.copyOf(only.keySet())
                    : consumer.partitionsFor(topic, timeout).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(tps);
            Map<TopicPartition, Long> end = new HashMap<>();
            if (only == null) {
                consumer.seekToBeginning(tps);
                end.putAll(consumer.endOffsets(tps, timeout));
            } else {
                only.forEach((tp, range) -> {
                    consumer.seek(tp, range[0]);
                    end.put(tp, range[1] + 1);
                });
            }
            long deadline = System.nanoTime() + timeout.toNanos() * 10;
            while (tps.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to " + end);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null || r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    DeadLetterMessage d;
                    try {
                        d = DeadLetterCodec.decode(r.value());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalStateException("record " + r.topic() + "-" + r.partition() + "@" + r.offset()
                                + " is not a dead letter: " + e.getMessage(), e);
                    }
                    sink.accept(r, d);
                }
            }
        }
    }

    /** Publishes {@code due} in order, in batches of at most {@link #batchBytes} letter bytes read at a time. */
    private void publish(List<Entry> due, int[] counts) throws Exception {
        KafkaSettings kafka = settings.kafka();
        String frames = kafka.topics().frames();
        Map<String, Object> props = new HashMap<>(kafka.producerProperties());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(kafka.topicSetup().maxMessageBytes()));
        try (var producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
             var originals = consumer()) {
            int partitions = producer.partitionsFor(frames).size();
            for (int from = 0; from < due.size(); ) {
                int to = from;
                long bytes = 0;
                while (to < due.size() && (to == from || bytes + due.get(to).bytes() <= batchBytes)) {
                    bytes += due.get(to++).bytes();
                }
                List<Entry> batch = due.subList(from, to);
                Map<TopicPartition, long[]> ranges = new HashMap<>();
                Set<String> wanted = new HashSet<>();
                for (Entry e : batch) {
                    ranges.merge(e.at(), new long[] {e.offset(), e.offset()},
                            (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
                    wanted.add(e.at() + "@" + e.offset());
                }
                Map<String, DeadLetterMessage> read = new HashMap<>();
                scan(ranges, (r, d) -> {
                    String at = new TopicPartition(r.topic(), r.partition()) + "@" + r.offset();
                    if (wanted.contains(at)) {
                        read.put(at, d);
                    }
                });
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                for (Entry e : batch) {
                    DeadLetterMessage d = read.get(e.at() + "@" + e.offset());
                    if (d == null) {
                        throw new IllegalStateException("dead letter " + e.at() + "@" + e.offset()
                                + " vanished between the summary and the replay");
                    }
                    send(producer, originals, d, partitions, counts).ifPresent(acks::add);
                }
                // One deadline per batch: a batch is at most batchBytes.
                long deadline = System.nanoTime() + timeout.toNanos();
                for (Future<RecordMetadata> ack : acks) {
                    ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
                from = to;
            }
        }
    }

    /** Sends one letter's record again, unless it is gone or does not match its SHA-256. */
    private Optional<Future<RecordMetadata>> send(KafkaProducer<byte[], byte[]> producer,
                                                  KafkaConsumer<byte[], byte[]> originals, DeadLetterMessage d,
                                                  int partitions, int[] counts) throws Exception {
        KafkaSettings kafka = settings.kafka();
        Optional<byte[]> value = d.valueTruncated() ? original(originals, d) : Optional.of(d.originalValue());
        if (value.isEmpty()) {
            counts[1]++;
            return Optional.empty();
        }
        if (!d.originalSha256().isEmpty() && !d.originalSha256().equals(sha256(value.get()))) {
            counts[2]++;
            return Optional.empty();
        }
        if (d.valueTruncated()) {
            counts[3]++;
        }
        // A record without a key (a letter cannot tell an empty key from none) goes out keyed by its stream id when
        // the letter knows it, as the service requires of a frame (key_mismatch otherwise): the mend of a producer
        // that did not key its frames. Without a stream id it goes out without a key.
        byte[] key = d.originalKey().length > 0 ? d.originalKey()
                : d.streamId().map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
        Optional<String> id = key == null ? Optional.empty() : Optional.of(new String(key, StandardCharsets.UTF_8));
        // The partition its producer would choose now (priority streams on the reserved partitions).
        Integer partition = id.map(s -> FramePartitioner.partition(s, settings.streams().settingsFor(s)
                .map(x -> x.priority() == StreamSettings.Priority.HIGH).orElse(false), partitions,
                kafka.priorityPartitions())).orElse(null);
        RecordHeaders headers = new RecordHeaders();
        headers.add(REPLAY_HEADER, d.root().getBytes(StandardCharsets.UTF_8));
        Long timestamp = d.originalTimestamp().map(Instant::toEpochMilli).orElse(null);
        counts[0]++;
        return Optional.of(producer.send(new ProducerRecord<>(kafka.topics().frames(), partition, timestamp, key,
                value.get(), headers)));
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
