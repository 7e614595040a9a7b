package io.odecast.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.TopicNames;
import io.odecast.kafka.TopicSetup;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import io.odecast.proto.ModelVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints as version records (inline or through the store) and the models topic's list and rollback. */
class ModelVersionsTest {

    @TempDir
    Path dir;

    private Path checkpoint(long seed) throws IOException {
        Path folder = dir.resolve("seed" + seed).resolve("tiny");
        try (VidOdeModel m = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(2, 8, 8, 4, 1), seed),
                ModelCard.untrained("tiny", ModelCard.EXTRAPOLATE, 2))) {
            m.save(folder);
        }
        return folder;
    }

    @Test
    void parametersAboveTheInlineLimitGoThroughTheStoreAndLoadUnderTheirVersion() throws Exception {
        Path folder = checkpoint(1);
        ModelVersion v = ModelVersions.fromCheckpoint(folder, "tiny", "", Map.of("rmse", 1.5),
                new ModelStore(dir.resolve("store")), 0, Instant.EPOCH);
        assertTrue(v.hasParametersPath(), "expected a store path");
        assertTrue(Path.of(v.getParametersPath()).startsWith(dir.resolve("store").toAbsolutePath()));
        try (VidOdeModel loaded = ModelVersions.load(v, dir.resolve("work"))) {
            assertEquals(v.getVersion(), loaded.version());
        }
        assertEquals(1.5, v.getMetricsOrThrow("rmse"));
    }

    @Test
    void aRecordWhoseStoredParametersWereReplacedIsRefused() throws Exception {
        ModelVersion v = ModelVersions.fromCheckpoint(checkpoint(1), "tiny", "", Map.of(),
                new ModelStore(dir.resolve("store")), 0, Instant.EPOCH);
        Files.copy(checkpoint(2).resolve("parameters.bin"), Path.of(v.getParametersPath()),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        IOException e = assertThrows(IOException.class, () -> ModelVersions.load(v, dir.resolve("work")));
        assertTrue(e.getMessage().contains("hash to"), e.getMessage());
    }

    @Test
    void aRecalibratedBlendIsANewVersionAndARecordWhoseBlendWasAlteredIsRefused() throws Exception {
        Path folder = checkpoint(1);
        ModelStore store = new ModelStore(dir.resolve("store"));
        ModelVersion plain = ModelVersions.fromCheckpoint(folder, "tiny", "", Map.of(), store, 1 << 24, Instant.EPOCH);
        ModelCard card = io.odecast.model.Checkpoint.readMetadata(folder).card();
        io.odecast.model.Checkpoint.writeCard(folder, card.withBlend(new io.odecast.model.Blend("flow",
                Map.of("lead 1", new float[] {0.6f, 0.3f}), Map.of())));
        ModelVersion blended = ModelVersions.fromCheckpoint(folder, "tiny", "", Map.of(), store, 1 << 24,
                Instant.EPOCH);
        assertTrue(!plain.getVersion().equals(blended.getVersion()), "same weights, new blend: a new version");
        try (VidOdeModel loaded = ModelVersions.load(blended, dir.resolve("work"))) {
            assertEquals(blended.getVersion(), loaded.version());
            assertEquals(0.6f, loaded.card().blend().weights().get("lead 1")[0]);
        }
        // the record's card says other blend weights than its version was made from
        ModelVersion altered = blended.toBuilder()
                .setModelJson(blended.getModelJson().replace("0.6", "0.9")).build();
        IOException e = assertThrows(IOException.class, () -> ModelVersions.load(altered, dir.resolve("work2")));
        assertTrue(e.getMessage().contains("hash to"), e.getMessage());
    }

    @Test
    void listMarksTheLatestAndRollbackMakesAnEarlierVersionServeAgain() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start()) {
            TopicNames names = new TopicNames("m.frames", "m.forecasts", "m.regular", "m.state", "m.models", "m.dlq");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                new TopicSetup(admin, names, TopicSetup.Settings.defaults()).ensureTopics(Duration.ofSeconds(30));
            }
            ModelTopic topic = new ModelTopic("m.models", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    1 << 20, Duration.ofSeconds(30));
            ModelVersionsAdmin admin = new ModelVersionsAdmin(topic, new ModelVersionSettings(true,
                    dir.resolve("store"), 1 << 19, Duration.ofMillis(100)), Clock.systemUTC());
            ModelVersion first = admin.publish(checkpoint(1), "tiny", "", Map.of());
            ModelVersion second = admin.publish(checkpoint(2), "tiny", first.getVersion(), Map.of());
            List<String> lines = admin.list();
            assertEquals(2, lines.size());
            assertTrue(lines.get(1).contains(second.getVersion()) && lines.get(1).endsWith("(serving)"), lines.get(1));
            assertEquals(first.getVersion(), second.getParentVersion());

            admin.rollback("tiny", first.getVersion());
            assertEquals(first, topic.latest().get("tiny"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> admin.rollback("tiny", "0000"));
            assertTrue(e.getMessage().contains(second.getVersion()), e.getMessage());
        }
    }
}
