package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.model.Observation;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaselinesTest {

    private static final float[] BASE = {1f, -2f, 0.5f, 10f};
    private static final float[] SLOPE = {0.5f, 0.25f, -1f, 2f};

    /** A signal exactly linear in time: BASE + SLOPE * t. */
    private static Observation linearSignal(double t) {
        float[] v = new float[BASE.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (BASE[i] + SLOPE[i] * t);
        }
        return new Observation(t, v, null);
    }

    @Test
    void persistenceRepeatsTheLastObservation() {
        List<Observation> observed = List.of(linearSignal(0), linearSignal(1));
        List<Observation> out = Baselines.persistence(observed, new double[] {1.5, 4});
        assertArrayEquals(linearSignal(1).data(), out.get(0).data());
        assertArrayEquals(linearSignal(1).data(), out.get(1).data());
        assertEquals(4.0, out.get(1).time());
    }

    @Test
    void linearExtrapolationOfALinearSignalIsExact() {
        List<Observation> observed = List.of(linearSignal(0), linearSignal(1), linearSignal(2));
        List<Observation> out = Baselines.linearExtrapolation(observed, new double[] {3.5, 6});
        assertArrayEquals(linearSignal(3.5).data(), out.get(0).data());
        assertArrayEquals(linearSignal(6).data(), out.get(1).data());
        assertNull(out.get(0).valid());
    }

    @Test
    void interpolationAtTheMidpointIsTheNeighbourAverage() {
        Observation before = new Observation(2, new float[] {1f, 3f, -4f, 0.1f}, null);
        Observation after = new Observation(4, new float[] {2f, 7f, 5f, 0.3f}, null);
        float[] expected = {1.5f, 5f, 0.5f, (float) ((0.1f + (double) 0.3f) / 2)};
        assertArrayEquals(expected, Baselines.linearInterpolation(before, after, 3).data());
        assertArrayEquals(expected, Baselines.neighbourAverage(before, after).data());
        assertEquals(3.0, Baselines.neighbourAverage(before, after).time());
    }

    @Test
    void interpolationIsLinearAtArbitraryTimes() {
        Observation out = Baselines.fillGap(linearSignal(1), linearSignal(3), new double[] {1.25}).get(0);
        assertArrayEquals(linearSignal(1.25).data(), out.data());
    }

    @Test
    void invalidInputCellsStayInvalid() {
        Observation before = new Observation(0, new float[] {1f, 2f}, new boolean[] {true, false});
        Observation after = new Observation(1, new float[] {3f, 4f}, new boolean[] {true, true});
        for (Observation out : List.of(Baselines.linearInterpolation(before, after, 0.5),
                Baselines.linearExtrapolation(before, after, 2), Baselines.neighbourAverage(before, after),
                Baselines.persistence(before, 3))) {
            assertTrue(out.isValid(0));
            assertFalse(out.isValid(1));
        }
        assertTrue(Float.isNaN(Baselines.linearInterpolation(before, after, 0.5).data()[1]));
    }

    @Test
    void interpolationOutsideTheGapIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> Baselines.linearInterpolation(linearSignal(0), linearSignal(1), 1.5));
    }
}
