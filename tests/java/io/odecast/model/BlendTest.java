package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The blend's arithmetic, its weights by lead and gap position, its checks, and its place in model.json. */
class BlendTest {

    @TempDir
    Path dir;

    @Test
    void eachChannelMovesFromTheBaselineTowardsTheModelByItsWeightAndInvalidBaselineCellsKeepTheModel() {
        float[] model = {10, 10, 20, 20, 30, 30};
        float[] baseline = {0, 0, 0, 0, 0, Float.NaN};
        boolean[] valid = {true, false, true, true, true, true};
        float[] out = Blend.apply(model, baseline, valid, new float[] {0f, 0.25f, 1f});
        assertArrayEquals(new float[] {0, 10, 5, 5, 30, 30}, out, 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> Blend.apply(model, new float[5], null, new float[3]));
    }

    @Test
    void twoMembersMoveTheBaselineByEachWeightAndANonFiniteMemberCellKeepsTheModel() {
        float[] model = {10, 10, 20, 20};
        float[] flow = {-10, Float.NaN, 40, 40};
        float[] baseline = {0, 0, 0, 0};
        // member-major: model weights per channel, then flow weights per channel
        float[] out = Blend.apply(List.of(model, flow), baseline, null, new float[] {0.5f, 0.25f, 0.5f, 0.75f});
        assertArrayEquals(new float[] {0, 10, 35, 35}, out, 1e-6f);
    }

    @Test
    void leadWeightsInterpolateBetweenWholeLeadsAndHoldBeyondTheFittedOnes() {
        Blend b = new Blend(Blend.FLOW, Map.of(Blend.leadKey(1), new float[] {0.2f}, Blend.leadKey(2),
                new float[] {0.6f}, Blend.leadKey(3), new float[] {1f}), null);
        assertArrayEquals(new float[] {0.2f}, b.atLead(0.3), 1e-6f);
        assertArrayEquals(new float[] {0.4f}, b.atLead(1.5), 1e-6f);
        assertArrayEquals(new float[] {0.8f}, b.atLead(2.5), 1e-6f);
        assertArrayEquals(new float[] {1f}, b.atLead(7), 1e-6f);
        assertNull(new Blend(Blend.LINEAR, Map.of(), null).atLead(1));
        Blend gaps = new Blend(Blend.LINEAR, Map.of(Blend.gapKey(Blend.END, 2, 1), new float[] {0.5f}), null);
        assertArrayEquals(new float[] {0.5f}, gaps.atGap(Blend.END, 2, 1), 0f);
        assertNull(gaps.atGap(Blend.CENTRED, 2, 1), "another layout is not borrowed");
        assertNull(gaps.atGap(Blend.END, 3, 1), "an unfitted gap size gives the model alone");
    }

    @Test
    void weightsOutsideZeroToOneOrOfTheWrongLengthAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new Blend(Blend.FLOW, Map.of(Blend.leadKey(1), new float[] {1.5f}), null));
        assertThrows(IllegalArgumentException.class,
                () -> new Blend(Blend.FLOW, Map.of(Blend.leadKey(1), new float[] {Float.NaN}), null));
        assertThrows(IllegalArgumentException.class, () -> new Blend("persistence", Map.of(), null));
        IllegalArgumentException sum = assertThrows(IllegalArgumentException.class, () -> new Blend(Blend.LINEAR,
                List.of(Blend.MODEL, Blend.FLOW), Map.of(Blend.gapKey(Blend.END, 1, 1), new float[] {0.7f, 0.4f}), null));
        assertTrue(sum.getMessage().contains("more than 1"), sum.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Blend(Blend.FLOW, List.of(Blend.MODEL, Blend.FLOW),
                Map.of(), null), "flow is not blended into itself");
        Blend twoChannels = new Blend(Blend.FLOW, Map.of(Blend.leadKey(1), new float[] {0.5f, 0.5f}), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelCard.untrained("m", ModelCard.EXTRAPOLATE, 3).withBlend(twoChannels));
        assertTrue(e.getMessage().contains("lead 1"), e.getMessage());
    }

    @Test
    void aBlendSurvivesModelJsonAndACardWithoutOneReadsAsNone() throws IOException {
        ModelConfig config = ModelFixtures.stormLike();
        ModelCard card = new ModelCard("storm-test", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
                new float[] {0, 0, 1000}, new float[] {5, 5, 10}, null, "PT6H", 0.1, null, null);
        try (VidOdeModel model = new VidOdeModel(new VidOdeNetwork(config, 3), card)) {
            model.save(dir.resolve("m"));
        }
        assertNull(Checkpoint.readMetadata(dir.resolve("m")).card().blend());
        Blend blend = new Blend(Blend.FLOW, Map.of(Blend.leadKey(1), new float[] {0.25f, 0.5f, 1f}),
                Map.of("frames", List.of(38, 48)));
        Checkpoint.writeCard(dir.resolve("m"), card.withBlend(blend));
        try (VidOdeModel loaded = VidOdeModel.load(dir.resolve("m"))) {
            Blend read = loaded.card().blend();
            assertEquals(Blend.FLOW, read.baseline());
            assertArrayEquals(new float[] {0.25f, 0.5f, 1f}, read.atLead(1), 0f);
            assertEquals(List.of(38, 48), read.fit().get("frames"));
        }
    }
}
