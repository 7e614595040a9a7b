package io.odecast.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A checkpoint folder {@code models/<name>/}: {@code parameters.bin} (see {@link ParameterStore}) and
 * {@code model.json} with the architecture, the {@link ModelCard}, the hash of the weights ({@code weights}) and the
 * version ({@link ServingVersion}: weights, architecture and the serving part of the card).
 */
public final class Checkpoint {

    public static final String PARAMETERS = "parameters.bin";
    public static final String METADATA = "model.json";
    private static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoint() {
    }

    /** Writes the network's parameters and the metadata; returns the version written. */
    public static String save(Path dir, VidOdeNetwork network, ModelCard card) throws IOException {
        Files.createDirectories(dir);
        network.parameters().save(dir.resolve(PARAMETERS));
        String weights = network.parameters().version();
        String version = ServingVersion.of(weights, network.config(), card);
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", version);
        root.put("weights", weights);
        root.set("architecture", JSON.valueToTree(network.config()));
        root.set("card", JSON.valueToTree(card));
        JSON.writeValue(dir.resolve(METADATA).toFile(), root);
        return version;
    }

    /**
     * Rewrites {@code model.json} with a new card (e.g. evaluation results or a blend), keeping the architecture;
     * returns the version, which changes when the card's serving part does ({@link ServingVersion}).
     */
    public static String writeCard(Path dir, ModelCard card) throws IOException {
        Path file = dir.resolve(METADATA);
        ObjectNode root = (ObjectNode) readRoot(file, dir);
        Metadata meta = metadata(file, root);
        String weights = meta.weights();
        if (weights == null) {
            // Written before model.json named its weights' hash: computed from the parameters once.
            try (Loaded loaded = load(dir)) {
                weights = loaded.network().parameters().version();
            }
        }
        String version = ServingVersion.of(weights, meta.config(), card);
        root.put("version", version);
        root.put("weights", weights);
        root.set("card", JSON.valueToTree(card));
        JSON.writeValue(file.toFile(), root);
        return version;
    }

    /** Reads {@code model.json} only. */
    public static Metadata readMetadata(Path dir) throws IOException {
        Path file = dir.resolve(METADATA);
        return metadata(file, readRoot(file, dir));
    }

    private static JsonNode readRoot(Path file, Path dir) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IOException(file + ": no model.json here; is " + dir + " a model folder?", e);
        }
        if (!(root instanceof ObjectNode) || !root.has("architecture") || !root.has("card")) {
            throw new IOException(file + ": expected fields 'architecture' and 'card'");
        }
        return root;
    }

    private static Metadata metadata(Path file, JsonNode root) throws IOException {
        try {
            ModelConfig config = JSON.treeToValue(root.get("architecture"), ModelConfig.class);
            ModelCard card = JSON.treeToValue(root.get("card"), ModelCard.class);
            return new Metadata(config, card, root.path("version").asText(null), root.path("weights").asText(null));
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Builds the network of {@code model.json} and loads its parameters. The parameter file must match the
     * architecture exactly; the error names the parameter that does not.
     */
    public static Loaded load(Path dir) throws IOException {
        Metadata meta = readMetadata(dir);
        VidOdeNetwork network = new VidOdeNetwork(meta.config(), 0);
        try {
            network.parameters().load(dir.resolve(PARAMETERS));
        } catch (IOException | RuntimeException e) {
            network.close();
            throw e;
        }
        return new Loaded(network, meta.card(),
                ServingVersion.of(network.parameters().version(), meta.config(), meta.card()));
    }

    /**
     * The contents of {@code model.json}: {@code version} and {@code weights} as written (either may be null in a
     * file written by hand; {@code weights} in one written before it was recorded).
     */
    public record Metadata(ModelConfig config, ModelCard card, String version, String weights) {
    }

    /** A loaded network (caller closes it), its card and the version computed from the loaded weights and card. */
    public record Loaded(VidOdeNetwork network, ModelCard card, String version) implements AutoCloseable {
        @Override
        public void close() {
            network.close();
        }
    }
}
