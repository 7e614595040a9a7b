package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class GridCropAndResampleTest {

    /** One channel, 4 rows (lat 10, 20, 30, 40) by 6 columns (lon 0, 60, ..., 300); cell value 10 y + x. */
    private static FrameSequence grid(boolean[] valid) {
        GridShape shape = new GridShape(1, 4, 6);
        float[] data = new float[shape.size()];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                data[shape.index(0, y, x)] = 10 * y + x;
            }
        }
        TimedFrame f = new TimedFrame(Instant.EPOCH, List.of("v"), shape, data, valid, false);
        return new FrameSequence("grid", List.of("v"), shape, List.of(f), new double[] {10, 20, 30, 40},
                new double[] {0, 60, 120, 180, 240, 300}, new String[] {"1"}, Double.NaN, null);
    }

    @Test
    void aLatLonBoxAcrossTheSeamOfAGlobalGridIsOneBlock() {
        FrameSequence seq = grid(null);
        GridCrop crop = GridCrop.ofLatLon(seq, 15, 35, -70, 70);
        assertEquals(new GridCrop(1, 3, 5, 8), crop, "300 is -60: columns 5, 0 and 1, not the whole width");
        FrameSequence across = crop.apply(seq);
        assertEquals(new GridShape(1, 2, 3), across.shape());
        assertArrayEquals(new float[] {15, 10, 11, 25, 20, 21}, across.frame(0).data());
        assertArrayEquals(new double[] {-60, 0, 60}, across.lon(), 1e-9);
        GridCrop east = GridCrop.ofLatLon(seq, 15, 35, 50, 130);
        FrameSequence cut = east.apply(seq);
        assertEquals(new GridShape(1, 2, 2), cut.shape());
        assertArrayEquals(new float[] {11, 12, 21, 22}, cut.frame(0).data());
        assertArrayEquals(new double[] {60, 120}, cut.lon());
    }

    @Test
    void onARegionalGridABoxGivenEastToWestIsRefusedNotWidenedToTheWholeGrid() {
        FrameSequence storm = regional();
        assertEquals(new GridCrop(0, 4, 1, 4), GridCrop.ofLatLon(storm, 10, 40, -125, -100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GridCrop.ofLatLon(storm, 10, 40, -100, -125));
        assertTrue(e.getMessage().contains("two separate column ranges") && e.getMessage().contains("western edge"),
                e.getMessage());
        IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                () -> new GridCrop(0, 2, 4, 8).apply(storm));
        assertTrue(beyond.getMessage().contains("exceeds"), beyond.getMessage());
    }

    /** The same values on a regional grid: longitudes -130, -120, ..., -80 (not round the globe). */
    private static FrameSequence regional() {
        FrameSequence g = grid(null);
        return new FrameSequence("regional", g.channels(), g.shape(), g.frames(), g.lat(),
                new double[] {-130, -120, -110, -100, -90, -80}, g.units(), Double.NaN, null);
    }

    @Test
    void growingAGridGivesEvenlySpacedAxesAtTheNewCellCentres() {
        FrameSequence doubled = new GridResampler(8, 12).apply(regional());
        assertArrayEquals(new double[] {7.5, 12.5, 17.5, 22.5, 27.5, 32.5, 37.5, 42.5}, doubled.lat(), 1e-9);
        assertEquals(-132.5, doubled.lon()[0], 1e-9);
        assertEquals(-77.5, doubled.lon()[11], 1e-9);
        FrameSequence odd = new GridResampler(7, 5).apply(regional());
        for (int i = 1; i < 7; i++) {
            assertEquals(40.0 / 7, odd.lat()[i] - odd.lat()[i - 1], 1e-9, "row spacing " + i);
        }
    }

    @Test
    void aBoxOutsideTheGridSaysWhereTheGridIs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GridCrop.ofLatLon(grid(null), 50, 60, 0, 10));
        assertTrue(e.getMessage().contains("10.0..40.0"), e.getMessage());
    }

    @Test
    void halvingAveragesBlocksAndTheAxes() {
        FrameSequence half = new GridResampler(2, 3).apply(grid(null));
        assertArrayEquals(new float[] {5.5f, 7.5f, 9.5f, 25.5f, 27.5f, 29.5f}, half.frame(0).data());
        assertArrayEquals(new double[] {15, 35}, half.lat(), 1e-9);
    }

    @Test
    void invalidCellsDoNotLeakIntoTheMeanAndMostlyInvalidBlocksStayInvalid() {
        boolean[] valid = new boolean[24];
        java.util.Arrays.fill(valid, true);
        valid[0] = false;          // one of four in block (0,0): still valid, mean of the other three
        valid[2] = false;          // three of four in block (0,1): invalid
        valid[3] = false;
        valid[8] = false;
        FrameSequence half = new GridResampler(2, 3).apply(grid(valid));
        TimedFrame f = half.frame(0);
        assertEquals((1 + 10 + 11) / 3f, f.data()[0], 1e-5);
        assertTrue(f.isValid(0));
        assertFalse(f.isValid(1));
    }
}
