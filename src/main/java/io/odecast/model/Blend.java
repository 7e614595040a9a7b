package io.odecast.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A calibrated blend of a model with the baseline an operator would otherwise use: {@code baseline + w_c * (model
 * - baseline)} per channel c, with one weight per channel for each lead (forecasters, baseline {@code flow}: optical
 * flow extrapolation of the last two frames) or each position in a gap (interpolators, baseline {@code linear}: the
 * straight line between the gap's neighbours). The weights are fitted by least squares on the validation frames
 * (never the held-out ones) and clamped to [0, 1]: 0 is the baseline, 1 the model alone. Model statistics output
 * (MOS) and the nowcast/NWP blending of pySTEPS do the same with other weights; the point here is that the model and
 * the baseline make different errors, so a weighted mean beats both where neither is much better.
 *
 * <p>Interpolators have two layouts: {@code centred} (the evaluation's windows, as many frames after the gap as
 * before) and {@code end} (the service's windows, which end with the one frame after the gap).
 *
 * @param baseline {@code flow} or {@code linear}
 * @param weights  per key ({@link #leadKey}, {@link #gapKey}) one weight per channel
 * @param fit      how the weights were fitted (frames, windows, command), for the card's reader
 */
public record Blend(String baseline, Map<String, float[]> weights, Map<String, Object> fit) {

    public static final String FLOW = "flow";
    public static final String LINEAR = "linear";
    public static final String CENTRED = "centred";
    public static final String END = "end";

    public Blend {
        if (!FLOW.equals(baseline) && !LINEAR.equals(baseline)) {
            throw new IllegalArgumentException("a blend's baseline is flow or linear, got " + baseline);
        }
        weights = weights == null ? new TreeMap<>() : new TreeMap<>(weights);
        for (var e : weights.entrySet()) {
            for (float w : e.getValue()) {
                if (!(w >= 0 && w <= 1)) {
                    throw new IllegalArgumentException("blend weight for " + e.getKey() + " must lie in [0, 1], got " + w);
                }
            }
        }
        fit = fit == null ? new LinkedHashMap<>() : new LinkedHashMap<>(fit);
    }

    /** The key of a forecast lead of {@code k} time units (frames of the data's step). */
    public static String leadKey(int k) {
        return String.format(Locale.ROOT, "lead %d", k);
    }

    /** The key of the {@code j}-th (from 1) hidden frame of a gap of {@code k} frames, in a layout. */
    public static String gapKey(String layout, int k, int j) {
        return String.format(Locale.ROOT, "%s gap %d at %d", layout, k, j);
    }

    /**
     * The weights at a lead of {@code lead} time units: interpolated between the fitted whole leads, the first
     * fitted lead's below it and the last one's beyond it; null when no lead was fitted.
     */
    public float[] atLead(double lead) {
        int first = Integer.MAX_VALUE;
        int last = Integer.MIN_VALUE;
        for (int k = 1; k <= 10_000 && weights.containsKey(leadKey(k)); k++) {
            first = Math.min(first, k);
            last = k;
        }
        if (last < 1) {
            return null;
        }
        if (lead <= first) {
            return weights.get(leadKey(first)).clone();
        }
        if (lead >= last) {
            return weights.get(leadKey(last)).clone();
        }
        int below = (int) Math.floor(lead);
        double f = lead - below;
        float[] a = weights.get(leadKey(below));
        float[] b = weights.get(leadKey(below + 1));
        float[] out = new float[a.length];
        for (int c = 0; c < a.length; c++) {
            out[c] = (float) (a[c] + f * (b[c] - a[c]));
        }
        return out;
    }

    /** The weights of a gap position, or null when that gap size was not fitted (the model is then used alone). */
    public float[] atGap(String layout, int k, int j) {
        float[] w = weights.get(gapKey(layout, k, j));
        return w == null ? null : w.clone();
    }

    /**
     * {@code baseline + w_c * (model - baseline)} per cell of a channel-major frame; cells the baseline marks
     * invalid (or where it is not finite) keep the model's value.
     */
    public static float[] apply(float[] model, float[] baseline, boolean[] baselineValid, float[] w) {
        if (model.length != baseline.length || model.length % w.length != 0) {
            throw new IllegalArgumentException("blend of frames of " + model.length + " and " + baseline.length
                    + " values with " + w.length + " channel weights");
        }
        int cells = model.length / w.length;
        float[] out = new float[model.length];
        for (int i = 0; i < model.length; i++) {
            float b = baseline[i];
            boolean usable = (baselineValid == null || baselineValid[i]) && Float.isFinite(b);
            out[i] = usable ? (float) (b + w[i / cells] * ((double) model[i] - b)) : model[i];
        }
        return out;
    }
}
