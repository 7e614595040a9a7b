package io.odecast.stream;

import io.odecast.kafka.DeadLetterCodec;
import io.odecast.kafka.DeadLetterMessage;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameDecodeException;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.FramePartitioner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
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
 * frames published again to the frames topic, each stream's in its original order, keyed by their stream id (as the
 * service requires: a frame sent without a key or with a wrong one, {@code key_mismatch}, goes out right) with their
 * original timestamp.
 *
 * <p>Letters whose cause is the record's own bytes ({@link #OWN_BYTES}: {@code malformed}, null values included,
 * and {@code all_invalid}) are not published unless the filter names their reason: no configuration accepts them,
 * and sent again they would only come back. Nor is, on a replay, a letter whose bytes fail the frame's own checks
 * ({@link FrameCodec#decode}), e.g. a {@code wrong_shape} frame whose data does not fit its own declared shape.
 * Otherwise {@code wrong_shape} is replayed: it is also the verdict on a sound frame whose shape is not its stream's
 * model's, which a changed rule mends.
 *
 * <p>A dead letter holds the rejected value whole up to {@code dead-letter-value-bytes}; a longer one holds a prefix,
 * and its record is read back from its topic, partition and offset (gone once that topic's retention has deleted
 * it). Either way the bytes must match the letter's SHA-256. A replayed record carries the header
 * {@value DeadLetterMessage#REPLAY_HEADER} = the position of the first record it copies (its root), and a letter of
 * a replay rejected again carries it on, so letters of one root are one frame: only the newest counts (letters of one
 * record written twice, by a replay of the service after a restart, count once too). A root whose newest letter is a
 * replay rejected as out of order is behind its stream (an earlier replay was accepted, or the stream's later frames
 * came first) and is not published again; letters of records from other topics than the frames topic are summarised,
 * never published. Each stream's frames go out in event-time order (read from the letter's value, whose first fields
 * hold it even when truncated; else the record timestamp), then in original offset order.
 *
 * <p>The summary pass keeps a small index per root, not the letters: a replay reads the letters' values again in
 * batches of at most {@link #BATCH_BYTES}, each batch's letters in dead-letter offset order (seeking over long gaps),
 * so memory stays bounded however many there are. A letter deleted by the topic's retention in between counts as
 * gone.
 */
public final class DeadLetterReplay {
    /** Header of a replayed frame: {@code topic-partition@offset} of the first record it copies. */
    public static final String REPLAY_HEADER = DeadLetterMessage.REPLAY_HEADER;
    /** At most this many letter value bytes are held at once while replaying. */
    static final long BATCH_BYTES = 64L << 20;
    /**
     * Reasons that lie in the record's bytes alone, whatever the configuration: replayed only when the filter names
     * them.
     */
    public static final Set<DeadLetterReason> OWN_BYTES = Set.copyOf(EnumSet.of(DeadLetterReason.MALFORMED,
            DeadLetterReason.ALL_INVALID));

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
            Pattern p = streamPattern == null ? null : io.odecast.kafka.StreamPatterns.compile(streamPattern);
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
     * @param behind      letters of a replay rejected as out of order: the stream is past the frame (an earlier
     *                    replay was taken, or its later frames came first); not published
     * @param otherTopics letters of records from other topics than the frames topic (not published)
     * @param ownBytes    letters rejected for their own bytes, whose reason the filter does not name (not
     *                    published): those of {@link #OWN_BYTES}, and on a replay any whose bytes fail the frame's
     *                    own checks
     */
    public record Result(int letters, Map<DeadLetterReason, Integer> byReason, Map<String, Integer> byStream,
                         int replayed, int reread, int gone, int mismatch, int behind, int otherTopics,
                         int ownBytes) {
        @Override
        public String toString() {
            return letters + " dead letters " + byReason + "; by stream " + top(byStream) + "; replayed " + replayed
                    + " (" + reread + " read back from their topic), gone " + gone + ", not matching their SHA-256 "
                    + mismatch + ", behind their stream after a replay " + behind + ", from other topics "
                    + otherTopics + ", rejected for their own bytes " + ownBytes + " (not sent unless --reason names"
                    + " their reason)";
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
     * @param order      the frame's event time in ms when its value shows it, else the original record's timestamp
     *                   (a replay keeps it), else Long.MIN_VALUE
     * @param rootOffset the root record's offset (orders one stream's letters of equal times)
     */
    private record Entry(TopicPartition at, long offset, Instant time, DeadLetterReason reason, String streamId,
                         String originalTopic, boolean replay, long order, long rootOffset, int bytes,
                         boolean matches) {
        static final Comparator<Entry> REPLAY_ORDER = Comparator.comparing(Entry::streamId)
                .thenComparingLong(Entry::order).thenComparingLong(Entry::rootOffset);

        /** The later of two letters of one root: by offset in one dead-letter partition, else by the time written. */
        static Entry newer(Entry a, Entry b) {
            if (a.at().equals(b.at())) {
                return a.offset() >= b.offset() ? a : b;
            }
            return a.time().isAfter(b.time()) ? a : b;
        }
    }

    /** Reads the dead-letter topic and, when {@code replay}, publishes the matching records again. */
    public Result run(Filter filter, boolean replay) throws Exception {
        String frames = settings.kafka().topics().frames();
        Map<DeadLetterReason, Integer> byReason = new TreeMap<>();
        Map<String, Integer> byStream = new TreeMap<>();
        List<Entry> due = new ArrayList<>();
        int letters = 0;
        int behind = 0;
        int otherTopics = 0;
        int ownBytes = 0;
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
                behind++;
            } else if (OWN_BYTES.contains(e.reason()) && !filter.reasons().contains(e.reason())) {
                ownBytes++;
            } else {
                due.add(e);
            }
        }
        int[] counts = new int[5];
        if (replay) {
            due.sort(Entry.REPLAY_ORDER);
            publish(due, filter.reasons(), counts);
        }
        return new Result(letters, byReason, byStream, counts[0], counts[3], counts[1], counts[2], behind,
                otherTopics, ownBytes + counts[4]);
    }

    /** Every root's newest letter on the dead-letter topic, marked whether it matches. */
    private Map<String, Entry> index(Predicate<DeadLetterMessage> matches) {
        Map<String, Entry> byRoot = new HashMap<>();
        try (var consumer = consumer()) {
            scan(consumer, null, (r, d) -> {
                String root = d.root();
                Entry e = new Entry(new TopicPartition(r.topic(), r.partition()), r.offset(), d.time(), d.reason(),
                        d.streamId().orElse(""), d.originalTopic(), d.replayOf().isPresent(),
                        eventTime(d.originalValue()).orElse(d.originalTimestamp().map(Instant::toEpochMilli)
                                .orElse(Long.MIN_VALUE)), rootOffset(root), d.originalValue().length, matches.test(d));
                byRoot.merge(root, e, Entry::newer);
            });
        }
        return byRoot;
    }

    /**
     * The event time of a frame (field 2 of {@code odecast.v1.Frame}, after the stream id) in ms, read from the start
     * of its value: a letter's prefix holds it even when truncated. Empty when the bytes do not show it.
     */
    static Optional<Long> eventTime(byte[] value) {
        try {
            com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(value);
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (com.google.protobuf.WireFormat.getTagFieldNumber(tag) == 2
                        && com.google.protobuf.WireFormat.getTagWireType(tag)
                        == com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    com.google.protobuf.Timestamp t = com.google.protobuf.Timestamp.parseFrom(in.readBytes());
                    return Optional.of(t.getSeconds() * 1000 + t.getNanos() / 1_000_000);
                }
                if (com.google.protobuf.WireFormat.getTagFieldNumber(tag) > 2 || !in.skipField(tag)) {
                    return Optional.empty();
                }
            }
        } catch (java.io.IOException | ArithmeticException e) {
            // Not a frame, or cut before its event time.
        }
        return Optional.empty();
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
    private void scan(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, long[]> only,
                      java.util.function.BiConsumer<ConsumerRecord<byte[], byte[]>, DeadLetterMessage> sink) {
        String topic = settings.kafka().topics().deadLetters();
        List<TopicPartition> tps = only != null ? List.copyOf(only.keySet())
                : consumer.partitionsFor(topic, timeout).stream()
                .map(i -> new TopicPartition(topic, i.partition())).toList();
        Map<TopicPartition, Long> from = new HashMap<>();
        Map<TopicPartition, Long> end = new HashMap<>();
        if (only == null) {
            from.putAll(consumer.beginningOffsets(tps, timeout));
            end.putAll(consumer.endOffsets(tps, timeout));
        } else {
            only.forEach((tp, range) -> {
                from.put(tp, range[0]);
                end.put(tp, range[1] + 1);
            });
        }
        TopicScan.read(consumer, from, end, timeout, timeout.multipliedBy(10), r -> {
            if (r.value() == null) {
                return;
            }
            DeadLetterMessage d;
            try {
                d = DeadLetterCodec.decode(r.value());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("record " + r.topic() + "-" + r.partition() + "@" + r.offset()
                        + " is not a dead letter: " + e.getMessage(), e);
            }
            sink.accept(r, d);
        });
    }

    /**
     * Publishes {@code due} in order, in batches of at most {@link #batchBytes} letter bytes read at a time;
     * {@code named}: the reasons the filter names (their letters are sent even when their bytes fail the frame's own
     * checks).
     */
    private void publish(List<Entry> due, Set<DeadLetterReason> named, int[] counts) throws Exception {
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
                Map<String, DeadLetterMessage> read = letters(batch);
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                for (Entry e : batch) {
                    DeadLetterMessage d = read.get(e.at() + "@" + e.offset());
                    if (d == null) {
                        // Deleted by the dead-letter topic's retention since the summary.
                        counts[1]++;
                        continue;
                    }
                    send(producer, originals, d, named.contains(d.reason()), partitions, counts)
                            .ifPresent(acks::add);
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

    /** Letters farther apart than this on one partition are read by a seek, not by reading what lies between. */
    private static final long SEEK_GAP = 2_000;

    /**
     * The letters of {@code batch}, by {@code partition@offset}: each dead-letter partition's wanted offsets read in
     * increasing order, in runs of nearby offsets (one seek each), so a batch costs about its own letters.
     */
    private Map<String, DeadLetterMessage> letters(List<Entry> batch) {
        Map<TopicPartition, java.util.TreeSet<Long>> wanted = new HashMap<>();
        for (Entry e : batch) {
            wanted.computeIfAbsent(e.at(), k -> new java.util.TreeSet<>()).add(e.offset());
        }
        Map<TopicPartition, List<long[]>> runs = new HashMap<>();
        wanted.forEach((tp, offsets) -> {
            List<long[]> list = new ArrayList<>();
            for (long o : offsets) {
                long[] last = list.isEmpty() ? null : list.get(list.size() - 1);
                if (last != null && o - last[1] <= SEEK_GAP) {
                    last[1] = o;
                } else {
                    list.add(new long[] {o, o});
                }
            }
            runs.put(tp, list);
        });
        Map<String, DeadLetterMessage> read = new HashMap<>();
        int most = runs.values().stream().mapToInt(List::size).max().orElse(0);
        try (var consumer = consumer()) {
            for (int i = 0; i < most; i++) {
                Map<TopicPartition, long[]> only = new HashMap<>();
                for (var r : runs.entrySet()) {
                    if (i < r.getValue().size()) {
                        only.put(r.getKey(), r.getValue().get(i));
                    }
                }
                scan(consumer, only, (r, d) -> {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (wanted.get(tp).contains(r.offset())) {
                        read.put(tp + "@" + r.offset(), d);
                    }
                });
            }
        }
        return read;
    }

    /**
     * Sends one letter's record again, unless it is gone, does not match its SHA-256, or (its reason not
     * {@code named}) fails the frame's own checks.
     */
    private Optional<Future<RecordMetadata>> send(KafkaProducer<byte[], byte[]> producer,
                                                  KafkaConsumer<byte[], byte[]> originals, DeadLetterMessage d,
                                                  boolean named, int partitions, int[] counts) throws Exception {
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
        Optional<String> streamId;
        try {
            FrameMessage frame = FrameCodec.decode(value.get());
            streamId = Optional.of(frame.streamId());
        } catch (FrameDecodeException e) {
            if (!named) {
                // No configuration accepts these bytes: sent again, they would only be rejected again.
                counts[4]++;
                return Optional.empty();
            }
            streamId = e.streamId();
        }
        if (d.valueTruncated()) {
            counts[3]++;
        }
        // A frame goes out keyed by its stream id, as the service requires (key_mismatch otherwise): the mend of a
        // producer that did not key its frames, or keyed them wrongly; for every other letter the key was the id
        // already. Bytes that show no stream id (a malformed letter replayed on request) keep their key; without
        // one (a letter cannot tell an empty key from none) they go out keyed by the letter's stream id, if any.
        byte[] key;
        if (streamId.isPresent() && !streamId.get().isEmpty()) {
            key = streamId.get().getBytes(StandardCharsets.UTF_8);
        } else if (d.originalKey().length > 0) {
            key = d.originalKey();
        } else {
            key = d.streamId().map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
        }
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
