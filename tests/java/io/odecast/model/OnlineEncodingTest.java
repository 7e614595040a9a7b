package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnlineEncodingTest {

    private static final ModelConfig CONFIG = ModelFixtures.stormLike();
    private static VidOdeModel model;

    @BeforeAll
    static void load() {
        model = ModelFixtures.randomModel(CONFIG, 11);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void arrivalByArrivalEqualsEncodingTheWindowInOneCall() {
        double[] times = {0.0, 0.1, 0.25, 0.3, 0.7};
        List<Observation> frames = ModelFixtures.frames(CONFIG, 5, times);
        StreamState online = ModelFixtures.run(model, frames);

        VidOdeNetwork net = model.network();
        try (NDManager m = net.manager().newSubManager()) {
            float[] all = new float[frames.size() * CONFIG.frameSize()];
            for (int i = 0; i < frames.size(); i++) {
                float[] normalised = model.normalise(frames.get(i));
                System.arraycopy(normalised, 0, all, i * CONFIG.frameSize(), CONFIG.frameSize());
            }
            NDArray x = net.pad(m.create(all, new Shape(frames.size(), 3, 33, 36)));
            NDArray encoded = net.encode(x, false);
            NDArray sequence = encoded.reshape(new Shape(1, frames.size()).addAll(encoded.getShape().slice(1)));
            float[] window = net.encodeForward(sequence, null, new double[][] {times}).toFloatArray();
            float diff = ModelFixtures.maxAbsDiff(online.hidden(), window);
            assertTrue(diff < 1e-5, "online and window encodings differ by " + diff);
        }
    }

    @Test
    void evaluationsPerArrivalDoNotDependOnHistoryLength() {
        List<Observation> frames = ModelFixtures.frames(CONFIG, 9, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);
        StreamState s = model.emptyState();
        long[] perArrival = new long[frames.size()];
        for (int i = 0; i < frames.size(); i++) {
            long before = model.encoderEvaluations();
            s = model.advance(List.of(s), List.of(frames.get(i))).get(0);
            perArrival[i] = model.encoderEvaluations() - before;
        }
        assertEquals(0, perArrival[0], "the first arrival has no gap to integrate");
        for (int i = 1; i < perArrival.length; i++) {
            assertEquals(4, perArrival[i], "arrival " + i + ": one rk4 step of 4 evaluations for a gap of 0.1");
        }
        // A gap three times the maximum step is three sub-steps.
        long before = model.encoderEvaluations();
        model.advance(List.of(s), List.of(ModelFixtures.frames(CONFIG, 10, 1.2).get(0)));
        assertEquals(12, model.encoderEvaluations() - before);
    }

    @Test
    void anArrivalThatIsNotLaterIsRejected() {
        StreamState s = ModelFixtures.run(model, ModelFixtures.frames(CONFIG, 4, 0.5));
        var e = assertThrows(IllegalArgumentException.class,
                () -> model.advance(List.of(s), ModelFixtures.frames(CONFIG, 4, 0.5)));
        assertTrue(e.getMessage().contains("not after"), e.getMessage());
    }

    @Test
    void aFrameOfTheWrongSizeIsRejectedWithTheExpectedShape() {
        var e = assertThrows(IllegalArgumentException.class, () -> model.advance(List.of(model.emptyState()),
                List.of(new Observation(0, new float[10], null))));
        assertTrue(e.getMessage().contains("3x33x36"), e.getMessage());
    }
}
