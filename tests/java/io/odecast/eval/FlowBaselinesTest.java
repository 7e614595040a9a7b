package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.GridShape;
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
        MotionField m = MotionField.between(SHAPE, translating(0), translating(1));
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
    void severalLeadsAtOnceEqualEachLeadOnItsOwnBitForBit() {
        FlowBaselines flows = new FlowBaselines(SHAPE);
        Observation previous = translating(0);
        Observation last = translating(1);
        // whole leads share one traced path; 2.5 and 1.5 (after a longer lead) are traced on their own
        double[] times = {2, 3, 3.5, 5, 2.5};
        var together = flows.extrapolate(previous, last, times);
        MotionField motion = MotionField.between(SHAPE, previous, last);
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
}
