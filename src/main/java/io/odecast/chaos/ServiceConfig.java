package io.odecast.chaos;

import com.typesafe.config.ConfigUtil;
import io.odecast.kafka.TopicNames;
import java.nio.file.Path;

/**
 * The HOCON file the harness gives {@code odecast serve}: topics under a prefix unique to the run, the storm
 * model, forecasts every 6 h to +24 h for {@code storm/*} without a cadence (so forecasts are the only output
 * besides snapshots and dead letters), snapshots every 10 frames, the delivery mode and a stable instance id.
 * Keys the running core does not know are ignored by it.
 */
public final class ServiceConfig {
    /** The one instance of a run; the same across its restarts. */
    public static final String INSTANCE_ID = "chaos-1";
    /** The model the streams use. */
    public static final String MODEL = "storm-forecast";

    private ServiceConfig() {
    }

    /** The consumer group of the services of the run with topic prefix {@code prefix}. */
    public static String groupId(String prefix) {
        return prefix + ".group";
    }

    /** The topic names under {@code prefix}: {@code prefix.frames}, {@code prefix.forecasts}, ... */
    public static TopicNames topics(String prefix) {
        return new TopicNames(prefix + ".frames", prefix + ".forecasts", prefix + ".regular", prefix + ".state",
                prefix + ".models", prefix + ".dlq");
    }

    /**
     * The configuration text.
     *
     * @param bootstrap    brokers
     * @param prefix       topic prefix (also names the consumer group)
     * @param modelsDir    folder of the model checkpoints (written as an absolute path)
     * @param delivery     {@code odecast.delivery}
     * @param partitions   partitions of the topics
     * @param snapshotEvery {@code odecast.snapshot.every-frames}
     */
    public static String hocon(String bootstrap, String prefix, Path modelsDir, Delivery delivery, int partitions,
                               int snapshotEvery) {
        return hocon(bootstrap, prefix, modelsDir, delivery, partitions, snapshotEvery, 0);
    }

    /**
     * {@link #hocon(String, String, Path, Delivery, int, int)} with the first {@code priorityStreams} streams
     * ({@link ChaosStreams#streamId}) of priority = high on the last partition, served by the priority lane.
     */
    public static String hocon(String bootstrap, String prefix, Path modelsDir, Delivery delivery, int partitions,
                               int snapshotEvery, int priorityStreams) {
        String base = hoconOf(bootstrap, prefix, modelsDir, delivery, partitions, snapshotEvery);
        if (priorityStreams <= 0) {
            return base;
        }
        return base + """
                # The first %d streams are high-priority, on the reserved last partition (their lane).
                odecast.kafka.priority-partitions = 1
                odecast.streams = [
                  { pattern = %s, model = %s, priority = high, forecast { step = 6h, horizon = 24h } }
                  { pattern = "storm/*", model = %s, forecast { step = 6h, horizon = 24h } }
                ]
                """.formatted(priorityStreams, q(priorityPattern(priorityStreams)), q(MODEL), q(MODEL));
    }

    /** The stream-rule pattern of the first {@code n} streams. */
    public static String priorityPattern(int n) {
        StringBuilder regex = new StringBuilder("regex:");
        for (int k = 0; k < n; k++) {
            regex.append(k == 0 ? "" : "|").append(java.util.regex.Pattern.quote(ChaosStreams.streamId(k)));
        }
        return regex.toString();
    }

    private static String hoconOf(String bootstrap, String prefix, Path modelsDir, Delivery delivery, int partitions,
                                  int snapshotEvery) {
        TopicNames t = topics(prefix);
        return """
                # Written by odecast chaos; one run, one topic prefix.
                odecast {
                  kafka {
                    bootstrap-servers = %s
                    group-id = %s
                    partitions = %d
                    topics {
                      frames = %s
                      forecasts = %s
                      regular-frames = %s
                      state = %s
                      models = %s
                      dead-letters = %s
                    }
                  }
                  models-dir = %s
                  delivery = %s
                  instance-id = %s
                  snapshot { every-frames = %d }
                  # Several instances share one machine: the operations server on any free port, no live page.
                  http { port = 0, live-page.enabled = false }
                  streams = [
                    { pattern = "storm/*", model = %s, forecast { step = 6h, horizon = 24h } }
                  ]
                }
                """.formatted(q(bootstrap), q(groupId(prefix)), partitions, q(t.frames()), q(t.forecasts()),
                q(t.regularFrames()), q(t.state()), q(t.models()), q(t.deadLetters()),
                q(modelsDir.toAbsolutePath().normalize().toString()), q(delivery.configValue()), q(INSTANCE_ID),
                snapshotEvery, q(MODEL));
    }

    private static String q(String s) {
        return ConfigUtil.quoteString(s);
    }
}
