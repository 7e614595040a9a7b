package io.odecast.kafka;

import java.util.List;
import java.util.Objects;

/**
 * The Kafka topics odecast reads and writes.
 *
 * @param frames        observed frames, input (key = stream id)
 * @param forecasts     forecasts, output (key = stream id)
 * @param regularFrames regular-cadence frames, observed passed through and missing ticks filled (key = stream id)
 * @param state         per-stream state snapshots, compacted (key = stream id)
 * @param models        model versions, compacted (key = model name)
 * @param deadLetters   rejected input records with the reason
 */
public record TopicNames(String frames, String forecasts, String regularFrames, String state, String models,
                         String deadLetters) {

    public TopicNames {
        Objects.requireNonNull(frames, "frames");
        Objects.requireNonNull(forecasts, "forecasts");
        Objects.requireNonNull(regularFrames, "regularFrames");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(models, "models");
        Objects.requireNonNull(deadLetters, "deadLetters");
        if (List.of(frames, forecasts, regularFrames, state, models, deadLetters).stream().distinct().count() != 6) {
            throw new IllegalArgumentException("odecast topic names must be distinct, got " + List.of(frames,
                    forecasts, regularFrames, state, models, deadLetters));
        }
    }

    /** {@code odecast.frames}, {@code odecast.forecasts}, {@code odecast.frames.regular}, {@code odecast.state}, {@code odecast.models}, {@code odecast.dlq}. */
    public static TopicNames defaults() {
        return new TopicNames("odecast.frames", "odecast.forecasts", "odecast.frames.regular", "odecast.state",
                "odecast.models", "odecast.dlq");
    }

    /** Every topic, in declaration order. */
    public List<String> all() {
        return List.of(frames, forecasts, regularFrames, state, models, deadLetters);
    }

    /** Topics keeping only the latest record per key. */
    public List<String> compacted() {
        return List.of(state, models);
    }
}
