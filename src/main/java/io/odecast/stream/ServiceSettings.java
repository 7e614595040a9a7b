package io.odecast.stream;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Every setting of the streaming service, read once from the {@code odecast} section of the configuration (see
 * {@code reference.conf} for what each key means).
 *
 * @param kafka       brokers, group and topics
 * @param decoder     micro-batching of model calls
 * @param delivery    delivery guarantee
 * @param snapshot    state snapshots and restore
 * @param parallelism frames in flight between the consumer and the producer (bounds memory and sets backpressure)
 * @param idleTimeout a stream not seen for this long (wall clock) has its state evicted
 * @param provisionalCheck how often streams with a cadence are checked for overdue ticks; zero disables
 *                    provisional frames
 * @param modelsDir   folder holding {@code <model name>/} checkpoints
 * @param streams     per-stream settings by stream id pattern
 */
public record ServiceSettings(KafkaSettings kafka, DecoderSettings decoder, DeliveryMode delivery,
                              SnapshotSettings snapshot, int parallelism, Duration idleTimeout,
                              Duration provisionalCheck, Path modelsDir, StreamRules streams) {

    /** Delivery guarantees; only at-least-once is implemented. */
    public enum DeliveryMode {
        /**
         * Offsets are committed after a frame's outputs are acknowledged (and, with snapshots, once the frame is
         * in an acknowledged snapshot of its stream); a restart may repeat outputs, never loses one.
         */
        AT_LEAST_ONCE;

        static DeliveryMode parse(String value) {
            if ("at-least-once".equals(value)) {
                return AT_LEAST_ONCE;
            }
            throw new IllegalArgumentException("odecast.delivery = \"" + value + "\" is not supported; use"
                    + " \"at-least-once\" (exactly-once with Kafka transactions is not implemented yet)");
        }
    }

    public ServiceSettings {
        if (provisionalCheck.isNegative()) {
            throw new IllegalArgumentException("odecast.provisional-check-every must not be negative (0s disables),"
                    + " got " + provisionalCheck);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("odecast.parallelism must be >= 1, got " + parallelism);
        }
    }

    /** Reads {@code config.getConfig("odecast")}; the configuration should include the reference defaults. */
    public static ServiceSettings fromConfig(Config config) {
        Config c = config.getConfig("odecast");
        return new ServiceSettings(KafkaSettings.fromConfig(c.getConfig("kafka")),
                DecoderSettings.fromConfig(c.getConfig("decoder")), DeliveryMode.parse(c.getString("delivery")),
                SnapshotSettings.fromConfig(c.getConfig("snapshot")), c.getInt("parallelism"), c.getDuration("idle-timeout"),
                c.getDuration("provisional-check-every"), Path.of(c.getString("models-dir")),
                StreamRules.fromConfig(c.getConfigList("streams"), c.getConfig("stream-defaults")));
    }

    /** A copy with other bootstrap servers. */
    public ServiceSettings withBootstrapServers(String servers) {
        return new ServiceSettings(kafka.withBootstrapServers(servers), decoder, delivery, snapshot, parallelism,
                idleTimeout, provisionalCheck, modelsDir, streams);
    }
}
