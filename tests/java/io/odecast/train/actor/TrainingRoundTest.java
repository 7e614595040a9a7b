package io.odecast.train.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.GridShape;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.Checkpoint;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate's decision and a fine-tuning round on a tiny model. */
class TrainingRoundTest {
    static final int N = 8;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;

    static Gate.Settings gate(double margin) {
        return new Gate.Settings(Gate.Metric.RMSE, margin, 6, 2);
    }

    static TrainerSettings settings(int steps) {
        return new TrainerSettings(true, List.of("blob"), Path.of("unused"), "g",
                new TrainingSet.Limits(1 << 20, Duration.ofDays(1), 1 << 18, Duration.ofHours(1)), Duration.ZERO,
                10, steps, 2, 3, 5, 3e-3, 0, gate(0.02));
    }

    /** A bright square drifting one cell per frame to the right (wrapping), per stream a different row. */
    static List<FrameMessage> blob(String id, int row, int frames) {
        List<FrameMessage> out = new ArrayList<>();
        for (int t = 0; t < frames; t++) {
            float[] data = new float[N * N];
            for (int y = row; y < row + 2; y++) {
                for (int x = 0; x < 2; x++) {
                    data[y * N + (t + x) % N] = 1f;
                }
            }
            out.add(FrameMessage.of(id, T0.plusSeconds(t), List.of("c0"), new GridShape(1, N, N), data));
        }
        return out;
    }

