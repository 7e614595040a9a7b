package io.odecast.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameDecodeException;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.proto.Frame;
import io.odecast.stream.StreamCatalog.ResolvedStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Input checks as pure functions: a record either becomes a frame its stream can absorb, in the model's channel
 * order, or a rejection with a {@link DeadLetterReason} and a sentence saying what was expected and found.
 *
 * <p>Two steps, because the second needs the stream's last time: {@link #read} (parse, key, stream rule, shape
 * against the model before any float is decoded, so a huge wrong frame costs no more than its bytes) and
 * {@link #check} (channels, value range, clock skew, order).
 */
final class FrameValidator {

    private FrameValidator() {
    }

    /** The outcome of a check. */
    sealed interface Validation permits Read, Accepted, Rejected {
    }

    /** A frame of a known stream with the model's shape, to be checked against the stream's state. */
    record Read(FrameMessage frame, ResolvedStream stream) implements Validation {
    }

    /** A frame the stream can absorb; channels in the model's order. */
    record Accepted(FrameMessage frame) implements Validation {
    }

    /** A record for the dead-letter topic. */
    record Rejected(DeadLetterReason reason, String text, Optional<String> streamId) implements Validation {
    }

    /** Parses a record and finds its stream: {@link Read} or {@link Rejected}. */
    static Validation read(String key, byte[] value, StreamCatalog catalog) {
        if (value == null) {
            return new Rejected(DeadLetterReason.MALFORMED, "record has no value (null); expected a Frame",
                    Optional.ofNullable(key));
        }
        Frame proto;
        try {
            proto = Frame.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            return new Rejected(DeadLetterReason.MALFORMED, "value of " + value.length
                    + " bytes is not a protobuf odecast.v1.Frame: " + e.getMessage(), Optional.empty());
        }
        String id = proto.getStreamId();
        if (!id.isEmpty() && !id.equals(key)) {
            return new Rejected(DeadLetterReason.KEY_MISMATCH, "record key " + quote(key) + " is not the frame's"
                    + " stream_id " + quote(id) + "; a stream's frames must be keyed by its id so that they share one"
                    + " partition, in order", Optional.of(id));
        }
        Optional<ResolvedStream> stream = id.isEmpty() ? Optional.empty() : catalog.resolve(id);
        if (!id.isEmpty() && stream.isEmpty()) {
            return new Rejected(DeadLetterReason.UNKNOWN_STREAM, "stream " + id + " matches no pattern in"
                    + " odecast.streams; add a rule for it", Optional.of(id));
        }
        if (stream.isPresent()) {
            ModelConfig mc = stream.get().model().config();
            var shape = proto.getShape();
            if (shape.getChannels() != mc.channels() || shape.getHeight() != mc.height()
                    || shape.getWidth() != mc.width()) {
                return new Rejected(DeadLetterReason.WRONG_SHAPE, "frame of stream " + id + " is "
                        + shape.getChannels() + "x" + shape.getHeight() + "x" + shape.getWidth() + " ("
                        + proto.getData().size() + " data bytes) but model " + stream.get().settings().model()
                        + " expects " + mc.channels() + "x" + mc.height() + "x" + mc.width(), Optional.of(id));
            }
        }
        FrameMessage frame;
        try {
            frame = FrameCodec.fromProto(proto);
        } catch (FrameDecodeException e) {
            return new Rejected(e.reason(), e.getMessage(), e.streamId());
        }
        return new Read(frame, stream.orElseThrow());
    }

    /**
     * Checks a read frame against its stream: channel names (reordered when they are a permutation of the model's),
     * units where both the frame and the model's card give them,
     * values within {@code maxStdDevs} of the model's normalisation, event time at most {@code maxClockSkew} after
     * the record's timestamp (when it has one), and after the stream's last time.
     *
     * @param lastTime        the stream's last absorbed event time, or null
     * @param recordTimestamp the Kafka record's timestamp in ms (the producer's clock), or a negative value
     */
    static Validation check(Read read, Instant lastTime, long recordTimestamp, Duration maxClockSkew,
                            double maxStdDevs) {
        return check(read, lastTime, Double.NaN, recordTimestamp, maxClockSkew, maxStdDevs);
    }

    /**
     * As {@link #check(Read, Instant, long, Duration, double)}, and the frame's model time (the stream's model's card
     * computes it from the event time, as the step will) must be after {@code lastModelTime}: a double cannot tell
     * apart event times less than a few hundred nanoseconds apart at current dates, and the model refuses a frame
     * that is not after its state's last time, so such a frame is out of order here rather than a failed model call.
     *
     * @param lastModelTime the model time of the stream's state (its last absorbed frame), NaN when it has none
     */
    static Validation check(Read read, Instant lastTime, double lastModelTime, long recordTimestamp,
                            Duration maxClockSkew, double maxStdDevs) {
        String id = read.frame().streamId();
        ModelCard card = read.stream().model().card();
        FrameContentCheck content = FrameContentCheck.of(read.frame(), read.stream().settings().model(), card,
                maxStdDevs);
        if (!content.passed()) {
            return new Rejected(content.reason(), content.text(), Optional.of(id));
        }
        FrameMessage frame = content.frame();
        if (recordTimestamp >= 0) {
            Instant latest = Instant.ofEpochMilli(recordTimestamp).plus(maxClockSkew);
            if (frame.eventTime().isAfter(latest)) {
                return new Rejected(DeadLetterReason.FUTURE_TIME, "frame of stream " + id + " at "
                        + frame.eventTime() + " is more than " + maxClockSkew + " ahead of its record's timestamp "
                        + Instant.ofEpochMilli(recordTimestamp), Optional.of(id));
            }
        }
        if (lastTime != null && !frame.eventTime().isAfter(lastTime)) {
            return new Rejected(DeadLetterReason.OUT_OF_ORDER, "frame of stream " + id + " at " + frame.eventTime()
                    + " is not after the stream's last frame at " + lastTime, Optional.of(id));
        }
        if (!Double.isNaN(lastModelTime) && !(card.modelTime(frame.eventTime()) - lastModelTime > 0)) {
            return new Rejected(DeadLetterReason.OUT_OF_ORDER, "frame of stream " + id + " at " + frame.eventTime()
                    + " is not after the stream's last frame at " + lastTime + " in model time ("
                    + card.modelTime(frame.eventTime()) + " against " + lastModelTime + "): too close to it to be told"
                    + " apart", Optional.of(id));
        }
        return new Accepted(frame);
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
