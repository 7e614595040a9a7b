package io.odecast.eval;

import io.odecast.data.GridShape;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngStripTest {

    @Test
    void stripHasFourRowsPerChannelAndOneColumnPerFrame(@TempDir Path dir) throws Exception {
        GridShape shape = new GridShape(2, 3, 4);
        float[] frame = new float[shape.size()];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = i / (float) frame.length;
        }
        boolean[] valid = new boolean[shape.size()];
        Arrays.fill(valid, true);
        valid[0] = false;
        Path file = dir.resolve("strips/strip.png");
        PngStrip.write(file, shape, List.of(PngStrip.ColourMap.GREY, PngStrip.ColourMap.DIVERGING),
                List.of(frame, frame, frame), List.of(frame, frame), List.of(frame, frame),
                List.of(valid, valid), 2);

        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(3 * 4 * 2, image.getWidth());
        assertEquals(4 * 2 * 3 * 2, image.getHeight());
        // Truth row of channel 0 starts at y = 3 cells; its first cell is masked: magenta.
        assertEquals(0xFF00FF, image.getRGB(0, 3 * 2) & 0xFFFFFF);
        // Last truth value of the diverging channel is the strip maximum: the red end of the map.
        int lastTruthY = (4 * 3 + 3 + 2) * 2;
        assertEquals((180 << 16) | (4 << 8) | 38, image.getRGB(3 * 2, lastTruthY) & 0xFFFFFF);
        // The third column has an input but no truth: background.
        assertEquals(0x202020, image.getRGB(2 * 4 * 2, 3 * 2) & 0xFFFFFF);
    }
}
