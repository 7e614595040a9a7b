package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

    /** Writes {@code img_<i>.png}: left half black, right half grey level {@code 50 * (i + 1)}. */
    private static void writeImages(Path dir, int count) throws Exception {
        for (int i = count - 1; i >= 0; i--) {
            BufferedImage img = new BufferedImage(8, 4, BufferedImage.TYPE_INT_RGB);
            int level = 50 * (i + 1);
            for (int y = 0; y < 4; y++) {
                for (int x = 4; x < 8; x++) {
                    img.setRGB(x, y, level << 16 | level << 8 | level);
                }
            }
            ImageIO.write(img, "png", dir.resolve("img_" + i + ".png").toFile());
        }
    }

    @Test
    void imagesAreSortedByNameTimedAndAreaAveraged(@TempDir Path dir) throws Exception {
        writeImages(dir, 3);
        Instant start = Instant.parse("2024-01-01T00:00:00Z");
        FrameSequence seq = new ImageFolderReader(4, 2, ColorMode.GREY, start, Duration.ofSeconds(2)).read(dir);
        assertEquals(3, seq.size());
        assertEquals(start.plusSeconds(4), seq.frame(2).time());
        assertEquals(0f, seq.frame(0).value(0, 0, 0), 1e-6);
        assertEquals(100 / 255f, seq.frame(1).value(0, 1, 3), 1e-3);
    }

    @Test
    void rgbImageHasThreeChannels(@TempDir Path dir) throws Exception {
        writeImages(dir, 1);
        FrameSequence seq = new ImageFolderReader(8, 4, ColorMode.RGB, Instant.EPOCH, Duration.ofSeconds(1)).read(dir);
        assertEquals(new GridShape(3, 4, 8), seq.shape());
        assertEquals(50 / 255f, seq.frame(0).value(2, 0, 7), 1e-6);
    }

    @Test
    void areaResamplerAveragesBlocks() {
        float[] src = {0, 1, 2, 3, 4, 5, 6, 7};
        float[] out = AreaResampler.resize(src, new GridShape(1, 2, 4), 1, 2);
        assertEquals(2.5f, out[0], 1e-6);
        assertEquals(4.5f, out[1], 1e-6);
    }
}
