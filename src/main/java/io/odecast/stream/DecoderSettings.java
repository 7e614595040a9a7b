package io.odecast.stream;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Model calls in the {@link DecoderActor}.
 *
 * @param maxBatch    the most requests run as one model call
 * @param askTimeout  how long the engine waits for one batch's results; a batch that takes longer fails the engine,
 *                    which restarts from its last commit (a frame is never dead-lettered for slowness)
 * @param maxSubsteps the most encoder solver sub-steps one arrival may cost; a longer gap restarts the stream's
 *                    state from the new frame instead (bounded work per frame, whatever its time stamp)
 */
public record DecoderSettings(int maxBatch, Duration askTimeout, long maxSubsteps) {

    public DecoderSettings {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("decoder.max-batch must be >= 1, got " + maxBatch);
        }
        if (askTimeout.isNegative() || askTimeout.isZero()) {
            throw new IllegalArgumentException("decoder.ask-timeout must be positive, got " + askTimeout);
        }
        if (maxSubsteps < 1) {
            throw new IllegalArgumentException("decoder.max-substeps must be >= 1, got " + maxSubsteps);
        }
    }

    static DecoderSettings fromConfig(Config c) {
        return new DecoderSettings(c.getInt("max-batch"), c.getDuration("ask-timeout"), c.getLong("max-substeps"));
    }
}
