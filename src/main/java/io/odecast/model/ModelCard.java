package io.odecast.model;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a checkpoint says about its model besides the weights ({@code model.json}): task, channel names,
 * per-channel normalisation, fill value, time unit and scale, and free-form training and evaluation records.
 *
 * @param name       checkpoint name (the folder name under {@code models/})
 * @param task       {@code extrapolate} (forecaster) or {@code interpolate} (gap filler)
 * @param channels   channel names in data order, e.g. [u, v, p]
 * @param mean       per-channel mean subtracted before the model (physical units)
 * @param std        per-channel standard deviation divided by before the model
 * @param fillValue  value written for invalid cells in outputs, or null for NaN
 * @param timeUnit   the data's time unit, e.g. PT6H or PT0.1S
 * @param timeScale  model time per time unit (e.g. 0.1: ten steps make one unit of model time)
 * @param training   how the model was trained (command, data, split, steps, losses)
 * @param evaluation evaluation results on held-out data
 * @param units      physical unit per channel of the data it was trained on (e.g. "m s-1", "hPa"), or empty when
 *                   unknown; frames that name other units are refused
 * @param blend      weights that blend the model's outputs with a baseline (fitted on validation frames by
 *                   {@code odecast evaluate --calibrate}), or null for the model alone
 */
public record ModelCard(String name, String task, List<String> channels, float[] mean, float[] std, Double fillValue,
                        String timeUnit, double timeScale, Map<String, Object> training,
                        Map<String, Object> evaluation, List<String> units, Blend blend) {

    public static final String EXTRAPOLATE = "extrapolate";
    public static final String INTERPOLATE = "interpolate";

    public ModelCard {
        if (!EXTRAPOLATE.equals(task) && !INTERPOLATE.equals(task)) {
            throw new IllegalArgumentException("task must be extrapolate or interpolate, got " + task);
        }
        if (mean.length != channels.size() || std.length != channels.size()) {
            throw new IllegalArgumentException("normalisation needs one mean and one std per channel "
                    + channels + ", got " + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("normalisation std must be positive, got " + s);
            }
        }
        Duration.parse(timeUnit);
        if (!(timeScale > 0)) {
            throw new IllegalArgumentException("timeScale must be positive, got " + timeScale);
        }
        training = training == null ? new LinkedHashMap<>() : new LinkedHashMap<>(training);
        evaluation = evaluation == null ? new LinkedHashMap<>() : new LinkedHashMap<>(evaluation);
        units = units == null ? List.of() : units.stream().map(u -> u == null ? "" : u).toList();
        if (!units.isEmpty() && units.size() != channels.size()) {
            throw new IllegalArgumentException("units must be empty or one per channel " + channels + ", got " + units);
        }
        if (blend != null) {
            for (var e : blend.weights().entrySet()) {
                if (e.getValue().length != channels.size() * blend.members().size()) {
                    throw new IllegalArgumentException("blend weights for " + e.getKey() + " need one per member "
                            + blend.members() + " and channel " + channels + ", got " + e.getValue().length);
                }
            }
        }
    }

    /** A card without a blend. */
    public ModelCard(String name, String task, List<String> channels, float[] mean, float[] std, Double fillValue,
                     String timeUnit, double timeScale, Map<String, Object> training,
                     Map<String, Object> evaluation, List<String> units) {
        this(name, task, channels, mean, std, fillValue, timeUnit, timeScale, training, evaluation, units, null);
    }

    /** A card without units. */
    public ModelCard(String name, String task, List<String> channels, float[] mean, float[] std, Double fillValue,
                     String timeUnit, double timeScale, Map<String, Object> training, Map<String, Object> evaluation) {
        this(name, task, channels, mean, std, fillValue, timeUnit, timeScale, training, evaluation, List.of(), null);
    }

    /** Whether the card knows the unit of channel {@code c}. */
    public boolean knowsUnit(int c) {
        return !units.isEmpty() && !units.get(c).isBlank();
    }

    /** An identity-normalised card for channels named c0.., unit 1 s and scale 1 (tests, untrained models). */
    public static ModelCard untrained(String name, String task, int channels) {
        List<String> names = new java.util.ArrayList<>();
        float[] mean = new float[channels];
        float[] std = new float[channels];
        for (int c = 0; c < channels; c++) {
            names.add("c" + c);
            std[c] = 1f;
        }
        return new ModelCard(name, task, names, mean, std, null, "PT1S", 1.0, null, null);
    }

    /** Model time of an instant: seconds since the epoch in time units, times the scale. */
    public double modelTime(Instant t) {
        double seconds = t.getEpochSecond() + t.getNano() * 1e-9;
        return seconds / unitSeconds() * timeScale;
    }

    /** The model-time length of a duration. */
    public double modelDuration(Duration d) {
        return (d.getSeconds() + d.getNano() * 1e-9) / unitSeconds() * timeScale;
    }

    public double unitSeconds() {
        Duration unit = Duration.parse(timeUnit);
        return unit.getSeconds() + unit.getNano() * 1e-9;
    }

    public ModelCard withEvaluation(Map<String, Object> results) {
        return new ModelCard(name, task, channels, mean, std, fillValue, timeUnit, timeScale, training, results, units,
                blend);
    }

    public ModelCard withTraining(Map<String, Object> record) {
        return new ModelCard(name, task, channels, mean, std, fillValue, timeUnit, timeScale, record, evaluation,
                units, blend);
    }

    /** This card with a blend (null: the model alone). */
    public ModelCard withBlend(Blend b) {
        return new ModelCard(name, task, channels, mean, std, fillValue, timeUnit, timeScale, training, evaluation,
                units, b);
    }
}
