package io.odecast.eval;

import io.odecast.model.Blend;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Least-squares weights of a {@link Blend}: per key and channel, the w minimising the summed squared error of
 * {@code b + w (m - b)} against the truth t, {@code w = sum (m - b)(t - b) / sum (m - b)^2}, clamped to [0, 1]
 * (0 where the model never departs from the baseline). Cells invalid in the truth or the baseline are left out.
 */
public final class BlendFit {

    private final int channels;
    private final Map<String, double[]> sums = new TreeMap<>();
    private final Map<String, Integer> frames = new TreeMap<>();

    public BlendFit(int channels) {
        this.channels = channels;
    }

    /** Adds one frame (channel-major) of truth, model and baseline under a key. */
    public void add(String key, float[] truth, float[] model, float[] baseline, boolean[] valid) {
        if (truth.length != model.length || truth.length != baseline.length || truth.length % channels != 0) {
            throw new IllegalArgumentException("blend fit of frames of " + truth.length + ", " + model.length + " and "
                    + baseline.length + " values over " + channels + " channels");
        }
        int cells = truth.length / channels;
        double[] s = sums.computeIfAbsent(key, k -> new double[2 * channels]);
        for (int i = 0; i < truth.length; i++) {
            if ((valid != null && !valid[i]) || !Float.isFinite(baseline[i]) || !Float.isFinite(truth[i])) {
                continue;
            }
            double d = (double) model[i] - baseline[i];
            double e = (double) truth[i] - baseline[i];
            int c = i / cells;
            s[2 * c] += d * d;
            s[2 * c + 1] += d * e;
        }
        frames.merge(key, 1, Integer::sum);
    }

    /** Fitted weights per key. */
    public Map<String, float[]> weights() {
        Map<String, float[]> out = new TreeMap<>();
        sums.forEach((key, s) -> {
            float[] w = new float[channels];
            for (int c = 0; c < channels; c++) {
                double dd = s[2 * c];
                w[c] = dd > 0 ? (float) Math.max(0, Math.min(1, s[2 * c + 1] / dd)) : 0f;
            }
            out.put(key, w);
        });
        return out;
    }

    /** Frames added per key. */
    public Map<String, Integer> frames() {
        return new LinkedHashMap<>(frames);
    }

    public boolean isEmpty() {
        return sums.isEmpty();
    }
}
