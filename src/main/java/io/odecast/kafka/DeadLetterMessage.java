package io.odecast.kafka;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A rejected input record on the dead-letter topic ({@code odecast.v1.DeadLetter}): where it was, why it was
 * rejected, and a bounded prefix of its value with the full value's size and SHA-256, so that it can be inspected
 * and fetched again from its topic. {@link DeadLetterCodec} converts it both ways.
 *
 * @param originalKey       the record's key bytes (at most the publisher's bound), empty when it had none
 * @param originalValue     a prefix of the record's value, at most the publisher's bound
 * @param originalSize      the full value's size in bytes
 * @param originalSha256    hex SHA-256 of the full value
 * @param valueTruncated    whether {@code originalValue} is shorter than the value
 * @param streamId          the stream, when known
 * @param time              when the record was rejected
 * @param originalTimestamp the record's timestamp, when it had one
 * @param replayOf          when the record was a replay ({@value #REPLAY_HEADER} header), the position of the first
 *                          record it copies
 */
public record DeadLetterMessage(String originalTopic, int originalPartition, long originalOffset,
                                byte[] originalKey, byte[] originalValue, long originalSize, String originalSha256,
                                boolean valueTruncated, DeadLetterReason reason, String reasonText,
                                Optional<String> streamId, Instant time, Optional<Instant> originalTimestamp,
                                Optional<String> replayOf) {
    /** Header of a replayed frame: {@code topic-partition@offset} of the first record it copies. */
    public static final String REPLAY_HEADER = "odecast.replay-of";

    /** A letter of a record that was not a replay. */
    public DeadLetterMessage(String originalTopic, int originalPartition, long originalOffset,
                             byte[] originalKey, byte[] originalValue, long originalSize, String originalSha256,
                             boolean valueTruncated, DeadLetterReason reason, String reasonText,
                             Optional<String> streamId, Instant time, Optional<Instant> originalTimestamp) {
        this(originalTopic, originalPartition, originalOffset, originalKey, originalValue, originalSize,
                originalSha256, valueTruncated, reason, reasonText, streamId, time, originalTimestamp,
                Optional.empty());
    }

    /** Checks that the required parts are present. */
    public DeadLetterMessage {
        Objects.requireNonNull(originalTopic, "originalTopic");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(time, "time");
        originalKey = originalKey == null ? new byte[0] : originalKey;
        originalValue = originalValue == null ? new byte[0] : originalValue;
        originalSha256 = originalSha256 == null ? "" : originalSha256;
        reasonText = reasonText == null ? "" : reasonText;
        streamId = streamId == null ? Optional.empty() : streamId.filter(s -> !s.isEmpty());
        originalTimestamp = originalTimestamp == null ? Optional.empty() : originalTimestamp;
        replayOf = replayOf == null ? Optional.empty() : replayOf.filter(s -> !s.isEmpty());
    }

    /** Where the record was: {@code topic-partition@offset}. */
    public String position() {
        return originalTopic + "-" + originalPartition + "@" + originalOffset;
    }

    /**
     * The record this letter stands for across replays: the first record's position when it was a replay, its own
     * otherwise. Letters of one root are one frame rejected again.
     */
    public String root() {
        return replayOf.orElse(position());
    }
}
