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
    void aFolderWithoutModelJsonSaysSo() {
        IOException e = assertThrows(IOException.class, () -> VidOdeModel.load(dir.resolve("nothing")));
        assertTrue(e.getMessage().contains("model.json"), e.getMessage());
    }
}
