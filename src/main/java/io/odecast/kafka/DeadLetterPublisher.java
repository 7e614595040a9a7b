package io.odecast.kafka;

import com.google.protobuf.ByteString;
import io.odecast.proto.DeadLetter;
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
 * Turns a rejected input record into a {@link DeadLetter} on the dead-letter topic, keeping the original bytes
 * and position so that the record can be inspected and replayed. The dead letter's key is the stream id when
 * known, otherwise the original key, so one stream's rejects stay together and in order.
 */
public final class DeadLetterPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);

    private final String topic;
    private final Clock clock;

    /** Writes to {@code topic} and stamps dead letters with {@code clock}. */
    public DeadLetterPublisher(String topic, Clock clock) {
        this.topic = topic;
        this.clock = clock;
    }

    /** Writes to {@link TopicNames#deadLetters()} and stamps dead letters with the system clock. */
    public DeadLetterPublisher(TopicNames topics) {
        this(topics.deadLetters(), Clock.systemUTC());
    }

    public String topic() {
        return topic;
    }

    /** The dead letter for a record that failed to decode. */
    public DeadLetter deadLetter(ConsumerRecord<?, ?> record, FrameDecodeException error) {
        return deadLetter(record, error.reason(), error.getMessage(), error.streamId());
    }

    /**
     * The dead letter for {@code record}. Keys and values may be {@code byte[]}, {@link String} (stored as
     * UTF-8), protobuf messages (stored serialized) or null.
     */
    public DeadLetter deadLetter(ConsumerRecord<?, ?> record, DeadLetterReason reason, String reasonText,
                                 Optional<String> streamId) {
        DeadLetter.Builder builder = DeadLetter.newBuilder()
                .setOriginalTopic(record.topic())
                .setOriginalPartition(record.partition())
                .setOriginalOffset(record.offset())
                .setOriginalKey(bytesOf(record.key()))
                .setOriginalValue(bytesOf(record.value()))
                .setReason(reason.toProto())
                .setReasonText(reasonText == null ? "" : reasonText)
                .setStreamId(streamId.orElse(""))
                .setTime(ProtoTime.toTimestamp(clock.instant()));
        if (record.timestampType() != TimestampType.NO_TIMESTAMP_TYPE && record.timestamp() >= 0) {
            builder.setOriginalTimestamp(ProtoTime.toTimestamp(Instant.ofEpochMilli(record.timestamp())));
        }
        return builder.build();
    }

    /** The record to produce for {@code deadLetter}, keyed by stream id or else by the original key. */
    public ProducerRecord<String, byte[]> producerRecord(DeadLetter deadLetter) {
        String key = !deadLetter.getStreamId().isEmpty() ? deadLetter.getStreamId()
                : deadLetter.getOriginalKey().isEmpty() ? null : deadLetter.getOriginalKey().toStringUtf8();
        return new ProducerRecord<>(topic, key, deadLetter.toByteArray());
    }

    /** Builds the dead letter for a record that failed to decode and sends it; logs one line at WARN. */
    public Future<RecordMetadata> publish(Producer<String, byte[]> producer, ConsumerRecord<?, ?> record,
                                          FrameDecodeException error) {
        DeadLetter deadLetter = deadLetter(record, error);
        LOG.warn("Dead-lettered {}-{}@{} ({}): {}", record.topic(), record.partition(), record.offset(),
                error.reason(), error.getMessage());
        return producer.send(producerRecord(deadLetter));
    }

    private static ByteString bytesOf(Object value) {
        if (value == null) {
            return ByteString.EMPTY;
        }
        if (value instanceof byte[] bytes) {
            return ByteString.copyFrom(bytes);
        }
        if (value instanceof com.google.protobuf.MessageLite message) {
            return message.toByteString();
        }
        return ByteString.copyFrom(value.toString(), StandardCharsets.UTF_8);
    }
}
