package io.odecast.model;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterpolationApiTest {

    private static final ModelConfig CONFIG = ModelFixtures.stormLike();
    private static VidOdeModel model;

    @BeforeAll
    static void load() {
        model = ModelFixtures.randomModel(CONFIG, 5);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aWindowFilledAloneEqualsTheSameWindowInABatch() {
        List<Observation> window = ModelFixtures.frames(CONFIG, 1, 0.0, 0.1, 0.4, 0.5);
        List<Observation> other = ModelFixtures.frames(CONFIG, 2, 1.0, 1.3, 1.35, 1.6);
        double[] query = {0.2, 0.3};
        float[][] alone = model.interpolate(List.of(window), new double[][] {query}).get(0);
        float[][] batched = model.interpolate(List.of(other, window), new double[][] {{1.1, 1.5}, query}).get(1);
        assertEquals(2, alone.length);
        assertEquals(CONFIG.frameSize(), alone[0].length);
        for (int k = 0; k < query.length; k++) {
            float diff = ModelFixtures.maxAbsDiff(alone[k], batched[k]);
            assertTrue(diff < 1e-5, "query " + k + " differs by " + diff);
        }
    }

    @Test
    void theBidirectionalBlendLeansOnTheNearerNeighbour() {
        List<Observation> window = ModelFixtures.frames(CONFIG, 3, 0.0, 0.1, 0.5, 0.6);
        double[][] query = {{0.1001, 0.3, 0.4999}};
        float[][] forward = model.interpolateForward(List.of(window), query).get(0);
        float[][] blended = model.interpolate(List.of(window), query).get(0);
        // Just after the left neighbour the blend is (almost) the forward pass; in the middle it is not.
        assertTrue(ModelFixtures.maxAbsDiff(forward[0], blended[0]) < 0.01 * ModelFixtures.maxAbsDiff(forward[1], blended[1]),
                "near the left neighbour: " + ModelFixtures.maxAbsDiff(forward[0], blended[0]) + ", in the middle: "
                        + ModelFixtures.maxAbsDiff(forward[1], blended[1]));
        assertTrue(ModelFixtures.maxAbsDiff(forward[2], blended[2]) > ModelFixtures.maxAbsDiff(forward[1], blended[1]),
                "near the right neighbour the backward pass dominates");
    }

    @Test
    void queriesAtFrameTimesOrBeforeTheWindowAreRejected() {
        List<Observation> window = ModelFixtures.frames(CONFIG, 1, 0.0, 0.1, 0.4);
        assertThrows(IllegalArgumentException.class,
                () -> model.interpolate(List.of(window), new double[][] {{0.1}}));
        assertThrows(IllegalArgumentException.class,
                () -> model.interpolate(List.of(window), new double[][] {{-0.1}}));
    }

    @Test
    void fillCellsOfTheInputAreWrittenBackAsTheFillValue() {
        ModelCard card = new ModelCard("fill", ModelCard.INTERPOLATE, List.of("u", "v", "p"), new float[] {0, 0, 0},
                new float[] {1, 1, 1}, -9999.0, "PT6H", 0.1, null, null);
        try (VidOdeModel m = new VidOdeModel(new VidOdeNetwork(CONFIG, 3), card)) {
            List<Observation> frames = ModelFixtures.frames(CONFIG, 4, 0.0, 0.2);
            boolean[] valid = new boolean[CONFIG.frameSize()];
            java.util.Arrays.fill(valid, true);
            valid[0] = false;
            List<Observation> masked = List.of(new Observation(0.0, frames.get(0).data(), valid),
                    new Observation(0.2, frames.get(1).data(), valid));
            float[] filled = m.interpolate(List.of(masked), new double[][] {{0.1}}).get(0)[0];
            assertEquals(-9999f, filled[0]);
            assertTrue(Float.isFinite(filled[1]) && filled[1] != -9999f);
        }
    }
}
