package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class BouncingBallsTest {

    private static BouncingBalls balls(long seed) {
        return new BouncingBalls(32, 40, 3, 4.0, 2.5, seed);
    }

    @Test
    void sameSeedGivesSameFrames() {
        FrameSequence a = balls(7).regular(20, Duration.ofSeconds(1));
        FrameSequence b = balls(7).regular(20, Duration.ofSeconds(1));
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(a.frame(i).data(), b.frame(i).data());
        }
        assertFalse(Arrays.equals(a.frame(5).data(), balls(8).regular(20, Duration.ofSeconds(1)).frame(5).data()));
    }

    @Test
    void pixelValuesStayInUnitRangeAndBallsAreDrawn() {
        FrameSequence seq = balls(1).regular(50, Duration.ofSeconds(1));
        assertEquals(new GridShape(1, 32, 40), seq.shape());
        for (TimedFrame f : seq.frames()) {
            float max = 0;
            for (float v : f.data()) {
                assertTrue(v >= 0 && v <= 1, "value " + v);
                max = Math.max(max, v);
            }
            assertEquals(1f, max, "a ball centre is fully lit at " + f.time());
        }
    }

    @Test
    void ballsStayInsideTheBoxAndBounce() {
        BouncingBalls b = balls(3);
        boolean bounced = false;
        for (double t = 0; t < 200; t += 0.37) {
            for (double[] c : b.centres(t)) {
                assertTrue(c[0] >= 4 - 1e-9 && c[0] <= 28 + 1e-9 && c[1] >= 4 - 1e-9 && c[1] <= 36 + 1e-9,
                        "centre " + Arrays.toString(c) + " at t=" + t);
                bounced |= c[1] < 4.5 || c[1] > 35.5;
            }
        }
        assertTrue(bounced, "some ball reaches a side wall");
    }

    @Test
    void irregularTimesAreIncreasingAndNotRegular() {
        double[] t = BouncingBalls.irregularTimes(30, 1.0, 5);
        FrameSequence seq = balls(2).at(t, Duration.ofMillis(100));
        assertEquals(30, seq.size());
        assertNull(seq.nominalStep());
        assertArrayEquals(t, BouncingBalls.irregularTimes(30, 1.0, 5));
        assertArrayEquals(balls(2).render(t[7]), seq.frame(7).data());
    }
}
