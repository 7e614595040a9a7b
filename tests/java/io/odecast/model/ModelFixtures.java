package io.odecast.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random models and frames for model tests. */
final class ModelFixtures {

    private ModelFixtures() {
    }

    /** Storm-shaped (3 x 33 x 36, padded to 36 x 36), narrow so that tests are quick. */
    static ModelConfig stormLike() {
        return ModelConfig.of(3, 33, 36, 8, 2);
    }

    static VidOdeModel randomModel(ModelConfig config, long seed) {
        return new VidOdeModel(new VidOdeNetwork(config, seed), ModelCard.untrained("test", ModelCard.EXTRAPOLATE,
                config.channels()));
    }

    static Observation frame(ModelConfig config, Random rng, double time) {
        float[] data = new float[config.frameSize()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rng.nextGaussian();
        }
        return new Observation(time, data, null);
    }

    /** Advances one stream through frames at the given times, one arrival at a time. */
    static StreamState run(VidOdeModel model, List<Observation> frames) {
        StreamState s = model.emptyState();
        for (Observation o : frames) {
            s = model.advance(List.of(s), List.of(o)).get(0);
        }
        return s;
    }

    static List<Observation> frames(ModelConfig config, long seed, double... times) {
        Random rng = new Random(seed);
        List<Observation> out = new ArrayList<>();
        for (double t : times) {
            out.add(frame(config, rng, t));
        }
        return out;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
