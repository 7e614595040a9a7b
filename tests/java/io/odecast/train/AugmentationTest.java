package io.odecast.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.ChannelNormalization;
import io.odecast.data.FrameSequence;
import io.odecast.data.GridShape;
import io.odecast.data.TimeScale;
import io.odecast.data.TimedFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mirrors change the sign of the vector component across the mirror only, in physical units. */
class AugmentationTest {

    private static final List<String> UVP = List.of("u", "v", "p");
    private static final GridShape SHAPE = new GridShape(3, 2, 3);
    private static final ChannelNormalization NORM = new ChannelNormalization(new double[] {1, -2, 1000},
            new double[] {2, 4, 10});

    /** u = 10 y + x, v = 100 + 10 y + x, p = 1000 + 10 y + x: every cell tells where it came from. */
    private static float[] field(int t) {
        float[] data = new float[SHAPE.size()];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 3; x++) {
                    data[SHAPE.index(c, y, x)] = (c == 0 ? 0 : c == 1 ? 100 : 1000) + 10 * y + x + t * 0.5f;
                }
            }
        }
        return data;
    }

    private static float physical(float[] normalised, int c, int y, int x) {
        return (float) (normalised[SHAPE.index(c, y, x)] * NORM.std()[c] + NORM.mean()[c]);
    }

    private static float[] normalised(float[] data) {
        return NORM.normalize(TimedFrame.of(Instant.EPOCH, UVP, SHAPE, data));
    }

    /** {@code n} six-hourly frames of {@link #field}, from the epoch. */
    private static FrameSequence sixHourly(int n) {
        List<TimedFrame> frames = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            frames.add(TimedFrame.of(Instant.EPOCH.plus(Duration.ofHours(6L * t)), UVP, SHAPE, field(t)));
        }
        return new FrameSequence("uvp", UVP, SHAPE, frames, null, null, null, Double.NaN, Duration.ofHours(6));
    }

    private static float[] ones() {
        float[] v = new float[SHAPE.size()];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    @Test
    void aLeftRightMirrorNegatesUOnlyAndMovesEveryChannel() {
        float[] data = field(0);
        float[] out = Augmentation.transform(normalised(data), ones(), 3, 2, 3, true, false, true, false, 0, 1, NORM);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                int sx = 2 - x;
                assertEquals(-data[SHAPE.index(0, y, sx)], physical(out, 0, y, x), 1e-4, "u at " + y + "," + x);
                assertEquals(data[SHAPE.index(1, y, sx)], physical(out, 1, y, x), 1e-4, "v at " + y + "," + x);
                assertEquals(data[SHAPE.index(2, y, sx)], physical(out, 2, y, x), 1e-3, "p at " + y + "," + x);
            }
        }
    }

    @Test
    void anUpDownMirrorNegatesVOnly() {
        float[] data = field(0);
        float[] out = Augmentation.transform(normalised(data), ones(), 3, 2, 3, false, true, false, true, 0, 1, NORM);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                int sy = 1 - y;
                assertEquals(data[SHAPE.index(0, sy, x)], physical(out, 0, y, x), 1e-4);
                assertEquals(-data[SHAPE.index(1, sy, x)], physical(out, 1, y, x), 1e-4);
                assertEquals(data[SHAPE.index(2, sy, x)], physical(out, 2, y, x), 1e-3);
            }
        }
    }

    @Test
    void invalidCellsStayZeroAndValidityMovesWithTheMirror() {
        float[] valid = ones();
        valid[SHAPE.index(0, 0, 0)] = 0;
        float[] in = normalised(field(0));
        in[SHAPE.index(0, 0, 0)] = 0;
        float[] out = Augmentation.transform(in, valid, 3, 2, 3, true, false, true, false, 0, 1, NORM);
        assertEquals(0f, out[SHAPE.index(0, 0, 2)]);
        float[] mirrored = Augmentation.mirror(valid, 3, 2, 3, true, false);
        assertEquals(0f, mirrored[SHAPE.index(0, 0, 2)]);
        assertEquals(1f, mirrored[SHAPE.index(0, 0, 0)]);
    }

    @Test
    void parsingPicksUAndVByDefaultAndChecksNames() {
        Augmentation a = Augmentation.parse("flip-x,flip-y", null, UVP);
        assertEquals(0, a.uChannel());
        assertEquals(1, a.vChannel());
        assertTrue(a.has("flip-x") && a.has("flip-y") && !a.has("reverse"));
        assertEquals("flip-x,flip-y (vector channels u,v)", a.describe(UVP));
        Augmentation b = Augmentation.parse("flip-x", "v,u", UVP);
        assertEquals(1, b.uChannel());
        assertEquals(0, b.vChannel());
        assertFalse(Augmentation.parse("none", null, UVP).any());
        assertEquals(-1, Augmentation.parse("flip-x", null, List.of("luma")).uChannel());
        assertEquals(-1, Augmentation.parse("flip-x", "none", UVP).uChannel());
        assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("flip-x", "u,w", UVP));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("flip-z", null, UVP));
    }

    @Test
    void drawnWindowsAreTheOriginalOrItsMirrorWithUNegated() {
        FrameSequence seq = sixHourly(6);
        TimeScale scale = new TimeScale(Duration.ofHours(6), 0.1);
        TrainingWindows plain = new TrainingWindows(seq, NORM, scale, "extrapolate", 2, 4, 1, 0, 7);
        TrainingWindows augmented = new TrainingWindows(seq, NORM, scale, "extrapolate", 2, 4, 1, 0, 7,
                Augmentation.parse("flip-x", null, UVP));
        int mirrored = 0;
        for (int draw = 0; draw < 40; draw++) {
            TrainingWindows.Sample s = augmented.next();
            int start = (int) Math.round((physical(s.frames()[0], 2, 0, 1) - 1001) * 2);
            boolean flipped = Math.abs(physical(s.frames()[0], 2, 0, 0) - (1002 + start * 0.5f)) < 1e-3;
            if (flipped) {
                mirrored++;
            }
            for (int i = 0; i < 4; i++) {
                float[] truth = field(start + i);
                for (int y = 0; y < 2; y++) {
                    for (int x = 0; x < 3; x++) {
                        int sx = flipped ? 2 - x : x;
                        float u = truth[SHAPE.index(0, y, sx)];
                        assertEquals(flipped ? -u : u, physical(s.frames()[i], 0, y, x), 1e-4);
                        assertEquals(truth[SHAPE.index(1, y, sx)], physical(s.frames()[i], 1, y, x), 1e-4);
                    }
                }
            }
            assertArrayEquals(new double[] {0, 0.1, 0.2, 0.3}, s.times(), 1e-9);
        }
        assertTrue(mirrored > 5 && mirrored < 35, "mirrored " + mirrored + " of 40");
        // Without augmentation the windows are drawn exactly as before.
        TrainingWindows again = new TrainingWindows(seq, NORM, scale, "extrapolate", 2, 4, 1, 0, 7, Augmentation.NONE);
        for (int draw = 0; draw < 10; draw++) {
            assertArrayEquals(plain.next().frames()[0], again.next().frames()[0], 0f);
        }
    }

    @Test
    void gapAtEndHidesTheFramesJustBeforeTheLastInHalfTheInterpolationWindows() {
        FrameSequence seq = sixHourly(10);
        TimeScale scale = new TimeScale(Duration.ofHours(6), 0.1);
        int length = 7;
        double[] atAnEnd = new double[2];
        for (int variant = 0; variant < 2; variant++) {
            TrainingWindows w = new TrainingWindows(seq, NORM, scale, "interpolate", 2, length, 3, 0, 11,
                    variant == 0 ? Augmentation.NONE : Augmentation.parse("gap-at-end", null, UVP));
            int n = 400;
            int touching = 0;
            for (int draw = 0; draw < n; draw++) {
                boolean[] observed = w.next().observed();
                assertTrue(observed[0] && observed[length - 1], "both ends observed");
                // Windows run backwards half of the time, so "just before the last" shows at either end.
                touching += !observed[1] || !observed[length - 2] ? 1 : 0;
            }
            atAnEnd[variant] = (double) touching / n;
        }
        // Uniform blocks of 1-3 in 5 interior frames touch an end about half of the time; with gap-at-end about 3/4.
        assertTrue(atAnEnd[0] > 0.4 && atAnEnd[0] < 0.62, "uniform: " + atAnEnd[0]);
        assertTrue(atAnEnd[1] > 0.68, "gap-at-end: " + atAnEnd[1]);
    }

    @Test
    void aReversedExtrapolationWindowRunsBackwardsWithTheVectorNegated() {
        FrameSequence seq = sixHourly(4);
        TrainingWindows w = new TrainingWindows(seq, NORM, new TimeScale(Duration.ofHours(6), 0.1), "extrapolate", 2,
                4, 1, 0, 3, Augmentation.parse("reverse", null, UVP));
        int reversed = 0;
        for (int draw = 0; draw < 20; draw++) {
            TrainingWindows.Sample s = w.next();
            assertArrayEquals(new double[] {0, 0.1, 0.2, 0.3}, s.times(), 1e-9);
            boolean backwards = physical(s.frames()[0], 2, 0, 0) > 1000.9f;
            reversed += backwards ? 1 : 0;
            for (int i = 0; i < 4; i++) {
                float[] truth = field(backwards ? 3 - i : i);
                float u = truth[SHAPE.index(0, 1, 2)];
                assertEquals(backwards ? -u : u, physical(s.frames()[i], 0, 1, 2), 1e-4);
                assertEquals(backwards ? -truth[SHAPE.index(1, 1, 2)] : truth[SHAPE.index(1, 1, 2)],
                        physical(s.frames()[i], 1, 1, 2), 1e-4);
                assertEquals(truth[SHAPE.index(2, 1, 2)], physical(s.frames()[i], 2, 1, 2), 1e-3);
            }
        }
        assertTrue(reversed > 0 && reversed < 20, "reversed " + reversed + " of 20");
    }
}
