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
    private static TimedValues linearSignal(double t) {
        float[] v = new float[BASE.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (BASE[i] + SLOPE[i] * t);
        }
        return new TimedValues(t, v, null);
    }

    @Test
    void persistenceRepeatsTheLastObservation() {
        List<TimedValues> observed = List.of(linearSignal(0), linearSignal(1));
        List<TimedValues> out = Baselines.persistence(observed, new double[] {1.5, 4});
        assertArrayEquals(linearSignal(1).values(), out.get(0).values());
        assertArrayEquals(linearSignal(1).values(), out.get(1).values());
        assertEquals(4.0, out.get(1).time());
    }

    @Test
    void linearExtrapolationOfALinearSignalIsExact() {
        List<TimedValues> observed = List.of(linearSignal(0), linearSignal(1), linearSignal(2));
        List<TimedValues> out = Baselines.linearExtrapolation(observed, new double[] {3.5, 6});
        assertArrayEquals(linearSignal(3.5).values(), out.get(0).values());
        assertArrayEquals(linearSignal(6).values(), out.get(1).values());
        assertNull(out.get(0).valid());
    }

    @Test
    void interpolationAtTheMidpointIsTheNeighbourAverage() {
        TimedValues before = new TimedValues(2, new float[] {1f, 3f, -4f, 0.1f}, null);
        TimedValues after = new TimedValues(4, new float[] {2f, 7f, 5f, 0.3f}, null);
        float[] expected = {1.5f, 5f, 0.5f, (float) ((0.1f + (double) 0.3f) / 2)};
        assertArrayEquals(expected, Baselines.linearInterpolation(before, after, 3).values());
        assertArrayEquals(expected, Baselines.neighbourAverage(before, after).values());
        assertEquals(3.0, Baselines.neighbourAverage(before, after).time());
    }

    @Test
    void interpolationIsLinearAtArbitraryTimes() {
        TimedValues out = Baselines.fillGap(linearSignal(1), linearSignal(3), new double[] {1.25}).get(0);
        assertArrayEquals(linearSignal(1.25).values(), out.values());
    }

    @Test
    void invalidInputCellsStayInvalid() {
        TimedValues before = new TimedValues(0, new float[] {1f, 2f}, new boolean[] {true, false});
        TimedValues after = new TimedValues(1, new float[] {3f, 4f}, new boolean[] {true, true});
        for (TimedValues out : List.of(Baselines.linearInterpolation(before, after, 0.5),
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
