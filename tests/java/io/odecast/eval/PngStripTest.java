package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.GridShape;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngStripTest {
    private static final GridShape SHAPE = new GridShape(2, 3, 4);

    private static float[] frame(float offset) {
        float[] f = new float[SHAPE.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = offset + i / (float) f.length;
        }
        return f;
    }

    @Test
    void tilesSitUnderTheirColumnsWithMaskedCellsMagentaAndEmptyTilesDark(@TempDir Path dir) throws Exception {
        boolean[] valid = new boolean[SHAPE.size()];
        Arrays.fill(valid, true);
        valid[0] = false;
        List<String> columns = List.of("t0", "+1f", "+2f");
        List<PngStrip.Row> rows = List.of(
                new PngStrip.Row("observed", Arrays.asList(frame(0), frame(0), frame(0)), false),
                new PngStrip.Row("model", Arrays.asList(null, frame(0), frame(0)), false),
                new PngStrip.Row("|model - truth|", Arrays.asList(null, new float[SHAPE.size()], null), true));
        PngStrip.Layout layout = new PngStrip.Layout(SHAPE, List.of("luma", "p"), List.of("1", "hPa"),
                List.of(PngStrip.ColourMap.GREY, PngStrip.ColourMap.DIVERGING), 5, false);
        Path file = dir.resolve("strips/strip.png");
        PngStrip.write(file, "test strip", layout, columns, rows, Arrays.asList(null, valid, null));

        BufferedImage image = ImageIO.read(file.toFile());
        int tileW = 4 * 5 + 3;
        int x0 = 150;
        int rowTop = 22 + 22;
        // Column 1 of the observed row: its first cell is masked.
        assertEquals(0xFF00FF, image.getRGB(x0 + tileW + 1, rowTop + 1) & 0xFFFFFF);
        // The model has no frame at t0: a dark tile.
        assertEquals(0x202020, image.getRGB(x0 + 1, rowTop + (3 * 5 + 3) + 1) & 0xFFFFFF);
        // Grey map: value 0 + 1/24 at cell 1 of the observed t0 tile is nearly black.
        int rgb = image.getRGB(x0 + 5 + 1, rowTop + 1) & 0xFF;
        assertTrue(rgb < 20, "cell 1 is dark grey, got " + rgb);
        assertTrue(image.getWidth() > x0 + 3 * tileW, "room for the colour bar and its labels");
    }

    @Test
    void aRowWithTheWrongNumberOfFramesIsRefused(@TempDir Path dir) {
        PngStrip.Layout layout = new PngStrip.Layout(SHAPE, List.of("a", "b"), List.of(),
                List.of(PngStrip.ColourMap.GREY, PngStrip.ColourMap.GREY), 1, false);
        assertThrows(IllegalArgumentException.class, () -> PngStrip.write(dir.resolve("x.png"), "", layout,
                List.of("t0"), List.of(new PngStrip.Row("r", List.of(frame(0), frame(1)), false)), null));
    }
}
