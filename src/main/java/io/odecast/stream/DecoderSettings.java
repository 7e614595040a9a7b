package io.odecast.stream;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Micro-batching of model calls in the {@link DecoderActor}.
 *
 * @param maxBatch   the most requests of one kind run as one model call
 * @param maxWait    how long the first pending request waits for others before the batch runs
 * @param askTimeout how long a stream waits for the decoder's reply before its frame is dead-lettered
 */
public record DecoderSettings(int maxBatch, Duration maxWait, Duration askTimeout) {

    public DecoderSettings {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("decoder.max-batch must be >= 1, got " + maxBatch);
        }
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("decoder.max-wait must not be negative, got " + maxWait);
        }
    }

    static DecoderSettings fromConfig(Config c) {
        return new DecoderSettings(c.getInt("max-batch"), c.getDuration("max-wait"), c.getDuration("ask-timeout"));
    }
}
