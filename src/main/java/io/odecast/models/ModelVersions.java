package io.odecast.models;

import com.google.protobuf.ByteString;
import io.odecast.kafka.ProtoTime;
import io.odecast.model.Checkpoint;
import io.odecast.model.ModelCard;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.ModelVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint folder as a {@code ModelVersion} record and back. The version is the hash of the weights and the
 * card's serving part ({@link io.odecast.model.ServingVersion}; the {@code model_version} of every forecast); the parameters go inline when they are at most
 * {@code inlineMaxBytes}, else into the {@link ModelStore} and the record carries their path. Unpacking a record
 * recomputes the hash from the weights it loads, so a corrupt or tampered version never loads under its name.
 */
public final class ModelVersions {
    /** Card key ({@code training}) under which a fine-tuned checkpoint names the version it started from. */
    public static final String PARENT_KEY = "parent-version";

    private ModelVersions() {
    }

    /**
     * The record of the checkpoint in {@code dir} for model {@code name}.
     *
     * @param parent  the version it was fine-tuned from; empty to take the card's {@value #PARENT_KEY}, if any
     * @param metrics metrics to record besides the card's numeric evaluation results
     * @throws IOException naming the folder when it is not a loadable checkpoint
     */
    public static ModelVersion fromCheckpoint(Path dir, String name, String parent, Map<String, Double> metrics,
                                              ModelStore store, long inlineMaxBytes, Instant now)
            throws IOException {
        String version;
        ModelCard card;
        try (VidOdeModel model = VidOdeModel.load(dir)) {
            version = model.version();
            card = model.card();
        }
        Path parameters = dir.resolve(Checkpoint.PARAMETERS);
        ModelVersion.Builder b = ModelVersion.newBuilder()
                .setName(name)
                .setVersion(version)
                .setCreatedAt(ProtoTime.toTimestamp(now))
                .setModelJson(Files.readString(dir.resolve(Checkpoint.METADATA)))
                .setParentVersion(parent.isEmpty() ? String.valueOf(card.training().getOrDefault(PARENT_KEY, ""))
                        : parent)
                .putAllMetrics(numbers(card.evaluation()))
                .putAllMetrics(metrics);
        if (Files.size(parameters) <= inlineMaxBytes) {
            b.setParametersInline(ByteString.copyFrom(Files.readAllBytes(parameters)));
        } else {
            b.setParametersPath(store.put(name, version, dir).toAbsolutePath().toString());
        }
        return b.build();
    }

    /**
     * Unpacks a version into {@code workDir/<name>/<version>/} and loads it.
     *
     * @throws IOException naming the model and version when its parameters are missing, do not fit its
     *                     architecture, or (with the card) hash to another version than the record says
     */
    public static VidOdeModel load(ModelVersion v, Path workDir) throws IOException {
        String what = "version " + v.getVersion() + " of model " + v.getName();
        if (v.getName().isEmpty() || v.getVersion().isEmpty() || v.getModelJson().isEmpty()) {
            throw new IOException(what + ": the record lacks a name, version or model_json");
        }
        Path dir = workDir.resolve(safe(v.getName())).resolve(safe(v.getVersion()));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Checkpoint.METADATA), v.getModelJson());
        Path parameters = dir.resolve(Checkpoint.PARAMETERS);
        switch (v.getParametersCase()) {
            case PARAMETERS_INLINE -> Files.write(parameters, v.getParametersInline().toByteArray());
            case PARAMETERS_PATH -> {
                Path source = Path.of(v.getParametersPath());
                if (!Files.isRegularFile(source)) {
                    throw new Unavailable(what + ": parameter file " + source + " does not exist or is not"
                            + " readable here (is odecast.model-versions.store shared by every instance?)");
                }
                Files.copy(source, parameters, StandardCopyOption.REPLACE_EXISTING);
            }
            default -> throw new IOException(what + ": the record carries no parameters");
        }
        VidOdeModel model;
        try {
            model = VidOdeModel.load(dir);
        } catch (IOException | RuntimeException e) {
            throw new IOException(what + ": cannot load: " + e.getMessage(), e);
        }
        if (!model.version().equals(v.getVersion())) {
            model.close();
            throw new IOException(what + ": its parameters and card hash to " + model.version()
                    + "; the record is corrupt or was altered, refusing it");
        }
        return model;
    }

    /** The numeric top-level entries of a card section (evaluation results) as metrics. */
    static Map<String, Double> numbers(Map<String, Object> section) {
        Map<String, Double> out = new LinkedHashMap<>();
        section.forEach((k, value) -> {
            if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
                out.put(k, n.doubleValue());
            }
        });
        return out;
    }

    /** A name usable as one folder name (never "." or "..", which would name this folder or the one above). */
    static String safe(String name) {
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.equals(".") || safe.equals("..") ? safe.replace('.', '_') : safe;
    }

    /** A version whose files are not readable here (yet): loading it again later may succeed. */
    public static final class Unavailable extends IOException {
        Unavailable(String message) {
            super(message);
        }
    }
}
