package io.odecast.stream;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;

/**
 * What the service does with one stream: which model, which forecast grid, and whether missing cadence ticks
 * are filled.
 *
 * @param model           model name, a folder under the models directory
 * @param fillModel       interpolator that fills missing cadence ticks; empty to fill with {@code model}
 * @param forecastStep    spacing of the forecast grid (multiples of it, aligned to the epoch)
 * @param forecastHorizon how far the grid reaches; {@link #leads()} = horizon / step grid times per forecast
 * @param cadence         the stream's expected spacing; when present, missing ticks are filled on the regular topic
 * @param maxWait         how long past its expected arrival a cadence tick waits before a provisional frame
 * @param allowedLateness how far behind the last frame a frame may be and still be reordered; only zero is supported
 * @param fillWindow      frames (including the new one) in the window an interpolator fills gaps from
 * @param maxFillTicks    the most ticks filled for one gap; a longer gap is reported and left unfilled
 * @param maxGap          a longer gap between two frames restarts the stream's state from the new frame (flagged
 *                        AFTER_GAP and WARMING_UP) instead of integrating across it; empty: only the decoder's
 *                        sub-step cap applies
 * @param warmUpFrames    forecasts from fewer absorbed frames than this are flagged WARMING_UP
 * @param priority        {@code high}: the engine runs and commits this stream's frames (with the records before them
 *                        in their partitions) ahead of the frames of normal streams waiting in its buffer
 * @param blend           whether forecasts and fills follow the blend in their model's card (optical flow and the
 *                        straight line mixed in by calibrated weights) or are the model's alone
 */
public record StreamSettings(String model, Optional<String> fillModel, Duration forecastStep, Duration forecastHorizon,
                             Optional<Duration> cadence, Duration maxWait, Duration allowedLateness, int fillWindow,
                             int maxFillTicks, Optional<Duration> maxGap, int warmUpFrames, Priority priority,
                             boolean blend) {

    /** How a stream's frames queue in the engine. */
    public enum Priority {
        /** In arrival order with every other stream, in chunks sized for throughput. */
        NORMAL,
        /** Ahead of normal streams' waiting frames, in a step of their own committed at once. */
        HIGH
    }


    public StreamSettings {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("stream settings need a model name");
        }
        if (forecastStep.isNegative() || forecastStep.isZero()) {
            throw new IllegalArgumentException("forecast.step must be positive, got " + forecastStep);
        }
        if (forecastHorizon.compareTo(forecastStep) < 0) {
            throw new IllegalArgumentException("forecast.horizon (" + forecastHorizon + ") must be at least"
                    + " forecast.step (" + forecastStep + ")");
        }
        if (cadence.isPresent() && (cadence.get().isNegative() || cadence.get().isZero())) {
            throw new IllegalArgumentException("cadence must be positive, got " + cadence.get());
        }
        if (!allowedLateness.isZero()) {
            throw new IllegalArgumentException("allowed-lateness " + allowedLateness + " is not supported yet: frames"
                    + " not after a stream's last one are dead-lettered as OUT_OF_ORDER; set allowed-lateness = 0s");
        }
        if (maxGap.isPresent() && (maxGap.get().isNegative() || maxGap.get().isZero())) {
            throw new IllegalArgumentException("max-gap must be positive, got " + maxGap.get());
        }
        if (warmUpFrames < 0) {
            throw new IllegalArgumentException("warm-up-frames must be >= 0, got " + warmUpFrames);
        }
        if (fillWindow < 2 || maxFillTicks < 1) {
            throw new IllegalArgumentException("fill-window must be >= 2 and max-fill-ticks >= 1, got " + fillWindow
                    + " and " + maxFillTicks);
        }
    }

    /** Number of grid times per forecast: horizon / step, rounded down. */
    public int leads() {
        return (int) forecastHorizon.dividedBy(forecastStep);
    }

    /** Reads one rule's settings; missing keys come from {@code defaults} ({@code odecast.stream-defaults}). */
    static StreamSettings fromConfig(Config rule, Config defaults) {
        Config c = rule.withFallback(defaults);
        Optional<Duration> cadence = c.hasPath("cadence") ? Optional.of(c.getDuration("cadence")) : Optional.empty();
        Optional<String> fillModel = c.hasPath("fill-model") ? Optional.of(c.getString("fill-model")) : Optional.empty();
        Optional<Duration> maxGap = c.hasPath("max-gap") ? Optional.of(c.getDuration("max-gap")) : Optional.empty();
        Priority priority;
        try {
            priority = Priority.valueOf(c.getString("priority").toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("priority must be normal or high, got \"" + c.getString("priority")
                    + "\"");
        }
        return new StreamSettings(c.getString("model"), fillModel, c.getDuration("forecast.step"),
                c.getDuration("forecast.horizon"), cadence, c.getDuration("max-wait"),
                c.getDuration("allowed-lateness"), c.getInt("fill-window"), c.getInt("max-fill-ticks"), maxGap,
                c.getInt("warm-up-frames"), priority, c.getBoolean("blend"));
    }
}
