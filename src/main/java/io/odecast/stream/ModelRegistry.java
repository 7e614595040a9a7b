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
 * first use and kept. Closing the registry closes the models it loaded, not the injected ones.
 */
final class ModelRegistry implements AutoCloseable {
    private final Path modelsDir;
    private final Map<String, VidOdeModel> injected;
    private final Map<String, VidOdeModel> loaded = new ConcurrentHashMap<>();

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
        VidOdeModel model = injected.get(name);
        if (model != null) {
            return model;
        }
        return loaded.computeIfAbsent(name, this::load);
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
    }
}