    /** The frames with their data permuted among their times, except the last {@code keep}. */
    static List<FrameMessage> shuffledBefore(List<FrameMessage> frames, int keep, long seed) {
        int cut = frames.size() - keep;
        List<float[]> data = new ArrayList<>(frames.subList(0, cut).stream().map(FrameMessage::data).toList());
        Collections.shuffle(data, new Random(seed));
        List<FrameMessage> out = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            FrameMessage f = frames.get(i);
            out.add(i < cut ? FrameMessage.of(f.streamId(), f.eventTime(), f.channels(), f.shape(), data.get(i)) : f);
        }
        return out;
    }

    static VidOdeModel tiny(long seed) {
        return new VidOdeModel(new VidOdeNetwork(ModelConfig.of(1, N, N, 4, 1), seed),
                ModelCard.untrained("blob", ModelCard.EXTRAPOLATE, 1));
    }

    @Test
    void theGatePublishesOnlyACandidateBetterByTheMargin() {
        assertTrue(Gate.decide(new Gate.Scores(0.97, 1.0, 2.0, 1), gate(0.02)).publish());
        assertFalse(Gate.decide(new Gate.Scores(0.99, 1.0, 2.0, 1), gate(0.02)).publish());
        assertFalse(Gate.decide(new Gate.Scores(Double.NaN, 1.0, 2.0, 1), gate(0.02)).publish());
    }

    @Test
    void aCandidateTrainedOnShuffledFramesIsRejectedAndNotPublished() throws Exception {
        List<String> published = new ArrayList<>();
        TrainingRound round = new TrainingRound(settings(6),
                (checkpoint, name, parent, metrics) -> published.add(name));
        Map<String, List<FrameMessage>> recorded = new LinkedHashMap<>();
        recorded.put("a", shuffledBefore(blob("a", 1, 20), 6, 1));
        recorded.put("b", shuffledBefore(blob("b", 5, 20), 6, 2));
        try (VidOdeModel serving = tiny(3)) {
            TrainingRound.Outcome outcome = round.run("blob", serving, recorded, dir.resolve("candidate"), 0);
            assertFalse(outcome.published(), outcome.note());
            assertTrue(published.isEmpty());
            assertEquals("rejected", Checkpoint.readMetadata(dir.resolve("candidate")).card().evaluation()
                    .get("gate_decision"));
            assertEquals(null, Checkpoint.readMetadata(dir.resolve("candidate")).card().blend(),
                    "no blend from a parent without one");
        }
    }

    @Test
    void aRoundHeldBackForItsWholeTimeEndsWithoutACandidate() throws Exception {
        List<String> published = new ArrayList<>();
        Map<String, List<FrameMessage>> recorded = new LinkedHashMap<>();
        recorded.put("a", blob("a", 1, 20));
        recorded.put("b", blob("b", 5, 20));
        // Held back by the serving load for the whole of its time budget: no step runs, so nothing beats the serving
        // weights scored at step 0, and there is no candidate to gate or publish (before, the round gated a copy of
        // the serving weights against themselves).
        TrainingRound round = new TrainingRound(new TrainerSettings(true, List.of("blob"), Path.of("unused"), "g",
                new TrainingSet.Limits(1 << 20, Duration.ofDays(1), 1 << 18, Duration.ofHours(1)), Duration.ZERO,
                10, 6, 2, 3, 5, 3e-3, 0.01, gate(0.02)), (checkpoint, name, parent, metrics) -> published.add(name),
                () -> true);
        try (VidOdeModel serving = tiny(3)) {
            TrainingRound.Outcome outcome = round.run("blob", serving, recorded, dir.resolve("candidate"), 0);
            assertEquals(null, outcome.candidateVersion(), outcome.note());
            assertEquals(null, outcome.verdict(), "no gate for the serving weights themselves");
            assertFalse(outcome.published());
            assertTrue(outcome.note().contains("no training step"), outcome.note());
            assertTrue(published.isEmpty());
            assertEquals(List.of(), entries(dir), "no copy of the serving weights is kept, nothing else either");
        }
    }

    @Test
    void aCandidateInheritsItsParentsBlendMarkedAsInherited() throws Exception {
        TrainingRound round = new TrainingRound(settings(2), (checkpoint, name, parent, metrics) -> { });
        Map<String, List<FrameMessage>> recorded = new LinkedHashMap<>();
        recorded.put("a", blob("a", 1, 20));
        recorded.put("b", blob("b", 5, 20));
        io.odecast.model.Blend blend = new io.odecast.model.Blend(io.odecast.model.Blend.FLOW,
                Map.of(io.odecast.model.Blend.leadKey(1), new float[] {0.4f}), Map.of("frames", List.of(10, 20)));
        try (VidOdeModel serving = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(1, N, N, 4, 1), 3),
                ModelCard.untrained("blob", ModelCard.EXTRAPOLATE, 1).withBlend(blend))) {
            round.run("blob", serving, recorded, dir.resolve("candidate"), 0);
            io.odecast.model.Blend got = Checkpoint.readMetadata(dir.resolve("candidate")).card().blend();
            assertEquals(0.4f, got.atLead(1)[0]);
            assertEquals(serving.version(), got.fit().get("inherited_from"));
            assertEquals(List.of(10, 20), got.fit().get("frames"));
            // Validated on each stream's last training window, the serving weights scored first (step 0).
            Map<String, Object> training = Checkpoint.readMetadata(dir.resolve("candidate")).card().training();
            assertEquals(2, ((Number) training.get("validation_windows")).intValue(), training.toString());
            List<?> history = (List<?>) training.get("validation_history");
            assertEquals(0, ((Number) ((List<?>) history.get(0)).get(0)).intValue(), history.toString());
            // What a round leaves on disk: the candidate checkpoint, not its start's copy or its resume state.
            assertEquals(List.of("candidate"), entries(dir), "no copy of the serving weights beside it");
            assertEquals(List.of(Checkpoint.METADATA, Checkpoint.PARAMETERS), entries(dir.resolve("candidate")),
                    "the checkpoint alone, without the trainer's resume state");
        }
    }

    @Test
    void aCandidateIsNotPublishedWhenServingMovedToAnotherVersionDuringTheRound() throws Exception {
        Map<String, List<FrameMessage>> recorded = new LinkedHashMap<>();
        recorded.put("a", blob("a", 1, 20));
        recorded.put("b", blob("b", 5, 20));
        TrainerSettings settings = new TrainerSettings(true, List.of("blob"), Path.of("unused"), "g",
                new TrainingSet.Limits(1 << 20, Duration.ofDays(1), 1 << 18, Duration.ofHours(1)), Duration.ZERO,
                10, 20, 2, 3, 5, 3e-3, 0, gate(0));
        try (VidOdeModel serving = tiny(3)) {
            List<String> published = new ArrayList<>();
            // Serving still on the version the round started from: the gate's pass publishes.
            TrainingRound.Outcome passed = new TrainingRound(settings, publisher(published, serving.version()))
                    .run("blob", serving, recorded, dir.resolve("first"), 0);
            assertTrue(passed.published(), passed.note());
            assertEquals(List.of("blob"), published);
            // The same round while an operator rolled back (or another instance published): the same pass is
            // withheld, and the card says why.
            published.clear();
            TrainingRound.Outcome moved = new TrainingRound(settings, publisher(published, "0123456789abcdef"))
                    .run("blob", serving, recorded, dir.resolve("second"), 0);
            assertFalse(moved.published(), moved.note());
            assertTrue(published.isEmpty());
            Map<String, Object> evaluation = Checkpoint.readMetadata(dir.resolve("second")).card().evaluation();
            assertEquals("rejected", evaluation.get("gate_decision"));
            assertTrue(String.valueOf(evaluation.get("gate_reason")).contains("serving moved from "
                    + serving.version() + " to 0123456789abcdef"), evaluation.toString());
        }
    }

    private static TrainingRound.Publisher publisher(List<String> published, String latest) {
        return new TrainingRound.Publisher() {
            @Override
            public void publish(Path checkpoint, String name, String parentVersion, Map<String, Double> metrics) {
                published.add(name);
            }

            @Override
            public String latest(String name) {
                return latest;
            }
        };
    }

    @Test
    void recordedFramesServingWouldRefuseAreLeftOutNotTrainedOnOrFatal() throws Exception {
        Map<String, List<FrameMessage>> recorded = new LinkedHashMap<>();
        List<FrameMessage> a = new ArrayList<>(blob("a", 1, 20));
        // An extreme value (serving: OUT_OF_RANGE), a frame of another grid (WRONG_SHAPE: before, one such frame
        // failed every round of the model), and channels the model does not read (WRONG_CHANNELS).
        float[] extreme = a.get(3).data().clone();
        extreme[0] = 3e38f;
        a.set(3, FrameMessage.of("a", a.get(3).eventTime(), List.of("c0"), new GridShape(1, N, N), extreme));
        a.set(4, FrameMessage.of("a", a.get(4).eventTime(), List.of("c0"), new GridShape(1, N, N + 1),
                new float[N * (N + 1)]));
        a.set(5, FrameMessage.of("a", a.get(5).eventTime(), List.of("u"), new GridShape(1, N, N), a.get(5).data()));
        recorded.put("a", a);
        recorded.put("b", blob("b", 5, 20));
        try (VidOdeModel serving = tiny(3)) {
            TrainingRound.Outcome outcome = new TrainingRound(settings(2), (checkpoint, name, parent, metrics) -> { })
                    .run("blob", serving, recorded, dir.resolve("candidate"), 0);
            assertTrue(outcome.candidateVersion() != null, outcome.note());
            Map<String, Object> training = Checkpoint.readMetadata(dir.resolve("candidate")).card().training();
            assertEquals(Map.of("out_of_range", 1, "wrong_shape", 1, "wrong_channels", 1),
                    training.get("recorded_frames_refused"), training.toString());
            assertEquals(20 - 3 - 6 + 20 - 6, ((Number) training.get("train_frames")).intValue(), training.toString());
        }
    }

    @Test
    void pruningKeepsTheNewestCandidatesAndLeavesOtherFoldersAlone() throws Exception {
        Path candidates = java.nio.file.Files.createDirectories(dir.resolve("candidates"));
        // Two processes' rounds (the round counter restarts; the time orders them), parent copies that rounds of
        // earlier versions left behind, and a folder an operator put there.
        for (String name : List.of("1700000000000-9", "1700000000500-10", "1800000000000-1", "1800000000000-2",
                "1900000000000-1", "1800000000000-2-parent", "1900000000000-1-parent", "keep-me")) {
            java.nio.file.Files.createDirectories(candidates.resolve(name));
            java.nio.file.Files.writeString(candidates.resolve(name).resolve("model.json"), "{}");
        }
        // The round just run is named older than the others (the clock stepped back): it stays all the same.
        Path current = candidates.resolve("1700000000500-10");
        List<Path> gone = TrainingRound.prune(candidates, 3, current);
        assertEquals(List.of("1700000000500-10", "1800000000000-2", "1900000000000-1", "keep-me"),
                entries(candidates));
        assertEquals(4, gone.size(), gone.toString());
        assertEquals(List.of(), TrainingRound.prune(candidates, 3, current), "nothing more to delete");
        assertEquals(List.of(), TrainingRound.prune(dir.resolve("none"), 3, null), "no folder yet");
    }

    /** The names in a folder, sorted. */
    private static List<String> entries(Path folder) throws java.io.IOException {
        try (var list = java.nio.file.Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
