package io.odecast.model;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stream's result must not depend on what else is in its batch. */
class BatchIndependenceTest {

    private static VidOdeModel model;
    private static final ModelConfig CONFIG = ModelFixtures.stormLike();

    @BeforeAll
    static void load() {
        model = ModelFixtures.randomModel(CONFIG, 7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void forecastAloneEqualsForecastInsideABatchOfEightOthers() {
        StreamState target = ModelFixtures.run(model, ModelFixtures.frames(CONFIG, 1, 0.0, 0.1, 0.35));
        double[] times = {0.4, 0.5, 0.6, 0.75};
        float[][] alone = model.forecast(List.of(target), new double[][] {times}).get(0);

        List<StreamState> batch = new ArrayList<>();
        double[][] batchTimes = new double[9][];
        for (int i = 0; i < 8; i++) {
            // Other streams: other histories, other phases, other lead times.
            StreamState other = ModelFixtures.run(model, ModelFixtures.frames(CONFIG, 100 + i, 0.0, 0.05 * (i + 1)));
            batch.add(other);
            double base = other.lastTime();
            batchTimes[i] = new double[] {base + 0.02, base + 0.3, base + 0.9, base + 1.5};
        }
        batch.add(4, target);
        System.arraycopy(batchTimes, 4, batchTimes, 5, 4);
        batchTimes[4] = times;
        float[][] together = model.forecast(batch, batchTimes).get(4);

        for (int k = 0; k < times.length; k++) {
            float diff = ModelFixtures.maxAbsDiff(alone[k], together[k]);
            assertTrue(diff < 1e-5, "lead " + k + " differs by " + diff);
        }
    }

    @Test
    void advanceAloneEqualsAdvanceInsideABatch() {
        StreamState target = ModelFixtures.run(model, ModelFixtures.frames(CONFIG, 2, 0.0, 0.2));
        Observation next = ModelFixtures.frames(CONFIG, 3, 0.45).get(0);
        StreamState alone = model.advance(List.of(target), List.of(next)).get(0);

        List<StreamState> states = new ArrayList<>();
        List<Observation> frames = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            StreamState other = i % 2 == 0 ? model.emptyState()
                    : ModelFixtures.run(model, ModelFixtures.frames(CONFIG, 200 + i, 0.0));
            states.add(other);
            frames.add(ModelFixtures.frames(CONFIG, 300 + i, 0.1 * (i + 1)).get(0));
        }
        states.add(target);
        frames.add(next);
        StreamState together = model.advance(states, frames).get(8);
        assertTrue(ModelFixtures.maxAbsDiff(alone.hidden(), together.hidden()) < 1e-5);
        assertEquals(alone.lastTime(), together.lastTime());
        assertEquals(3, together.frames());
    }
}
