package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.GridShape;
import io.odecast.flow.MotionField;
import io.odecast.model.Observation;
import org.junit.jupiter.api.Test;

/**
 * The flow baselines on fields with a known answer: a smooth pattern translating by one row and two columns
 * per step, and a pattern that does not move.
 */
class FlowBaselinesTest {

    private static final GridShape SHAPE = new GridShape(1, 48, 64);
    private static final int MARGIN = 8;

    /** The pattern at step {@code t}, moved by (t, 2t) cells. */
    private static Observation translating(double t) {
        float[] v = new float[SHAPE.size()];
        for (int y = 0; y < SHAPE.height(); y++) {
            for (int x = 0; x < SHAPE.width(); x++) {
                double yy = y - t;
                double xx = x - 2 * t;
                v[SHAPE.index(0, y, x)] = (float) (1000 + 8 * Math.sin(xx * 0.21) * Math.cos(yy * 0.17)
                        + 3 * Math.cos((xx + yy) * 0.09));
            }
        }
        return new Observation(t, v, null);
    }

    /** RMSE over the cells at least {@link #MARGIN} from the border (where nothing enters from outside). */
    private static double interiorRmse(float[] truth, float[] predicted) {
        double sum = 0;
        int n = 0;
        for (int y = MARGIN; y < SHAPE.height() - MARGIN; y++) {
            for (int x = MARGIN; x < SHAPE.width() - MARGIN; x++) {
                double d = truth[SHAPE.index(0, y, x)] - predicted[SHAPE.index(0, y, x)];
                sum += d * d;
                n++;
            }
        }
        return Math.sqrt(sum / n);
    }

    @Test
    void theMotionFieldRecoversTheShift() {
        MotionField m = MotionField.between(SHAPE, translating(0).data(), null, translating(1).data(), null);
        double dy = 0;
        double dx = 0;
        int n = 0;
        for (int y = MARGIN; y < SHAPE.height() - MARGIN; y++) {
            for (int x = MARGIN; x < SHAPE.width() - MARGIN; x++) {
                dy += m.dy()[y * SHAPE.width() + x];
                dx += m.dx()[y * SHAPE.width() + x];
                n++;
            }
        }
        assertEquals(1.0, dy / n, 0.05, "rows per step");
        assertEquals(2.0, dx / n, 0.05, "columns per step");
    }

    @Test
    void aFlatOrEmptyChannelDoesNotVote() {
        // Channel 0 translates, channel 1 is constant (flat), channel 2 is all invalid: the field is channel 0's.
        GridShape three = new GridShape(3, SHAPE.height(), SHAPE.width());
        int plane = SHAPE.size();
        float[][] frames = new float[2][3 * plane];
        boolean[][] valid = new boolean[2][3 * plane];
        for (int k = 0; k < 2; k++) {
            System.arraycopy(translating(k).data(), 0, frames[k], 0, plane);
            java.util.Arrays.fill(frames[k], plane, 2 * plane, 5f);
            java.util.Arrays.fill(valid[k], 0, 2 * plane, true);
        }
        MotionField m = MotionField.between(three, frames[0], valid[0], frames[1], valid[1]);
        MotionField alone = MotionField.between(SHAPE, translating(0).data(), null, translating(1).data(), null);
        assertArrayEquals(alone.dx(), m.dx(), 0f);
        assertArrayEquals(alone.dy(), m.dy(), 0f);
        // A channel the same in both frames votes for no motion: half the shift.
        GridShape two = new GridShape(2, SHAPE.height(), SHAPE.width());
        float[] still = translating(0).data();
        float[] a = new float[2 * plane];
        float[] b = new float[2 * plane];
        System.arraycopy(translating(0).data(), 0, a, 0, plane);
        System.arraycopy(translating(1).data(), 0, b, 0, plane);
        System.arraycopy(still, 0, a, plane, plane);
        System.arraycopy(still, 0, b, plane, plane);
        MotionField half = MotionField.between(two, a, null, b, null);
        for (int i = 0; i < plane; i++) {
            assertEquals(alone.dx()[i] / 2, half.dx()[i], 1e-6f);
        }
    }

    @Test
    void advectionOfATranslatingFieldIsCloseToTheTruthAndBeatsPersistence() {
        Observation previous = translating(0);
        Observation last = translating(1);
        for (int lead = 1; lead <= 3; lead++) {
            float[] truth = translating(1 + lead).data();
            double flow = interiorRmse(truth, new FlowBaselines(SHAPE).extrapolate(previous, last, 1 + lead).data());
            double persistence = interiorRmse(truth, last.data());
            assertTrue(flow < 0.1 * persistence && flow < 0.25, "lead " + lead + ": flow RMSE " + flow
                    + " vs persistence " + persistence);
        }
    }

