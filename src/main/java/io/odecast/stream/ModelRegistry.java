package io.odecast.stream;

import io.odecast.model.VidOdeModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models streams use, by name: injected ones, or checkpoints loaded from {@code <models-dir>/<name>/} on
 * first use and kept, unless a version from the models topic replaced them. Closing the registry closes the models
 * it loaded or was handed as versions, not the injected ones. A replaced model stays open until then: streams that
 * have not seen a frame since the swap still use it (a run holds one per version it served).
 */
final class ModelRegistry implements AutoCloseable {
    private final Path modelsDir;
    private final Map<String, VidOdeModel> injected;
    private final Map<String, VidOdeModel> loaded = new ConcurrentHashMap<>();
    private final Map<String, VidOdeModel> replaced = new ConcurrentHashMap<>();
    private final Map<String, VidOdeModel> versions = new ConcurrentHashMap<>();

    ModelRegistry(Path modelsDir, Map<String, VidOdeModel> injected) {
        this.modelsDir = modelsDir;
        this.injected = Map.copyOf(injected);
    }

    /**
     * The model called {@code name}.
     *
     * @throws UncheckedIOException when it is not injected and its checkpoint cannot be read
     */
    VidOdeModel get(String name) {
        VidOdeModel model = replaced.getOrDefault(name, injected.get(name));
        if (model != null) {
            return model;
        }
        return loaded.computeIfAbsent(name, this::load);
    }

    /** Makes {@code model} the one called {@code name}. */
    void replace(String name, VidOdeModel model) {
        replaced.put(name, model);
    }

    /** A version of {@code name} this registry already holds (a rollback reuses the very model it served). */
    VidOdeModel version(String name, String version) {
        for (VidOdeModel m : new VidOdeModel[] {injected.get(name), loaded.get(name)}) {
            if (m != null && m.version().equals(version)) {
                return m;
            }
        }
        return versions.get(name + "@" + version);
    }

    /** Keeps a model read from the models topic, to close with the registry. */
    void adopt(String name, VidOdeModel model) {
        versions.put(name + "@" + model.version(), model);
    }

    private VidOdeModel load(String name) {
        Path dir = modelsDir.resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new UncheckedIOException(new IOException("model " + name + " not found: expected a checkpoint"
                    + " folder " + dir.toAbsolutePath() + " (set odecast.models-dir or the stream's model)"));
        }
        try {
            return VidOdeModel.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load model " + name + " from " + dir.toAbsolutePath() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        loaded.values().forEach(VidOdeModel::close);
        loaded.clear();
        versions.values().forEach(VidOdeModel::close);
        versions.clear();
    }
}
