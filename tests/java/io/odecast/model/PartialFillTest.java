package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fill of a gap whose neighbours are partly invalid: each pass of the bidirectional fill has a value only where
 * the frame it renders the gap from is valid (the forward pass the frame before the gap, the reversed pass the
 * frame after it), so a cell takes the blend where both have one, the one pass that has one, or the fill value.
 */
class PartialFillTest {

    private static final ModelConfig CONFIG = ModelFixtures.stormLike();
    private static final float FILL = -999f;
    /** Invalid in the frame after the gap only. */
    private static final int AFTER_ONLY = 40;
    /** Invalid in the frame before the gap only. */
    private static final int BEFORE_ONLY = 41;
    /** Invalid in both neighbours of the gap. */
    private static final int BOTH = 42;
    /** Invalid in the window's first frame only, which is not a neighbour of the gap. */
    private static final int OLDEST_ONLY = 43;
    private static VidOdeModel model;

    @BeforeAll
    static void load() {
        ModelCard card = new ModelCard("fill", ModelCard.INTERPOLATE, List.of("u", "v", "p"), new float[] {0, 0, 0},
                new float[] {1, 1, 1}, (double) FILL, "PT6H", 0.1, null, null);
        model = new VidOdeModel(new VidOdeNetwork(CONFIG, 3), card);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Frames at 0, 0.1 and 0.4 (the gap is the last one) with the cells above invalid where they say. */
    private static List<Observation> window() {
        List<Observation> frames = ModelFixtures.frames(CONFIG, 4, 0.0, 0.1, 0.4);
        boolean[] oldest = allValid();
        oldest[OLDEST_ONLY] = false;
        boolean[] before = allValid();
        before[BEFORE_ONLY] = false;
        before[BOTH] = false;
        boolean[] after = allValid();
        after[AFTER_ONLY] = false;
        after[BOTH] = false;
        float[] afterData = frames.get(2).data().clone();
        afterData[AFTER_ONLY] = FILL; // as a sender writes a missing cell: the mask says so
        return List.of(new Observation(0.0, frames.get(0).data(), oldest),
                new Observation(0.1, frames.get(1).data(), before), new Observation(0.4, afterData, after));
    }

    private static boolean[] allValid() {
        boolean[] valid = new boolean[CONFIG.frameSize()];
        Arrays.fill(valid, true);
        return valid;
    }

    /** The reversed pass alone, as {@link VidOdeModel#interpolate} runs it, back in the query order. */
    private static float[][] reversedPass(List<Observation> window, double[] times) {
        List<Observation> reversed = new ArrayList<>();
        for (Observation o : window) {
            reversed.add(new Observation(-o.time(), o.data(), o.valid()));
        }
        Collections.reverse(reversed);
        double[] negated = new double[times.length];
        for (int k = 0; k < times.length; k++) {
            negated[k] = -times[times.length - 1 - k];
        }
        float[][] backward = model.interpolateForward(List.of(reversed), new double[][] {negated}).get(0);
        float[][] out = new float[times.length][];
        for (int k = 0; k < times.length; k++) {
            out[k] = backward[times.length - 1 - k];
        }
        return out;
    }

    @Test
    void aCellInvalidOnOneSideOfTheGapTakesTheOtherPassAndOneInvalidOnBothIsTheFillValue() {
        List<Observation> window = window();
        double[] times = {0.2, 0.3};
        float[][] filled = model.interpolate(List.of(window), new double[][] {times}).get(0);
        float[][] forward = model.interpolateForward(List.of(window), new double[][] {times}).get(0);
        float[][] backward = reversedPass(window, times);
        boolean[][] valid = model.fillValidity(window, times);
        for (int k = 0; k < times.length; k++) {
            // valid before the gap, invalid after it: the forward pass's value, not one mixed with the fill value
            assertTrue(Float.isFinite(filled[k][AFTER_ONLY]) && filled[k][AFTER_ONLY] != FILL);
            assertEquals(forward[k][AFTER_ONLY], filled[k][AFTER_ONLY], "query " + k);
            assertTrue(valid[k][AFTER_ONLY]);
            // invalid before the gap, valid after it: the reversed pass's value
            assertTrue(Float.isFinite(filled[k][BEFORE_ONLY]) && filled[k][BEFORE_ONLY] != FILL);
            assertEquals(FILL, forward[k][BEFORE_ONLY], "the forward pass has no value there");
            assertEquals(backward[k][BEFORE_ONLY], filled[k][BEFORE_ONLY], "query " + k);
            assertTrue(valid[k][BEFORE_ONLY]);
            // invalid on both sides: the fill value, and the mask says so
            assertEquals(FILL, filled[k][BOTH]);
            assertFalse(valid[k][BOTH]);
            // invalid only in a frame that is not a neighbour of the gap: a blend of both passes, valid
            assertTrue(Float.isFinite(forward[k][OLDEST_ONLY]) && forward[k][OLDEST_ONLY] != FILL);
            assertTrue(Float.isFinite(filled[k][OLDEST_ONLY]) && filled[k][OLDEST_ONLY] != FILL);
            assertTrue(valid[k][OLDEST_ONLY]);
            // every other cell: the blend of both passes by position in the gap
            double x = (times[k] - 0.1) / 0.3;
            for (int i = 0; i < CONFIG.frameSize(); i++) {
                if (i < AFTER_ONLY || i > OLDEST_ONLY) {
                    assertEquals((1 - x) * forward[k][i] + x * backward[k][i], filled[k][i], 1e-5, "cell " + i);
                    assertTrue(valid[k][i]);
                }
            }
        }
    }

    @Test
    void withoutAFillValueACellInvalidOnOneSideIsStillFiniteAndOnBothIsNaN() {
        ModelCard card = new ModelCard("nofill", ModelCard.INTERPOLATE, List.of("u", "v", "p"),
                new float[] {0, 0, 0}, new float[] {1, 1, 1}, null, "PT6H", 0.1, null, null);
        try (VidOdeModel m = new VidOdeModel(new VidOdeNetwork(CONFIG, 3), card)) {
            float[] filled = m.interpolate(List.of(window()), new double[][] {{0.25}}).get(0)[0];
            assertTrue(Float.isFinite(filled[AFTER_ONLY]));
            assertTrue(Float.isFinite(filled[BEFORE_ONLY]));
            assertTrue(Float.isNaN(filled[BOTH]));
        }
    }

    @Test
    void aNonFiniteValueCountsAsInvalidWithoutAMask() {
        List<Observation> masked = window();
        float[] after = masked.get(2).data().clone();
        after[AFTER_ONLY] = Float.NaN;
        List<Observation> window = List.of(masked.get(0), masked.get(1), new Observation(0.4, after, null));
        float[] filled = model.interpolate(List.of(window), new double[][] {{0.25}}).get(0)[0];
        float[] forward = model.interpolateForward(List.of(window), new double[][] {{0.25}}).get(0)[0];
        assertEquals(forward[AFTER_ONLY], filled[AFTER_ONLY]);
        assertTrue(Float.isFinite(filled[AFTER_ONLY]));
        assertTrue(model.fillValidity(window, new double[] {0.25})[0][AFTER_ONLY]);
    }

    @Test
    void aFillFollowsTheGapsNeighboursNotTheWindowsFirstFrame() {
        List<Observation> window = window();
        // A query after the window's end has only the forward pass: valid where the last frame is.
        boolean[][] beyond = model.fillValidity(window, new double[] {0.5});
        assertFalse(beyond[0][AFTER_ONLY]);
        assertTrue(beyond[0][BEFORE_ONLY]);
        assertTrue(beyond[0][OLDEST_ONLY]);
        float[] past = model.interpolate(List.of(window), new double[][] {{0.5}}).get(0)[0];
        assertEquals(FILL, past[AFTER_ONLY]);
        assertTrue(past[OLDEST_ONLY] != FILL && Float.isFinite(past[OLDEST_ONLY]));
        // A query in the first gap: neighbours 0 and 0.1.
        boolean[][] first = model.fillValidity(window, new double[] {0.05});
        assertTrue(first[0][OLDEST_ONLY]);
        assertTrue(first[0][BOTH]);
        assertNull(model.fillValidity(ModelFixtures.frames(CONFIG, 1, 0.0, 0.2), new double[] {0.1})[0]);
    }

    @Test
    void aWindowIsFilledFromBothSidesWhateverElseIsInItsBatch() {
        List<Observation> window = window();
        List<Observation> other = ModelFixtures.frames(CONFIG, 2, 1.0, 1.3, 1.35);
        float[][] alone = model.interpolate(List.of(window), new double[][] {{0.2, 0.3}}).get(0);
        // the other window's last query is after its end: it has the forward pass only, this one still both
        List<float[][]> batched = model.interpolate(List.of(other, window), new double[][] {{1.1, 1.5}, {0.2, 0.3}});
        for (int k = 0; k < 2; k++) {
            float diff = ModelFixtures.maxAbsDiff(alone[k], batched.get(1)[k]);
            assertTrue(diff < 1e-5, "query " + k + " differs by " + diff);
        }
        float[][] forwardOther = model.interpolateForward(List.of(other), new double[][] {{1.1, 1.5}}).get(0);
        assertTrue(ModelFixtures.maxAbsDiff(forwardOther[1], batched.get(0)[1]) < 1e-5);
    }
}
