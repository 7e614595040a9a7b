package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.Datasets;
import io.odecast.data.FrameSequence;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosStreamsTest {

    @Test
    void syntheticStreamsAreRegularAndDecodeToWhatThePublisherSends() throws Exception {
        ModelCard card = new ModelCard("storm-forecast", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
                new float[] {3f, 0f, 1015f}, new float[] {6f, 6f, 10f}, null, "PT6H", 0.1, null, null);
        ChaosStreams s = ChaosStreams.synthetic(card, 4, 5, 3, 6, 1);
        assertEquals(List.of("storm/chaos-00", "storm/chaos-01", "storm/chaos-02"), List.copyOf(s.frames().keySet()));
        assertEquals(18, s.totalFrames());
        for (var e : s.frames().entrySet()) {
            List<FrameMessage> frames = e.getValue();
            for (int i = 0; i < frames.size(); i++) {
                FrameMessage f = frames.get(i);
                assertEquals(ChaosStreams.START.plus(ChaosStreams.STEP.multipliedBy(i)), f.eventTime());
                assertEquals(card.channels(), f.channels());
                assertEquals(f, FrameCodec.decode(s.encoded().get(e.getKey()).get(i)));
            }
        }
        float mean = 0;
        for (FrameMessage f : s.frames().get("storm/chaos-01")) {
            for (int j = 40; j < 60; j++) {
                mean += f.data()[j];
            }
        }
        assertEquals(1015f, mean / (6 * 20), 5f);
        assertNotEquals(s.frames().get("storm/chaos-00").get(0), s.frames().get("storm/chaos-01").get(0));
    }

    @Test
    void stormStreamsAreTheAnalysesShiftedByOneFramePerStream() throws Exception {
        FrameSequence storm = Datasets.storm(Datasets.stormDir());
        ChaosStreams s = ChaosStreams.storm(storm, 2, 3);
        assertTrue(s.source().startsWith("storm analyses"), s.source());
        FrameMessage k0i1 = s.frames().get("storm/chaos-00").get(1);
        FrameMessage k1i0 = s.frames().get("storm/chaos-01").get(0);
        assertArrayEquals(k0i1.data(), k1i0.data());
        assertEquals(ChaosStreams.START, k1i0.eventTime());
        assertEquals(ChaosStreams.START.plus(ChaosStreams.STEP), k0i1.eventTime());
        assertEquals(List.of("u", "v", "p"), k0i1.channels());
        assertEquals(33 * 36 * 3, k0i1.data().length);
    }
}