    @Test
    void aLeadOffAWholeNumberByTimeRoundingIsTracedAsThatWholeNumber() {
        FlowBaselines flows = new FlowBaselines(SHAPE);
        Observation previous = translating(0);
        Observation last = translating(1);
        // Model times from fine time units (a 10 s unit at scale 0.1: 2.0000000149 for 2) are whole leads too: the
        // same traced path, not one more sub-step of a different length.
        float[] exact = flows.extrapolate(previous, last, 3).data();
        assertArrayEquals(exact, flows.extrapolate(previous, last, 3 + 1.5e-8).data(), 0f);
        assertArrayEquals(exact, flows.extrapolate(previous, last, new double[] {3 + 1.5e-8}).get(0).data(), 0f);
        MotionField motion = MotionField.between(SHAPE, previous.data(), null, last.data(), null);
        assertArrayEquals(flows.advect(last.data(), motion, 2), flows.advect(last.data(), motion, 2 + 1.5e-8), 1e-3f,
                "two sub-steps of 1 + 7.5e-9, not three of two thirds: within a float of the values (about 1000)");
    }

    @Test
    void severalLeadsAtOnceEqualEachLeadOnItsOwnBitForBit() {
        FlowBaselines flows = new FlowBaselines(SHAPE);
        Observation previous = translating(0);
        Observation last = translating(1);
        // whole leads share one traced path; 2.5 and 1.5 (after a longer lead) are traced on their own
        double[] times = {2, 3, 3.5, 5, 2.5};
        var together = flows.extrapolate(previous, last, times);
        MotionField motion = MotionField.between(SHAPE, previous.data(), null, last.data(), null);
        for (int k = 0; k < times.length; k++) {
            // the general tracer: ceil(lead) sub-steps of lead / ceil(lead) for this lead alone
            assertArrayEquals(flows.advect(last.data(), motion, times[k] - 1), together.get(k).data(), 0f,
                    "time " + times[k]);
        }
    }

    @Test
    void onAStaticFieldTheFlowForecastIsPersistence() {
        Observation still = translating(0);
        Observation again = new Observation(1, still.data().clone(), null);
        Observation forecast = new FlowBaselines(SHAPE).extrapolate(still, again, 4);
        assertArrayEquals(again.data(), forecast.data());
    }

    @Test
    void flowInterpolationFindsTheFrameBetweenTwoShiftedOnes() {
        Observation before = translating(0);
        Observation after = translating(2);
        float[] truth = translating(1).data();
        double flow = interiorRmse(truth, new FlowBaselines(SHAPE).interpolate(before, after, 1).data());
        double linear = interiorRmse(truth, Baselines.linearInterpolation(before, after, 1).data());
        assertTrue(flow < 0.1 * linear, "flow " + flow + " vs linear " + linear);
    }
    @Test
    void fillValuesInInvalidCellsAreNotAdvectedIntoValidOnes() {
        // A masked block holding a file's fill value (NetCDF's default 9.97e36), in both frames, in the moving field's path.
        Observation previous = withFillBlock(translating(0));
        Observation last = withFillBlock(translating(1));
        FlowBaselines flows = new FlowBaselines(SHAPE);
        for (Observation o : flows.extrapolate(previous, last, new double[] {2, 3, 4})) {
            assertValidCellsInRange(o);
        }
        assertValidCellsInRange(flows.interpolate(previous, last, 0.5));
    }

    private static Observation withFillBlock(Observation o) {
        float[] v = o.data().clone();
        boolean[] valid = new boolean[v.length];
        java.util.Arrays.fill(valid, true);
        for (int y = 20; y < 26; y++) {
            for (int x = 24; x < 32; x++) {
                v[SHAPE.index(0, y, x)] = 9.969209968386869e36f;
                valid[SHAPE.index(0, y, x)] = false;
            }
        }
        return new Observation(o.time(), v, valid);
    }

    /** The pattern stays within 1000 +- 11; a fill value advected in would be about 1e36. */
    private static void assertValidCellsInRange(Observation o) {
        for (int i = 0; i < o.data().length; i++) {
            if (o.isValid(i)) {
                assertTrue(Math.abs(o.data()[i] - 1000) < 20, "cell " + i + " at t=" + o.time() + ": " + o.data()[i]);
            }
        }
    }
}
