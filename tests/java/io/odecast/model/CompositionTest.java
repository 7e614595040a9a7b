package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The composition option: the reference's M W + (1 - M) D (default, also for old model.json) or W + (1 - M) D. */
class CompositionTest {

    @TempDir
    Path dir;

    @Test
    void residualWithZeroFlowAndZeroDifferenceReproducesTheAnchorFrameExactly() {
        ModelConfig residual = ModelFixtures.stormLike().withComposition(ModelConfig.RESIDUAL);
        assertTrue(residual.residual());
        float[][] residualFrames = renderWithSilentDecoder(residual);
        float[][] paperFrames = renderWithSilentDecoder(ModelFixtures.stormLike());
        float[] anchor = residualFrames[0];
        for (int k = 1; k < residualFrames.length; k++) {
            assertArrayEquals(anchor, residualFrames[k], 0f, "step " + k + " under the residual composition");
        }
        // The reference's composition gives M W = sigmoid(0) W = W / 2 there: the option really changes the output.
        for (int k = 1; k < paperFrames.length; k++) {
            for (int i = 0; i < anchor.length; i++) {
                assertEquals(paperFrames[0][i] * 0.5f, paperFrames[k][i], 1e-6f);
            }
        }
    }

    @Test
    void residualCompositionIsWarpedPlusUnmaskedDifference() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.randomUniform(0f, 1f, new Shape(2, 1, 4, 5));
            NDArray warped = m.randomNormal(new Shape(2, 3, 4, 5));
            NDArray difference = m.randomNormal(new Shape(2, 3, 4, 5));
            float[] residual = BackwardWarp.compose(mask, warped, difference, true).toFloatArray();
            float[] expected = warped.add(mask.neg().add(1f).mul(difference)).toFloatArray();
            assertArrayEquals(expected, residual, 1e-6f);
            float[] paper = BackwardWarp.compose(mask, warped, difference, false).toFloatArray();
            float[] expectedPaper = mask.mul(warped).add(mask.neg().add(1f).mul(difference)).toFloatArray();
            assertArrayEquals(expectedPaper, paper, 1e-6f);
            assertArrayEquals(BackwardWarp.compose(mask, warped, difference).toFloatArray(), paper, 0f);
        }
    }

    @Test
    void aModelJsonWithoutCompositionLoadsAsPaperAndGivesTheSameOutputAsBefore() throws IOException {
        ModelConfig config = ModelFixtures.stormLike();
        assertEquals(ModelConfig.PAPER, config.composition());
        List<Observation> frames = ModelFixtures.frames(config, 5, 0, 0.1, 0.2);
        float[][] before;
        Path folder = dir.resolve("old");
        try (VidOdeModel model = new VidOdeModel(new VidOdeNetwork(config, 11),
                ModelCard.untrained("old", ModelCard.EXTRAPOLATE, 3))) {
            before = model.forecast(List.of(ModelFixtures.run(model, frames)), new double[][] {{0.3, 0.4}}).get(0);
            model.save(folder);
        }
        // A model.json written before the option existed has no "composition" field.
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(folder.resolve(Checkpoint.METADATA).toFile());
        ((ObjectNode) root.get("architecture")).remove("composition");
        json.writeValue(folder.resolve(Checkpoint.METADATA).toFile(), root);
        assertFalse(Files.readString(folder.resolve(Checkpoint.METADATA)).contains("composition"));
        try (VidOdeModel loaded = VidOdeModel.load(folder)) {
            assertEquals(ModelConfig.PAPER, loaded.config().composition());
            assertFalse(loaded.config().residual());
            float[][] after = loaded.forecast(List.of(ModelFixtures.run(loaded, frames)), new double[][] {{0.3, 0.4}})
                    .get(0);
            for (int k = 0; k < before.length; k++) {
                assertArrayEquals(before[k], after[k], 0f);
            }
        }
    }

    @Test
    void theShippedPaperModelsStillReadAsPaper() throws IOException {
        for (String name : List.of("storm-forecast", "storm-interp", "vtest-interp")) {
            Path folder = Path.of("models", name);
            if (Files.isRegularFile(folder.resolve(Checkpoint.METADATA))
                    && !Files.readString(folder.resolve(Checkpoint.METADATA)).contains("\"composition\"")) {
                assertEquals(ModelConfig.PAPER, Checkpoint.readMetadata(folder).config().composition(), name);
            }
        }
    }

    @Test
    void aResidualModelKeepsItsCompositionThroughSaveAndLoad() throws IOException {
        ModelConfig config = ModelFixtures.stormLike().withComposition(ModelConfig.RESIDUAL);
        Path folder = dir.resolve("residual");
        try (VidOdeModel model = new VidOdeModel(new VidOdeNetwork(config, 12),
                ModelCard.untrained("residual", ModelCard.EXTRAPOLATE, 3))) {
            model.save(folder);
        }
        assertTrue(Files.readString(folder.resolve(Checkpoint.METADATA)).contains("\"composition\" : \"residual\""));
        assertEquals(ModelConfig.RESIDUAL, Checkpoint.readMetadata(folder).config().composition());
    }

    @Test
    void anUnknownCompositionIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFixtures.stormLike().withComposition("additive"));
        assertTrue(e.getMessage().contains("composition"), e.getMessage());
    }

    /** Renders 3 steps from a random anchor with G's output layer zeroed (flow 0, D 0, M 0.5); [0] is the anchor. */
    private static float[][] renderWithSilentDecoder(ModelConfig config) {
        try (VidOdeNetwork network = new VidOdeNetwork(config, 4);
             NDManager m = network.manager().newSubManager()) {
            network.silenceDecoderOutput();
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            try {
                int steps = 3;
                Shape latent = new Shape(2, config.latentChannels(), config.latentHeight(), config.latentWidth());
                NDArray anchor = m.randomNormal(new Shape(2, config.channels(), config.paddedHeight(),
                        config.paddedWidth()));
                List<NDArray> latents = new ArrayList<>();
                for (int k = 0; k < steps; k++) {
                    latents.add(m.randomNormal(latent));
                }
                List<NDArray> none = Collections.nCopies(steps, null);
                List<NDArray> anchors = new ArrayList<>(none);
                List<NDArray> anchorLatents = new ArrayList<>(none);
                anchors.set(0, anchor);
                anchorLatents.set(0, m.randomNormal(latent));
                VidOdeNetwork.Rendered r = network.render(latents, anchors, anchorLatents, none, false);
                float[][] out = new float[steps + 1][];
                out[0] = anchor.toFloatArray();
                for (int k = 0; k < steps; k++) {
                    out[k + 1] = r.frames().get(k).toFloatArray();
                }
                return out;
            } finally {
                JniUtils.setGradMode(grad);
            }
        }
    }
}
