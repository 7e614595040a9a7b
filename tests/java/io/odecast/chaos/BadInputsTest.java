package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.GridShape;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BadInputsTest {
    private static final Instant T = Instant.parse("1996-01-10T06:00:00Z");

    private static FrameMessage template() {
        float[] data = new float[3 * 33 * 36];
        Arrays.fill(data, 1000f);
        return FrameMessage.of("storm/chaos-00", T, List.of("u", "v", "p"), new GridShape(3, 33, 36), data);
    }

    @Test
    void everyBadRecordHasTheDeadLetterReasonItMustGet() {
        for (BadInputs.BadRecord b : BadInputs.build(template(), "storm/chaos-01", 1024 * 1024, 3)) {
            org.junit.jupiter.api.Assertions.assertNotNull(ChaosReport.expectedReason(b.label()), b.label());
        }
    }

    @Test
    void fourBadRecordsInPublishingOrder() throws Exception {
        List<BadInputs.BadRecord> bad = BadInputs.build(template(), "storm/chaos-01", 1024 * 1024);
        assertEquals(List.of("wrong-shape", "huge-values", "key-mismatch", "year-2100"),
                bad.stream().map(BadInputs.BadRecord::label).toList());
        for (BadInputs.BadRecord r : bad) {
            FrameMessage f = FrameCodec.decode(r.value());
            assertEquals("storm/chaos-00", f.streamId(), r.label());
            assertEquals(r.eventTime(), f.eventTime(), r.label());
            assertEquals(r.label().equals("key-mismatch") ? "storm/chaos-01" : "storm/chaos-00", r.key());
        }
        FrameMessage wrong = FrameCodec.decode(bad.get(0).value());
        assertEquals(3, wrong.shape().channels());
        assertEquals(2560, wrong.shape().width());
        assertTrue(wrong.data().length * 4L <= 1024 * 1024 && wrong.data().length * 4L > 1024 * 1024 - 3 * 2560 * 4,
                "about 1 MiB of data, got " + wrong.data().length * 4L);
        assertEquals(T.plus(Duration.ofHours(1)), wrong.eventTime());
        FrameMessage huge = FrameCodec.decode(bad.get(1).value());
        assertEquals(3 * 33 * 36, huge.data().length);
        assertEquals(huge.data().length, huge.frame().validCount(), "3e38 is finite, hence valid on the wire");
        for (float v : huge.data()) {
            assertEquals(BadInputs.HUGE, v);
        }
        assertEquals(T.plus(Duration.ofHours(3)), FrameCodec.decode(bad.get(2).value()).eventTime());
        assertEquals(BadInputs.YEAR_2100, bad.get(3).eventTime());
    }

    @Test
    void theContractsWrongShapeFrameIsSixtyMebibytes() throws Exception {
        BadInputs.BadRecord big = BadInputs.build(template(), "other", BadInputs.BIG_FRAME_BYTES).get(0);
        assertEquals(60 * 1024 * 1024, FrameCodec.decode(big.value()).data().length * 4);
        assertTrue(big.value().length > 60 * 1024 * 1024 && big.value().length < 61 * 1024 * 1024);
    }

    @Test
    void theWrongShapeFrameCanBeSentSeveralTimesInARow() {
        List<BadInputs.BadRecord> bad = BadInputs.build(template(), "storm/chaos-01", 1024 * 1024, 3);
        assertEquals(List.of("wrong-shape", "wrong-shape-2", "wrong-shape-3", "huge-values", "key-mismatch",
                "year-2100"), bad.stream().map(BadInputs.BadRecord::label).toList());
        assertEquals(bad.get(0).value().length, bad.get(2).value().length);
        assertThrows(IllegalArgumentException.class, () -> BadInputs.build(template(), "storm/chaos-01", 1024, 0));
    }

    @Test
    void theMismatchedKeyMustDiffer() {
        assertThrows(IllegalArgumentException.class, () -> BadInputs.build(template(), "storm/chaos-00", 1024));
    }

    @Test
    void aDeadLetterIsSmallBelowOneMebibyte() {
        assertTrue(new BadInputs.Outcome("x", "", 0, 0, 10, true, "WRONG_SHAPE", "", 1024 * 1024 - 1, false)
                .smallDeadLetter());
        assertFalse(new BadInputs.Outcome("x", "", 0, 0, 10, true, "WRONG_SHAPE", "", 1024 * 1024, false)
                .smallDeadLetter());
        assertFalse(new BadInputs.Outcome("x", "", 0, 0, 10, false, "", "", -1, false).smallDeadLetter());
    }
}
