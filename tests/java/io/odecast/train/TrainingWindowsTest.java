package io.odecast.train;

import io.odecast.data.BouncingBalls;
import io.odecast.data.ChannelNormalization;
import io.odecast.data.FrameSequence;
import io.odecast.data.TimeScale;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    private static TrainingWindows windows(String task, double dropout) {
        FrameSequence seq = new BouncingBalls(8, 8, 1, 2.0, 1.0, 3).regular(48, Duration.ofMillis(100));
        return new TrainingWindows(seq, ChannelNormalization.identity(1), new TimeScale(Duration.ofMillis(100), 0.1),
                task, 3, 7, 3, dropout, 1000);
    }

    private static String pattern(TrainingWindows.Sample s) {
        return Arrays.toString(s.observed()) + Arrays.toString(s.times());
    }

    @Test
    void validationRevisitsItsFewStartsWithNewGapsUntilItHasEnoughWindows() {
        // Frames 38..47 hold four interpolation windows of 7.
        List<TrainingWindows.Sample> once = windows("interpolate", 0.2).fixedFrom(38);
        assertEquals(4, once.size());
        List<TrainingWindows.Sample> many = windows("interpolate", 0.2).fixedFrom(38, 32);
        assertEquals(32, many.size(), "eight passes over the four starts");
        for (int i = 0; i < 4; i++) {
            assertEquals(pattern(once.get(i)), pattern(many.get(i)), "the first pass is the single-draw set");
        }
        Set<String> patterns = new HashSet<>();
        many.forEach(s -> patterns.add(pattern(s)));
        assertTrue(patterns.size() > 8, "later passes draw other gaps: " + patterns.size() + " distinct of 32");
        assertEquals(pattern(many.get(31)), pattern(windows("interpolate", 0.2).fixedFrom(38, 32).get(31)),
                "the same seed gives the same windows");
    }

    @Test
    void extrapolationWithoutDropoutHasNothingToRedraw() {
        // Outputs in frames 38..47: starts 35..41.
        assertEquals(7, windows("extrapolate", 0).fixedFrom(38, 32).size());
        assertEquals(35, windows("extrapolate", 0.3).fixedFrom(38, 32).size(), "five passes of seven");
    }
}
