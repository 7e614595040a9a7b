package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BaselinesTest {

    private static final float[] BASE = {1f, -2f, 0.5f, 10f};
    private static final float[] SLOPE = {0.5f, 0.25f, -1f, 2f};

    /** A signal exactly linear in time: BASE + SLOPE * t. */
    private static TimedFrame linearSignal(double t) {
        float[] v = new float[BASE.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (BASE[i] + SLOPE[i] * t);
        }
        return new TimedFrame(t, v, null);
    }

    @Test
    void persistenceRepeatsTheLastObservation() {
        List<TimedFrame> observed = List.of(linearSignal(0), linearSignal(1));
        List<TimedFrame> out = Baselines.persistence(observed, new double[] {1.5, 4});
        assertArrayEquals(linearSignal(1).values(), out.get(0).values());
        assertArrayEquals(linearSignal(1).values(), out.get(1).values());
        assertEquals(4.0, out.get(1).time());
    }

    @Test
    void linearExtrapolationOfALinearSignalIsExact() {
        List<TimedFrame> observed = List.of(linearSignal(0), linearSignal(1), linearSignal(2));
        List<TimedFrame> out = Baselines.linearExtrapolation(observed, new double[] {3.5, 6});
        assertArrayEquals(linearSignal(3.5).values(), out.get(0).values());
        assertArrayEquals(linearSignal(6).values(), out.get(1).values());
        assertNull(out.get(0).valid());
    }

    @Test
    void interpolationAtTheMidpointIsTheNeighbourAverage() {
        TimedFrame before = new TimedFrame(2, new float[] {1f, 3f, -4f, 0.1f}, null);
        TimedFrame after = new TimedFrame(4, new float[] {2f, 7f, 5f, 0.3f}, null);
        float[] expected = {1.5f, 5f, 0.5f, (float) ((0.1f + (double) 0.3f) / 2)};
        assertArrayEquals(expected, Baselines.linearInterpolation(before, after, 3).values());
        assertArrayEquals(expected, Baselines.neighbourAverage(before, after).values());
        assertEquals(3.0, Baselines.neighbourAverage(before, after).time());
    }

    @Test
    void interpolationIsLinearAtArbitraryTimes() {
        TimedFrame out = Baselines.fillGap(linearSignal(1), linearSignal(3), new double[] {1.25}).get(0);
        assertArrayEquals(linearSignal(1.25).values(), out.values());
    }

    @Test
    void invalidInputCellsStayInvalid() {
        TimedFrame before = new TimedFrame(0, new float[] {1f, 2f}, new boolean[] {true, false});
        TimedFrame after = new TimedFrame(1, new float[] {3f, 4f}, new boolean[] {true, true});
        for (TimedFrame out : List.of(Baselines.linearInterpolation(before, after, 0.5),
                Baselines.linearExtrapolation(before, after, 2), Baselines.neighbourAverage(before, after),
                Baselines.persistence(before, 3))) {
            assertTrue(out.isValid(0));
            assertFalse(out.isValid(1));
        }
        assertTrue(Float.isNaN(Baselines.linearInterpolation(before, after, 0.5).values()[1]));
    }

    @Test
    void interpolationOutsideTheGapIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> Baselines.linearInterpolation(linearSignal(0), linearSignal(1), 1.5));
    }
}
