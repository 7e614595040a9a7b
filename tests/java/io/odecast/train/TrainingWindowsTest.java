package io.odecast.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class TrainingWindowsTest {

    @Test
    void aReversedWindowRunsBackwardsFromZero() {
        float[][] frames = {{1}, {2}, {3}};
        float[][] valid = {{1}, {0}, {1}};
        TrainingWindows.Sample s = new TrainingWindows.Sample(frames, valid, new boolean[] {true, false, true},
                new double[] {0, 0.1, 0.3});
        TrainingWindows.Sample r = TrainingWindows.reversed(s);
        assertArrayEquals(new double[] {0, 0.2, 0.3}, r.times(), 1e-12);
        assertSame(frames[2], r.frames()[0]);
        assertSame(frames[0], r.frames()[2]);
        assertSame(valid[1], r.valid()[1]);
        assertArrayEquals(new boolean[] {true, false, true}, r.observed());
    }
}
