package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class ChannelNormalizationTest {

    private static final GridShape SHAPE = new GridShape(2, 1, 3);
    private static final List<String> CH = List.of("a", "b");

    @Test
    void fitUsesOnlyValidCells() {
        float[] data = {1, 2, 3, 10, -9999, 30};
        boolean[] valid = {true, true, true, true, false, true};
        TimedFrame f = new TimedFrame(Instant.EPOCH, CH, SHAPE, data, valid, false);
        ChannelNormalization n = ChannelNormalization.fit(List.of(f, TimedFrame.absent(Instant.MAX, CH, SHAPE)));
        assertEquals(2.0, n.mean()[0], 1e-9);
        assertEquals(20.0, n.mean()[1], 1e-9);
        assertEquals(Math.sqrt(2.0 / 3), n.std()[0], 1e-9);
        assertEquals(10.0, n.std()[1], 1e-9);
    }

    @Test
    void normalizeZeroesInvalidCellsAndDenormalizeRoundTrips() {
        float[] data = {1, 2, 3, 10, -9999, 30};
        boolean[] valid = {true, true, true, true, false, true};
        TimedFrame f = new TimedFrame(Instant.EPOCH, CH, SHAPE, data, valid, false);
        ChannelNormalization n = ChannelNormalization.fit(List.of(f));
        float[] z = n.normalize(f);
        assertEquals(0f, z[4]);
        float[] back = n.denormalize(z, SHAPE);
        for (int i = 0; i < data.length; i++) {
            if (valid[i]) {
                assertEquals(data[i], back[i], 1e-4);
            }
        }
    }

    @Test
    void stormPressureNormalisesToUnitSpread() throws Exception {
        FrameSequence p = StormFixtures.read("p");
        ChannelNormalization n = ChannelNormalization.fit(p.frames().subList(0, 48));
        assertTrue(n.mean()[0] > 100_000 && n.mean()[0] < 102_500, "mean p in Pa " + n.mean()[0]);
        TimedFrame f = p.frame(10);
        int cell = p.shape().index(0, 16, 18);
        assertTrue(f.isValid(cell) && !f.isValid(0));
        float[] z = n.normalize(f);
        assertEquals(0f, z[0]);
        assertTrue(Math.abs(z[cell]) < 5, "normalised p " + z[cell]);
        assertEquals(f.data()[cell], n.denormalize(z, p.shape())[cell], 0.05f);
    }
}
