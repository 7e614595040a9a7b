package io.odecast.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A calibrated blend of a model with the baselines an operator would otherwise use: {@code baseline + sum_m w_mc *
 * (member_m - baseline)} per channel c, a convex combination of the baseline and the members (every weight >= 0,
 * their sum per channel <= 1), with weights for each lead (forecasters: baseline {@code flow}, optical-flow
 * extrapolation of the last two frames; member the model) or each position in a gap (interpolators: baseline
 * {@code linear}, the straight line between the gap's neighbours; members the model and {@code flow}, flow
 * interpolation from both neighbours). The weights are fitted by least squares on the validation frames (never the
 * held-out ones). Model output statistics (MOS) and the nowcast/NWP blending of pySTEPS do the same with other
 * weights; the point is that the systems make different errors, so a weighted mean beats each where none is much
 * better. A member's weight says how much it earns: a model weight near 0 means the baselines do its work.
 *
 * <p>Interpolators have two layouts: {@code centred} (the evaluation's windows, as many frames after the gap as
 * before) and {@code end} (the service's windows, which end with the one frame after the gap).
 *
 * @param baseline {@code flow} or {@code linear}
 * @param members  what is blended into the baseline: {@code model}, then optionally {@code flow} (interpolators)
 * @param weights  per key ({@link #leadKey}, {@link #gapKey}) one weight per member and channel, member-major
 * @param fit      how the weights were fitted (frames, windows, command), for the card's reader
 */
public record Blend(String baseline, List<String> members, Map<String, float[]> weights, Map<String, Object> fit) {

    public static final String FLOW = "flow";
    public static final String LINEAR = "linear";
    public static final String MODEL = "model";
    public static final String CENTRED = "centred";
    public static final String END = "end";

    public Blend {
        if (!FLOW.equals(baseline) && !LINEAR.equals(baseline)) {
            throw new IllegalArgumentException("a blend's baseline is flow or linear, got " + baseline);
        }
        members = members == null || members.isEmpty() ? List.of(MODEL) : List.copyOf(members);
        if (!members.get(0).equals(MODEL) || members.size() > 2
                || (members.size() == 2 && (!FLOW.equals(members.get(1)) || FLOW.equals(baseline)))) {
            throw new IllegalArgumentException("a blend's members are [model] or, with the linear baseline,"
                    + " [model, flow]; got " + members);
        }
        weights = weights == null ? new TreeMap<>() : new TreeMap<>(weights);
        int m = members.size();
        for (var e : weights.entrySet()) {
            float[] w = e.getValue();
            if (w.length % m != 0) {
                throw new IllegalArgumentException("blend weights for " + e.getKey() + " need one per member "
                        + members + " and channel, got " + w.length);
            }
            int channels = w.length / m;
            for (int c = 0; c < channels; c++) {
                double sum = 0;
                for (int k = 0; k < m; k++) {
                    float x = w[k * channels + c];
                    if (!(x >= 0 && x <= 1)) {
                        throw new IllegalArgumentException("blend weight for " + e.getKey() + " must lie in [0, 1],"
                                + " got " + x);
                    }
                    sum += x;
                }
                if (sum > 1 + 1e-5) {
                    throw new IllegalArgumentException("blend weights for " + e.getKey() + " channel " + c
                            + " sum to " + sum + ", more than 1");
                }
            }
        }
        fit = fit == null ? new LinkedHashMap<>() : new LinkedHashMap<>(fit);
    }

    /** A blend of the model alone into a baseline. */
    public Blend(String baseline, Map<String, float[]> weights, Map<String, Object> fit) {
        this(baseline, List.of(MODEL), weights, fit);
    }

    /** Whether flow interpolation is a member. */
    public boolean blendsFlow() {
        return members.contains(FLOW) && !FLOW.equals(baseline);
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
     * The weights at a lead of {@code lead} time units: interpolated between the fitted whole leads 1, 2, ..., lead
     * 1's below it and the last one's beyond it; null when lead 1 was not fitted.
     */
    public float[] atLead(double lead) {
        int last = 0;
        while (weights.containsKey(leadKey(last + 1))) {
            last++;
        }
        if (last == 0) {
            return null;
        }
        if (lead <= 1 || lead >= last) {
            return weights.get(leadKey(lead <= 1 ? 1 : last)).clone();
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
        return apply(List.of(model), baseline, baselineValid, w);
    }

    /**
     * {@code baseline + sum_m w_mc * (member_m - baseline)} per cell of channel-major frames ({@code members} in the
     * blend's order, the model first; {@code w} member-major); cells where the baseline or a member other than the
     * model is invalid or not finite keep the model's value.
     */
    public static float[] apply(List<float[]> members, float[] baseline, boolean[] baselineValid, float[] w) {
        float[] model = members.get(0);
        int m = members.size();
        if (w.length % m != 0) {
            throw new IllegalArgumentException(w.length + " blend weights for " + m + " members");
        }
        int channels = w.length / m;
        for (float[] member : members) {
            if (member.length != baseline.length || member.length % channels != 0) {
                throw new IllegalArgumentException("blend of frames of " + member.length + " and " + baseline.length
                        + " values with " + channels + " channel weights");
            }
        }
        int cells = model.length / channels;
        float[] out = new float[model.length];
        for (int i = 0; i < model.length; i++) {
            float b = baseline[i];
            boolean usable = (baselineValid == null || baselineValid[i]) && Float.isFinite(b);
            for (int k = 1; k < m && usable; k++) {
                usable = Float.isFinite(members.get(k)[i]);
            }
            if (!usable) {
                out[i] = model[i];
                continue;
            }
            int c = i / cells;
            double v = b;
            for (int k = 0; k < m; k++) {
                v += w[k * channels + c] * ((double) members.get(k)[i] - b);
            }
            out[i] = (float) v;
        }
        return out;
    }
}
