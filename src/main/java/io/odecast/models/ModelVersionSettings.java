package io.odecast.models;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How model versions travel ({@code odecast.model-versions}).
 *
 * @param follow         whether a serving instance follows the models topic and swaps in new versions
 * @param store          folder, readable by every instance, holding parameter files too large to go inline
 * @param inlineMaxBytes parameter files up to this size go inside the {@code ModelVersion} record (never more than
 *                       the topic's {@code max-message-bytes} less room for the rest of the record)
 * @param pollTimeout    the longest one poll of the models topic waits
 */
public record ModelVersionSettings(boolean follow, Path store, long inlineMaxBytes, Duration pollTimeout) {

    /** Room left in a record for everything but the parameters (model.json, metrics, names). */
    static final int RECORD_OVERHEAD = 256 * 1024;

    public ModelVersionSettings {
        if (inlineMaxBytes < 0) {
            throw new IllegalArgumentException("odecast.model-versions.inline-max-bytes must not be negative");
        }
    }

    /**
     * Reads {@code odecast.model-versions} of a resolved configuration.
     *
     * @param maxMessageBytes the topics' {@code max.message.bytes}: inline parameters stay below it
     */
    public static ModelVersionSettings fromConfig(Config odecast, int maxMessageBytes) {
        Config c = odecast.getConfig("model-versions");
        long inline = Math.min(c.getMemorySize("inline-max-bytes").toBytes(),
                Math.max(0, (long) maxMessageBytes - RECORD_OVERHEAD));
        return new ModelVersionSettings(c.getBoolean("follow"), Path.of(c.getString("store")), inline,
                c.getDuration("poll-timeout"));
    }
}
