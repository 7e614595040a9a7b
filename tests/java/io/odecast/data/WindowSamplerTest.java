package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;

import io.odecast.data.WindowSampler.Phase;
import io.odecast.data.WindowSampler.Task;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WindowSamplerTest {

    private static FrameSequence balls;
    private static WindowSampler sampler;

    @BeforeAll
    static void setUp() {
        balls = new BouncingBalls(16, 16, 2, 3, 1.5, 11).regular(40, Duration.ofSeconds(1));
        sampler = WindowSampler.defaults(ChannelNormalization.identity(1), 42);
    }

    private static double[] steps(int n, int divisor) {
        double[] t = new double[n];
        for (int k = 0; k < n; k++) {
            t[k] = (double) k / divisor;
        }
        return t;
    }

    @Test
    void regularExtrapolationObservesFirstFiveOfTenAtTimesKOverTen() {
        Window w = sampler.sample(balls, Task.REGULAR_EXTRAPOLATION, Phase.TRAIN);
        assertArrayEquals(steps(10, 10), w.times(), 1e-12);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, w.observedIndices());
        assertArrayEquals(new int[] {5, 6, 7, 8, 9}, w.targets());
        assertEquals(w.sourceIndices()[0] + 9, w.sourceIndices()[9]);
    }

    @Test
    void regularInterpolationTrainReconstructsEverySecondFrame() {
        Window w = sampler.sampleAt(balls, Task.REGULAR_INTERPOLATION, Phase.TRAIN, 3);
        assertArrayEquals(new double[] {0, .2, .4, .6, .8}, w.times(), 1e-12);
        assertArrayEquals(new int[] {3, 5, 7, 9, 11}, w.sourceIndices());
        assertEquals(5, w.observedCount());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, w.targets());
    }

    @Test
    void regularInterpolationTestPredictsOddFramesButTheLast() {
        Window w = sampler.sample(balls, Task.REGULAR_INTERPOLATION, Phase.TEST);
        assertEquals(0, w.sourceIndices()[0]);
        assertArrayEquals(steps(10, 10), w.times(), 1e-12);
        assertArrayEquals(new int[] {0, 2, 4, 6, 8}, w.observedIndices());
        assertArrayEquals(new int[] {1, 3, 5, 7}, w.targets());
    }

    @Test
    void irregularInterpolationAlwaysObservesFirstAndLast() {
        for (int i = 0; i < 50; i++) {
            Window w = sampler.sample(balls, Task.IRREGULAR_INTERPOLATION, Phase.TRAIN);
            assertEquals(20, w.length());
            assertArrayEquals(steps(20, 20), w.times(), 1e-12);
            assertEquals(10, w.observedCount());
            assertTrue(w.observed()[0] && w.observed()[19]);
            assertArrayEquals(w.observedIndices(), w.targets());
            assertTrue(w.sourceIndices()[0] <= 40 - 20 - 1);
        }
    }

    @Test
    void irregularExtrapolationObservesFiveInFirstHalfAndPredictsFiveInSecond() {
        for (int i = 0; i < 50; i++) {
            Window w = sampler.sample(balls, Task.IRREGULAR_EXTRAPOLATION, Phase.TRAIN);
            int[] obs = w.observedIndices();
            assertEquals(5, obs.length);
            assertEquals(0, obs[0]);
            assertTrue(Arrays.stream(obs).allMatch(p -> p < 10));
            assertEquals(5, w.targets().length);
            assertEquals(19, w.targets()[4]);
            assertTrue(Arrays.stream(w.targets()).allMatch(p -> p >= 10));
        }
    }

    @Test
    void sameSeedGivesSameWindows() {
        WindowSampler a = WindowSampler.defaults(ChannelNormalization.identity(1), 9);
        WindowSampler b = WindowSampler.defaults(ChannelNormalization.identity(1), 9);
        for (int i = 0; i < 5; i++) {
            Window wa = a.sample(balls, Task.IRREGULAR_INTERPOLATION, Phase.TRAIN);
            Window wb = b.sample(balls, Task.IRREGULAR_INTERPOLATION, Phase.TRAIN);
            assertArrayEquals(wa.sourceIndices(), wb.sourceIndices());
            assertArrayEquals(wa.observed(), wb.observed());
        }
    }

    @Test
    void missingStormFramesAreMaskedAndNeverTargets() throws Exception {
        FrameSequence v = StormFixtures.read("v");
        WindowSampler s = new WindowSampler(10, 20, ChannelNormalization.fit(v.frames()),
                new TimeScale(Duration.ofHours(6), 0.1), 1);
        Window w = s.sampleAt(v, Task.REGULAR_EXTRAPOLATION, Phase.TEST, 14);
        assertFalse(w.observed()[3], "frame 17 is missing");
        assertEquals(4, w.observedCount());
        Window x = s.sampleAt(v, Task.REGULAR_EXTRAPOLATION, Phase.TEST, 32);
        assertArrayEquals(new int[] {6, 7, 8, 9}, x.targets(), "frame 37 is missing");
        assertEquals(0.5, x.times()[5], 1e-12);
        assertEquals(0f, x.frames()[5][0]);
    }

    @Test
    void realTimestampsSetModelTimesThroughTheTimeScale() {
        double[] t = BouncingBalls.irregularTimes(30, 1.0, 3);
        FrameSequence irregular = new BouncingBalls(16, 16, 2, 3, 1.5, 11).at(t, Duration.ofSeconds(1));
        WindowSampler s = new WindowSampler(10, 20, ChannelNormalization.identity(1),
                new TimeScale(Duration.ofSeconds(1), 0.1), 1);
        Window w = s.sampleAt(irregular, Task.REGULAR_EXTRAPOLATION, Phase.TEST, 4);
        for (int k = 0; k < 10; k++) {
            assertEquals((t[4 + k] - t[4]) * 0.1, w.times()[k], 1e-6);
        }
    }
}
