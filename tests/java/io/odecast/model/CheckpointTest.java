package io.odecast.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {

    @TempDir
    Path dir;

    @Test
    void saveThenLoadGivesIdenticalOutputs() throws IOException {
        ModelConfig config = ModelFixtures.stormLike();
        List<Observation> frames = ModelFixtures.frames(config, 3, 0, 0.1, 0.3);
        ModelCard card = new ModelCard("storm-test", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
                new float[] {1, -2, 1000}, new float[] {5, 6, 10}, -9999.0, "PT6H", 0.1, null, null);
        float[][] before;
        String version;
        try (VidOdeModel model = new VidOdeModel(new VidOdeNetwork(config, 21), card)) {
            before = model.forecast(List.of(ModelFixtures.run(model, frames)), new double[][] {{0.4, 0.5}}).get(0);
            version = model.save(dir.resolve("storm-test"));
            assertEquals(model.version(), version);
        }
        try (VidOdeModel loaded = VidOdeModel.load(dir.resolve("storm-test"))) {
            assertEquals(version, loaded.version());
            assertEquals(card.channels(), loaded.card().channels());
            assertEquals(-9999.0, loaded.card().fillValue());
            assertEquals("PT6H", loaded.card().timeUnit());
            float[][] after = loaded.forecast(List.of(ModelFixtures.run(loaded, frames)), new double[][] {{0.4, 0.5}}).get(0);
            for (int k = 0; k < before.length; k++) {
                assertArrayEquals(before[k], after[k], 0f);
            }
        }
        String json = Files.readString(dir.resolve("storm-test/model.json"));
        assertTrue(json.contains("\"version\" : \"" + version + "\""), json);
    }

    @Test
    void differentWeightsHaveDifferentVersions() {
        try (VidOdeNetwork a = new VidOdeNetwork(ModelFixtures.stormLike(), 1);
             VidOdeNetwork b = new VidOdeNetwork(ModelFixtures.stormLike(), 2)) {
            assertNotEquals(a.parameters().version(), b.parameters().version());
        }
    }

    @Test
    void theVersionFollowsWhatIsServedNotTheRecordsAroundIt() throws IOException {
        ModelConfig config = ModelFixtures.stormLike();
        ModelCard card = new ModelCard("storm-test", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
                new float[] {1, -2, 1000}, new float[] {5, 6, 10}, -9999.0, "PT6H", 0.1, null, null);
        Path model = dir.resolve("versions");
        String saved;
        try (VidOdeModel m = new VidOdeModel(new VidOdeNetwork(config, 21), card)) {
            saved = m.save(model);
        }
        // evaluation and training records, and a blend's fit record, leave the version as it is
        ModelCard evaluated = card.withEvaluation(java.util.Map.of("rows", List.of()));
        assertEquals(saved, Checkpoint.writeCard(model, evaluated));
        Blend blend = new Blend(Blend.FLOW, java.util.Map.of(Blend.leadKey(1), new float[] {0.5f, 0.4f, 0.3f}),
                java.util.Map.of("frames", List.of(40, 48)));
        String blended = Checkpoint.writeCard(model, evaluated.withBlend(blend));
        assertNotEquals(saved, blended, "a blend changes what is served");
        Blend refitRecord = new Blend(Blend.FLOW, blend.weights(), java.util.Map.of("frames", List.of(30, 48)));
        assertEquals(blended, Checkpoint.writeCard(model, evaluated.withBlend(refitRecord)));
        Blend otherWeights = new Blend(Blend.FLOW, java.util.Map.of(Blend.leadKey(1), new float[] {0.5f, 0.4f, 0.2f}),
                refitRecord.fit());
        String reweighted = Checkpoint.writeCard(model, evaluated.withBlend(otherWeights));
        assertNotEquals(blended, reweighted, "new weights, new version");
        // what is loaded hashes to what model.json says, and the weights' own hash is kept beside it
        try (VidOdeModel loaded = VidOdeModel.load(model)) {
            assertEquals(reweighted, loaded.version());
            assertEquals(loaded.network().parameters().version(), Checkpoint.readMetadata(model).weights());
        }
        // another normalisation, another version, with the same weights
        ModelCard renormalised = new ModelCard("storm-test", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
                new float[] {1, -2, 1000}, new float[] {5, 6, 11}, -9999.0, "PT6H", 0.1, null, null);
        assertNotEquals(saved, Checkpoint.writeCard(model, renormalised));
        // the card alone back as it was: the version as it was
        assertEquals(saved, Checkpoint.writeCard(model, card));
    }

    @Test
    void aCheckpointThatDoesNotMatchTheConfigNamesTheParameter() throws IOException {
        ModelConfig small = ModelFixtures.stormLike();
        try (VidOdeNetwork net = new VidOdeNetwork(small, 1)) {
            Checkpoint.save(dir.resolve("m"), net, ModelCard.untrained("m", ModelCard.EXTRAPOLATE, 3));
        }
        // Same folder, but model.json now claims a wider encoder.
        Path json = dir.resolve("m/model.json");
        Files.writeString(json, Files.readString(json).replace("\"initDim\" : 8", "\"initDim\" : 16"));
        IOException e = assertThrows(IOException.class, () -> VidOdeModel.load(dir.resolve("m")));
        assertTrue(e.getMessage().contains("gen.encoder.0.conv.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("(8, 3, 3, 3)") && e.getMessage().contains("(16, 3, 3, 3)"), e.getMessage());
    }

    @Test
    void copyingAStoreInMemoryGivesTheSameWeightsAsASaveAndLoad() {
        ModelConfig config = ModelFixtures.stormLike();
        try (VidOdeModel serving = new VidOdeModel(new VidOdeNetwork(config, 1),
                ModelCard.untrained("m", ModelCard.EXTRAPOLATE, 3));
             VidOdeNetwork copy = new VidOdeNetwork(config, 2);
             VidOdeNetwork other = new VidOdeNetwork(ModelConfig.of(config.channels(), config.height(),
                     config.width(), 2 * config.initDim(), config.nDowns()), 3)) {
            // From a serving model, whose BatchNorm is folded for inference: the store keeps the unfolded weights.
            assertNotEquals(serving.network().parameters().version(), copy.parameters().version());
            copy.parameters().copyFrom(serving.network().parameters());
            assertEquals(serving.network().parameters().version(), copy.parameters().version());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> other.parameters().copyFrom(copy.parameters()));
            assertTrue(e.getMessage().contains("gen.encoder.0.conv.weight"), e.getMessage());
        }
    }

    @Test
    void aFolderWithoutModelJsonSaysSo() {
        IOException e = assertThrows(IOException.class, () -> VidOdeModel.load(dir.resolve("nothing")));
        assertTrue(e.getMessage().contains("model.json"), e.getMessage());
    }
}
