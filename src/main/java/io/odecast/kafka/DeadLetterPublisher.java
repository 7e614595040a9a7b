package io.odecast.kafka;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.record.TimestampType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a rejected input record into a {@link DeadLetterMessage} on the dead-letter topic, keeping its position, size and
 * SHA-256 and at most {@code maxValueBytes} of its value (a 60 MiB bad frame must not become a 60 MiB dead letter
 * that the producer cannot send), so that the record can be inspected and fetched again from its topic. The dead
 * letter's key is the stream id when known, otherwise the original key, so one stream's rejects stay together.
 */
public final class DeadLetterPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);

    /** The default bound on the value bytes a dead letter copies. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
    /** The longest reason text kept (a reason is one explanation, never a dump). */
    static final int MAX_REASON_CHARS = 2000;

    private final String topic;
    private final Clock clock;
    private final int maxValueBytes;

    /** Writes to {@code topic}, stamps dead letters with {@code clock}, copies at most {@code maxValueBytes}. */
    public DeadLetterPublisher(String topic, Clock clock, int maxValueBytes) {
        if (maxValueBytes < 0) {
            throw new IllegalArgumentException("maxValueBytes must not be negative, got " + maxValueBytes);
        }
        this.topic = topic;
        this.clock = clock;
        this.maxValueBytes = maxValueBytes;
    }

    /** Writes to {@code topic} and stamps dead letters with {@code clock}. */
    public DeadLetterPublisher(String topic, Clock clock) {
        this(topic, clock, DEFAULT_MAX_VALUE_BYTES);
    }

    /** Writes to {@link TopicNames#deadLetters()} and stamps dead letters with the system clock. */
    public DeadLetterPublisher(TopicNames topics) {
        this(topics.deadLetters(), Clock.systemUTC());
    }

    public String topic() {
        return topic;
    }

    /** The dead letter for a record that failed to decode. */
    public DeadLetterMessage deadLetter(ConsumerRecord<?, ?> record, FrameDecodeException error) {
        return deadLetter(record, error.reason(), error.getMessage(), error.streamId());
    }

    /**
     * The dead letter for {@code record}. Keys and values may be {@code byte[]}, {@link String} (stored as
     * UTF-8), protobuf messages (stored serialized) or null.
     */
    public DeadLetterMessage deadLetter(ConsumerRecord<?, ?> record, DeadLetterReason reason, String reasonText,
                                        Optional<String> streamId) {
        ByteString value = bytesOf(record.value());
        String text = reasonText == null ? "" : reasonText;
        if (text.length() > MAX_REASON_CHARS) {
            text = text.substring(0, MAX_REASON_CHARS) + "...";
        }
        ByteString key = bytesOf(record.key());
        Optional<Instant> timestamp = record.timestampType() != TimestampType.NO_TIMESTAMP_TYPE
                && record.timestamp() >= 0 ? Optional.of(Instant.ofEpochMilli(record.timestamp())) : Optional.empty();
        org.apache.kafka.common.header.Header replay = record.headers() == null ? null
                : record.headers().lastHeader(DeadLetterMessage.REPLAY_HEADER);
        Optional<String> replayOf = replay == null || replay.value() == null ? Optional.empty()
                : Optional.of(new String(replay.value(), StandardCharsets.UTF_8));
        return new DeadLetterMessage(record.topic(), record.partition(), record.offset(),
                prefix(key).toByteArray(), prefix(value).toByteArray(), value.size(), sha256(value),
                value.size() > maxValueBytes, reason, text, streamId, clock.instant(), timestamp, replayOf);
    }

    /** The record to produce for {@code deadLetter}, keyed by stream id or else by the original key. */
    public ProducerRecord<String, byte[]> producerRecord(DeadLetterMessage deadLetter) {
        String key = deadLetter.streamId().orElse(deadLetter.originalKey().length == 0 ? null
                : new String(deadLetter.originalKey(), StandardCharsets.UTF_8));
        return new ProducerRecord<>(topic, key, DeadLetterCodec.encode(deadLetter));
    }

    /** Builds the dead letter for a record that failed to decode and sends it; logs one line at WARN. */
    public Future<RecordMetadata> publish(Producer<String, byte[]> producer, ConsumerRecord<?, ?> record,
                                          FrameDecodeException error) {
        DeadLetterMessage deadLetter = deadLetter(record, error);
        LOG.warn("Dead-lettered {}-{}@{} ({}): {}", record.topic(), record.partition(), record.offset(),
                error.reason(), error.getMessage());
        return producer.send(producerRecord(deadLetter));
    }

    private ByteString prefix(ByteString bytes) {
        return bytes.size() > maxValueBytes ? bytes.substring(0, maxValueBytes) : bytes;
    }

    private static String sha256(ByteString value) {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            for (java.nio.ByteBuffer b : value.asReadOnlyByteBufferList()) {
                digest.update(b);
            }
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static ByteString bytesOf(Object value) {
        if (value == null) {
            return ByteString.EMPTY;
        }
        if (value instanceof byte[] bytes) {
            return com.google.protobuf.UnsafeByteOperations.unsafeWrap(bytes);
        }
        if (value instanceof com.google.protobuf.MessageLite message) {
            return message.toByteString();
        }
        return ByteString.copyFrom(value.toString(), StandardCharsets.UTF_8);
    }
}
