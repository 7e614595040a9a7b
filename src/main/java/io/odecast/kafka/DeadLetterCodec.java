package io.odecast.kafka;

import com.google.protobuf.UnsafeByteOperations;
import io.odecast.proto.DeadLetter;
import java.util.Optional;

/** Converts between the wire {@link DeadLetter} and {@link DeadLetterMessage}. */
public final class DeadLetterCodec {
    private DeadLetterCodec() {
    }

    /** Serialized {@link DeadLetter} bytes. */
    public static byte[] encode(DeadLetterMessage letter) {
        return toProto(letter).toByteArray();
    }

    /** The wire form. */
    public static DeadLetter toProto(DeadLetterMessage d) {
        DeadLetter.Builder b = DeadLetter.newBuilder()
                .setOriginalTopic(d.originalTopic())
                .setOriginalPartition(d.originalPartition())
                .setOriginalOffset(d.originalOffset())
                .setOriginalKey(UnsafeByteOperations.unsafeWrap(d.originalKey()))
                .setOriginalValue(UnsafeByteOperations.unsafeWrap(d.originalValue()))
                .setOriginalSize(d.originalSize())
                .setOriginalSha256(d.originalSha256())
                .setValueTruncated(d.valueTruncated())
                .setReason(d.reason().toProto())
                .setReasonText(d.reasonText())
                .setStreamId(d.streamId().orElse(""))
                .setTime(ProtoTime.toTimestamp(d.time()));
        d.originalTimestamp().ifPresent(t -> b.setOriginalTimestamp(ProtoTime.toTimestamp(t)));
        d.replayOf().ifPresent(b::setReplayOf);
        return b.build();
    }

    /**
     * Parses serialized {@link DeadLetter} bytes.
     *
     * @throws IllegalArgumentException when the bytes are not a dead letter
     */
    public static DeadLetterMessage decode(byte[] bytes) {
        return fromProto(Wire.parse(bytes, DeadLetter.parser(), "DeadLetter"));
    }

    /** The Java form; an unknown reason number reads as {@link DeadLetterReason#INTERNAL}. */
    public static DeadLetterMessage fromProto(DeadLetter d) {
        return new DeadLetterMessage(d.getOriginalTopic(), d.getOriginalPartition(), d.getOriginalOffset(),
                d.getOriginalKey().toByteArray(), d.getOriginalValue().toByteArray(), d.getOriginalSize(),
                d.getOriginalSha256(), d.getValueTruncated(), DeadLetterReason.fromProto(d.getReason()),
                d.getReasonText(), Optional.of(d.getStreamId()), d.hasTime()
                ? ProtoTime.checkedInstant("dead letter time", d.getTime()) : java.time.Instant.EPOCH,
                d.hasOriginalTimestamp()
                ? Optional.of(ProtoTime.checkedInstant("dead letter's original timestamp", d.getOriginalTimestamp()))
                : Optional.empty(),
                Optional.of(d.getReplayOf()));
    }
}
