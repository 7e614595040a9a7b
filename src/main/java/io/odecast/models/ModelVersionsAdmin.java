package io.odecast.models;

import io.odecast.kafka.ProtoTime;
import io.odecast.proto.ModelVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code odecast models} does: list the versions on the models topic, publish a hand-trained checkpoint as a
 * new version, and roll a model back to an earlier version (its record appended again, so it is the latest).
 */
public final class ModelVersionsAdmin {
    private final ModelTopic topic;
    private final ModelStore store;
    private final long inlineMaxBytes;
    private final Clock clock;

    public ModelVersionsAdmin(ModelTopic topic, ModelVersionSettings settings, Clock clock) {
        this.topic = topic;
        this.store = new ModelStore(settings.store());
        this.inlineMaxBytes = settings.inlineMaxBytes();
        this.clock = clock;
    }

    /** One line per record on the topic, oldest first; the serving version of each name is marked. */
    public List<String> list() {
        List<ModelVersion> history = topic.history();
        Map<String, ModelVersion> latest = new java.util.LinkedHashMap<>();
        history.forEach(v -> latest.put(v.getName(), v));
        List<String> lines = new ArrayList<>();
        for (ModelVersion v : history) {
            lines.add(String.format("%-20s %-16s %s parent=%s %s %s%s", v.getName(), v.getVersion(),
                    ProtoTime.toInstant(v.getCreatedAt()), v.getParentVersion().isEmpty() ? "-" : v.getParentVersion(),
                    v.hasParametersPath() ? "path=" + v.getParametersPath()
                            : "inline=" + v.getParametersInline().size() + "B",
                    v.getMetricsMap().isEmpty() ? "" : "metrics=" + new java.util.TreeMap<>(v.getMetricsMap()),
                    latest.get(v.getName()) == v ? "  (serving)" : ""));
        }
        return lines;
    }

    /**
     * Publishes the checkpoint in {@code dir} as a version of model {@code name}.
     *
     * @param parent the version it was fine-tuned from, or empty (the card's {@code parent-version}, if any)
     * @return the published record
     * @throws IOException naming the folder when it is not a loadable checkpoint
     */
    public ModelVersion publish(Path dir, String name, String parent, Map<String, Double> metrics)
            throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a checkpoint folder (expected model.json and parameters.bin)");
        }
        ModelVersion v = ModelVersions.fromCheckpoint(dir, name, parent, metrics, store, inlineMaxBytes,
                clock.instant());
        topic.publish(v);
        return v;
    }

    /**
     * Makes {@code version} of {@code name} the serving one again.
     *
     * @throws IllegalArgumentException listing the known versions when the topic does not hold this one
     */
    public ModelVersion rollback(String name, String version) {
        List<ModelVersion> history = topic.history();
        Optional<ModelVersion> found = history.stream()
                .filter(v -> v.getName().equals(name) && v.getVersion().equals(version)).reduce((a, b) -> b);
        if (found.isEmpty()) {
            throw new IllegalArgumentException("model " + name + " has no version " + version + " on " + topic.topic()
                    + "; known versions: " + history.stream().filter(v -> v.getName().equals(name))
                    .map(ModelVersion::getVersion).distinct().toList()
                    + " (compaction keeps only the latest record per model: publish the checkpoint folder again)");
        }
        topic.publish(found.get());
        return found.get();
    }
}
