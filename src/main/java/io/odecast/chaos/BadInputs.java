package io.odecast.chaos;

import io.odecast.data.GridShape;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The bad records of the bad-input scenario, published into a live stream after one of its normal frames. They
 * go out in the order listed by {@link #build}: the far-future frame last, so that a service that wrongly
 * accepts it (and then rejects everything after it as out of order) still shows how it treats the others.
 */
public final class BadInputs {
    /** The size of the wrong-shape frame's data: 60 MiB. */
    public static final int BIG_FRAME_BYTES = 60 * 1024 * 1024;
    /** The value of every cell of the huge-values frame. */
    public static final float HUGE = 3e38f;
    /** The event time of the far-future frame. */
    public static final Instant YEAR_2100 = Instant.parse("2100-01-01T00:00:00Z");
    /** A dead-letter record at or above this size counts as too large. */
    public static final int DEAD_LETTER_LIMIT_BYTES = 1024 * 1024;

    private BadInputs() {
    }

    /**
     * One bad record.
     *
     * @param label       short name: {@code wrong-shape}, {@code huge-values}, {@code key-mismatch}, {@code year-2100}
     * @param description what is wrong with it
     * @param key         the record key
     * @param streamId    the frame's stream_id
     * @param eventTime   the frame's event time
     * @param value       the serialized Frame
     */
    public record BadRecord(String label, String description, String key, String streamId, Instant eventTime,
                            byte[] value) {
        public BadRecord {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return label + " (" + value.length + " bytes, key " + key + ", stream " + streamId + ", " + eventTime + ")";
        }
    }

    /**
     * What became of one bad record.
     *
     * @param label            the bad record's label
     * @param description      what is wrong with it
     * @param partition        frames-topic partition it was written to
     * @param offset           its offset there
     * @param valueBytes       its size
     * @param deadLettered     whether a dead letter names its partition and offset
     * @param reason           the dead letter's reason, or empty
     * @param reasonText       the dead letter's text (shortened), or empty
     * @param deadLetterBytes  the dead-letter record's value size, or -1
     * @param forecastIssued   whether a forecast based on the bad frame's stream and event time was read back
     */
    public record Outcome(String label, String description, int partition, long offset, int valueBytes,
                          boolean deadLettered, String reason, String reasonText, int deadLetterBytes,
                          boolean forecastIssued) {

        /** Dead-lettered with a record under {@link #DEAD_LETTER_LIMIT_BYTES}. */
        public boolean smallDeadLetter() {
            return deadLettered && deadLetterBytes >= 0 && deadLetterBytes < DEAD_LETTER_LIMIT_BYTES;
        }
    }

    /**
     * The four bad records for stream {@code template.streamId()}, built from its normal frame {@code template}
     * (event time {@code t}): (a) a {@code bigBytes} frame of a wrong shape at t + 1 h, (c) a frame whose values
     * are all {@value #HUGE} at t + 2 h, (d) a normal-looking frame at t + 3 h keyed {@code otherKey} instead of
     * its stream id, (b) a normal-looking frame dated 2100-01-01. Published in this order.
     */
    public static List<BadRecord> build(FrameMessage template, String otherKey, int bigBytes) {
        return build(template, otherKey, bigBytes, 1);
    }

    /**
     * The bad records with the wrong-shape frame sent {@code bigCopies} times in a row (labels {@code wrong-shape},
     * {@code wrong-shape-2}, ...; the same record each time), so a run shows whether the service's memory stays
     * bounded under a stream of huge records rather than one.
     */
    public static List<BadRecord> build(FrameMessage template, String otherKey, int bigBytes, int bigCopies) {
        if (bigCopies < 1) {
            throw new IllegalArgumentException("at least one wrong-shape frame, got " + bigCopies);
        }
        String id = template.streamId();
        if (otherKey.equals(id)) {
            throw new IllegalArgumentException("the mismatched key must differ from the stream id " + id);
        }
        Instant t = template.eventTime();
        int c = template.shape().channels();
        int w = 2560;
        int h = Math.max(1, bigBytes / (Float.BYTES * c * w));
        float[] big = new float[c * h * w];
        Arrays.fill(big, 1.0f);
        FrameMessage wrongShape = FrameMessage.of(id, t.plus(Duration.ofHours(1)), template.channels(),
                new GridShape(c, h, w), big);
        float[] huge = new float[template.data().length];
        Arrays.fill(huge, HUGE);
        FrameMessage hugeValues = FrameMessage.of(id, t.plus(Duration.ofHours(2)), template.channels(),
                template.shape(), huge);
        FrameMessage mismatched = copyAt(template, t.plus(Duration.ofHours(3)));
        FrameMessage future = copyAt(template, YEAR_2100);
        List<BadRecord> out = new java.util.ArrayList<>();
        byte[] wrongShapeValue = FrameCodec.encode(wrongShape);
        for (int k = 1; k <= bigCopies; k++) {
            out.add(new BadRecord(k == 1 ? "wrong-shape" : "wrong-shape-" + k, "(a) " + c + "x" + h + "x" + w
                    + " frame, " + mib(bigBytes) + " of data; the model takes " + template.shape()
                    + (bigCopies > 1 ? " (copy " + k + " of " + bigCopies + ")" : ""),
                    id, id, wrongShape.eventTime(), wrongShapeValue));
        }
        out.add(new BadRecord("huge-values", "(c) every value " + HUGE, id, id, hugeValues.eventTime(),
                FrameCodec.encode(hugeValues)));
        out.add(new BadRecord("key-mismatch", "(d) record key " + otherKey + " but stream_id " + id, otherKey, id,
                mismatched.eventTime(), FrameCodec.encode(mismatched)));
        out.add(new BadRecord("year-2100", "(b) event time " + YEAR_2100, id, id, future.eventTime(),
                FrameCodec.encode(future)));
        return List.copyOf(out);
    }

    private static FrameMessage copyAt(FrameMessage f, Instant t) {
        return f.withFrame(f.frame().at(t));
    }

    private static String mib(int bytes) {
        return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + " MiB" : bytes + " bytes";
    }
}
