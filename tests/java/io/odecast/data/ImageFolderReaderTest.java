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
    void greyImagesAreReadAsTheirSampleValuesNotBrightenedToSrgb(@TempDir Path dir) throws Exception {
        BufferedImage grey8 = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey8.getRaster().setSample(0, 0, 0, 50);
        grey8.getRaster().setSample(1, 0, 0, 100);
        ImageIO.write(grey8, "png", dir.resolve("a.png").toFile());
        BufferedImage grey16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(0, 0, 0, 1000);
        grey16.getRaster().setSample(1, 0, 0, 65535);
        ImageIO.write(grey16, "png", dir.resolve("b.png").toFile());
        FrameSequence seq = new ImageFolderReader(2, 1, ColorMode.GREY, Instant.EPOCH, Duration.ofSeconds(1)).read(dir);
        assertEquals(50 / 255f, seq.frame(0).value(0, 0, 0), 1e-6);
        assertEquals(100 / 255f, seq.frame(0).value(0, 0, 1), 1e-6);
        assertEquals(1000 / 65535f, seq.frame(1).value(0, 0, 0), 1e-6);
        assertEquals(1f, seq.frame(1).value(0, 0, 1), 1e-6);
        FrameSequence rgb = new ImageFolderReader(2, 1, ColorMode.RGB, Instant.EPOCH, Duration.ofSeconds(1)).read(dir);
        for (int c = 0; c < 3; c++) {
            assertEquals(50 / 255f, rgb.frame(0).value(c, 0, 0), 1e-6, "channel " + c);
        }
    }

    @Test
    void aCorruptImageIsNamed(@TempDir Path dir) throws Exception {
        writeImages(dir, 1);
        java.nio.file.Files.write(dir.resolve("img_9.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        DataSourceException e = org.junit.jupiter.api.Assertions.assertThrows(DataSourceException.class,
                () -> new ImageFolderReader(4, 2, ColorMode.GREY, Instant.EPOCH, Duration.ofSeconds(1)).read(dir));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("img_9.png"), e.getMessage());
    }

    @Test
    void areaResamplerAveragesBlocks() {
        float[] src = {0, 1, 2, 3, 4, 5, 6, 7};
        float[] out = AreaResampler.resize(src, new GridShape(1, 2, 4), 1, 2);
        assertEquals(2.5f, out[0], 1e-6);
        assertEquals(4.5f, out[1], 1e-6);
    }
}
