package io.odecast.eval;

import io.odecast.model.Blend;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Least-squares weights of a {@link Blend}: per key and channel, the weights w_m minimising the summed squared error
 * of {@code b + sum_m w_m (m_m - b)} against the truth t over the convex set {@code w_m >= 0, sum_m w_m <= 1} (so the
 * blend is a weighted mean of the baseline and the members). With one member that is
 * {@code w = sum d e / sum d^2} clamped to [0, 1], {@code d = m - b, e = t - b}; with two, the unconstrained solution
 * of the 2 x 2 normal equations when it is feasible, else the best point on the set's edges. Cells invalid in the
 * truth or the baseline, or not finite in any input, are left out.
 */
public final class BlendFit {

    private final int channels;
    private final int members;
    /** Per key and channel: the Gram matrix of the members' departures (upper triangle), their products with e. */
    private final Map<String, double[][]> sums = new TreeMap<>();
    private final Map<String, Integer> frames = new TreeMap<>();

    /** A fit of one member (the model). */
    public BlendFit(int channels) {
        this(channels, 1);
    }

    /** A fit of {@code members} members (1 or 2). */
    public BlendFit(int channels, int members) {
        if (members < 1 || members > 2) {
            throw new IllegalArgumentException("a blend fit has 1 or 2 members, got " + members);
        }
        this.channels = channels;
        this.members = members;
    }

    /** Adds one frame (channel-major) of truth, model and baseline under a key (one member). */
    public void add(String key, float[] truth, float[] model, float[] baseline, boolean[] valid) {
        add(key, truth, List.of(model), baseline, valid);
    }

    /** Adds one frame (channel-major) of truth, the members (the model first) and baseline under a key. */
    public void add(String key, float[] truth, List<float[]> memberFrames, float[] baseline, boolean[] valid) {
        if (memberFrames.size() != members) {
            throw new IllegalArgumentException("expected " + members + " member frames, got " + memberFrames.size());
        }
        for (float[] m : memberFrames) {
            if (truth.length != m.length || truth.length != baseline.length || truth.length % channels != 0) {
                throw new IllegalArgumentException("blend fit of frames of " + truth.length + ", " + m.length
                        + " and " + baseline.length + " values over " + channels + " channels");
            }
        }
        int cells = truth.length / channels;
        double[][] s = sums.computeIfAbsent(key, k -> new double[channels][5]);
        double[] d = new double[2];
        for (int i = 0; i < truth.length; i++) {
            if ((valid != null && !valid[i]) || !Float.isFinite(baseline[i]) || !Float.isFinite(truth[i])) {
                continue;
            }
            boolean finite = true;
            for (int k = 0; k < members; k++) {
                d[k] = (double) memberFrames.get(k)[i] - baseline[i];
                finite &= Double.isFinite(d[k]);
            }
            if (!finite) {
                continue;
            }
            double e = (double) truth[i] - baseline[i];
            double[] c = s[i / cells];
            c[0] += d[0] * d[0];
            c[3] += d[0] * e;
            if (members == 2) {
                c[1] += d[0] * d[1];
                c[2] += d[1] * d[1];
                c[4] += d[1] * e;
            }
        }
        frames.merge(key, 1, Integer::sum);
    }

    /** Fitted weights per key, member-major (the first {@code channels} for the model). */
    public Map<String, float[]> weights() {
        Map<String, float[]> out = new TreeMap<>();
        sums.forEach((key, s) -> {
            float[] w = new float[channels * members];
            for (int c = 0; c < channels; c++) {
                double[] x = members == 1 ? new double[] {clamped(s[c][3], s[c][0])} : solveTwo(s[c]);
                for (int k = 0; k < members; k++) {
                    w[k * channels + c] = (float) x[k];
                }
            }
            out.put(key, w);
        });
        return out;
    }

    /** The minimiser of {@code -2 a r + a^2 g} over [0, 1] (0 when g is 0). */
    private static double clamped(double r, double g) {
        return g > 0 ? Math.max(0, Math.min(1, r / g)) : 0;
    }

    /**
     * The minimiser of {@code f(a, b) = a^2 g11 + 2ab g12 + b^2 g22 - 2a r1 - 2b r2} over {@code a, b >= 0,
     * a + b <= 1}: the interior stationary point when feasible, else the best of the three edges' minimisers.
     */
    static double[] solveTwo(double[] c) {
        double g11 = c[0];
        double g12 = c[1];
        double g22 = c[2];
        double r1 = c[3];
        double r2 = c[4];
        double det = g11 * g22 - g12 * g12;
        if (det > 1e-12 * Math.max(1, g11 * g22)) {
            double a = (r1 * g22 - r2 * g12) / det;
            double b = (r2 * g11 - r1 * g12) / det;
            if (a >= 0 && b >= 0 && a + b <= 1) {
                return new double[] {a, b};
            }
        }
        double[][] candidates = {
            {clamped(r1, g11), 0},
            {0, clamped(r2, g22)},
            edge(g11, g12, g22, r1, r2),
        };
        double[] best = candidates[0];
        double bestValue = Double.POSITIVE_INFINITY;
        for (double[] x : candidates) {
            double v = x[0] * x[0] * g11 + 2 * x[0] * x[1] * g12 + x[1] * x[1] * g22 - 2 * x[0] * r1 - 2 * x[1] * r2;
            if (v < bestValue) {
                bestValue = v;
                best = x;
            }
        }
        return best;
    }

    /** The best point on the edge a + b = 1: f(a, 1 - a) is a quadratic in a, minimised over [0, 1]. */
    private static double[] edge(double g11, double g12, double g22, double r1, double r2) {
        // f(a) = a^2 (g11 - 2 g12 + g22) + 2a (g12 - g22 - r1 + r2) + const
        double q = g11 - 2 * g12 + g22;
        double l = g12 - g22 - r1 + r2;
        double a = q > 0 ? Math.max(0, Math.min(1, -l / q)) : (l < 0 ? 1 : 0);
        return new double[] {a, 1 - a};
    }

    /** Frames added per key. */
    public Map<String, Integer> frames() {
        return new LinkedHashMap<>(frames);
    }

    public boolean isEmpty() {
        return sums.isEmpty();
    }
}
