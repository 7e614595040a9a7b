package io.odecast.stream;

import io.odecast.data.GridShape;
import io.odecast.eval.Baselines;
import io.odecast.eval.FlowBaselines;
import io.odecast.model.Blend;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.VidOdeModel;
import java.util.List;

/**
 * Applies a model card's {@link Blend} to what the service emits: a forecaster's leads blended with optical-flow
 * extrapolation of the previous and the new frame, a gap filler's frames with the straight line between the gap's
 * neighbours and (when a member) flow interpolation between them ({@link Blend#END} layout: the window ends with the
 * frame after the gap). A card without a blend, a
 * stream without a previous frame, or a gap size the weights do not cover gives the model's frames unchanged.
 * The chaos harness computes its expected forecasts through the same method.
 */
public final class Blending {

    private Blending() {
    }

    /**
     * The forecast at {@code times} (model time of the card) blended with flow extrapolation from {@code previous}
     * to {@code last}; {@code forecast} itself when the card has no flow blend or {@code previous} is null.
     */
    public static float[][] forecast(VidOdeModel model, Observation previous, Observation last, double[] times,
                                     float[][] forecast) {
        return forecast(model, last, times, forecast, forecastFlows(model, previous, last, times));
    }

    /**
     * The flow extrapolations a forecast's blend needs, one per time, from the frames alone (the service computes
     * them while the model runs); null when the card has no flow blend or {@code previous} is null or not before
     * {@code last}.
     */
    public static List<Observation> forecastFlows(VidOdeModel model, Observation previous, Observation last,
                                                  double[] times) {
        Blend blend = model.card().blend();
        if (blend == null || !Blend.FLOW.equals(blend.baseline()) || previous == null
                || !(previous.time() < last.time()) || times.length == 0) {
            return null;
        }
        return new FlowBaselines(shape(model)).extrapolate(previous, last, times);
    }

    /** The forecast blended with {@link #forecastFlows}' frames ({@code forecast} itself when they are null). */
    public static float[][] forecast(VidOdeModel model, Observation last, double[] times, float[][] forecast,
                                     List<Observation> flows) {
        if (flows == null) {
            return forecast;
        }
        ModelCard card = model.card();
        Blend blend = card.blend();
        float[][] out = new float[forecast.length][];
        for (int k = 0; k < forecast.length; k++) {
            float[] w = blend.atLead((times[k] - last.time()) / card.timeScale());
            if (w == null || forecast[k] == null) {
                out[k] = forecast[k];
                continue;
            }
            Observation flow = flows.get(k);
            out[k] = Blend.apply(forecast[k], flow.data(), flow.valid(), w);
        }
        return out;
    }

    /**
     * The flow interpolations a gap's blend needs, one per time, from the frames alone (computed while the model
     * runs); null when flow interpolation is not a member of the card's blend.
     */
    public static List<Observation> fillFlows(VidOdeModel filler, List<Observation> window, double[] times) {
        Blend blend = filler.card().blend();
        if (blend == null || !Blend.LINEAR.equals(blend.baseline()) || !blend.blendsFlow() || window.size() < 2) {
            return null;
        }
        return new FlowBaselines(shape(filler)).interpolate(window.get(window.size() - 2),
                window.get(window.size() - 1), times);
    }

    /**
     * A gap's frames from an interpolator blended with the straight line between the window's last two frames
     * (the frames either side of the gap) and {@link #fillFlows}' frames (null: flow is not a member); {@code fill}
     * itself when the card has no linear blend.
     */
    public static float[][] fill(VidOdeModel filler, List<Observation> window, double[] times, float[][] fill,
                                 List<Observation> flows) {
        Blend blend = filler.card().blend();
        if (blend == null || !Blend.LINEAR.equals(blend.baseline()) || window.size() < 2) {
            return fill;
        }
        Observation before = window.get(window.size() - 2);
        Observation after = window.get(window.size() - 1);
        float[][] out = new float[fill.length][];
        for (int j = 0; j < fill.length; j++) {
            float[] w = blend.atGap(Blend.END, fill.length, j + 1);
            if (w == null || fill[j] == null || times[j] < before.time() || times[j] > after.time()) {
                out[j] = fill[j];
                continue;
            }
            Observation line = Baselines.linearInterpolation(before, after, times[j]);
            List<float[]> members = flows == null ? List.of(fill[j])
                    : List.of(fill[j], flows.get(j).data());
            out[j] = Blend.apply(members, line.data(), line.valid(), w);
        }
        return out;
    }

    private static GridShape shape(VidOdeModel model) {
        ModelConfig c = model.config();
        return new GridShape(c.channels(), c.height(), c.width());
    }
}
