package io.odecast.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngRendererTest {
    @TempDir
    Path dir;

    private final PngRenderer renderer = new PngRenderer(4, java.time.Duration.ofMillis(250), true);

    @Test
    void gifHasOneLoopingFramePerForecastWithTheDelay() throws Exception {
        Path gif = dir.resolve("s.gif");
        assertEquals(5, renderer.writeGif(gif, RenderFixtures.decoded("s", 5)));
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            reader.setInput(in);
            assertEquals(5, reader.getNumImages(true));
            IIOMetadataNode root = (IIOMetadataNode) reader.getImageMetadata(0)
                    .getAsTree("javax_imageio_gif_image_1.0");
            IIOMetadataNode control = (IIOMetadataNode) root.getElementsByTagName("GraphicControlExtension").item(0);
            assertEquals("25", control.getAttribute("delayTime"));
            IIOMetadataNode app = (IIOMetadataNode) root.getElementsByTagName("ApplicationExtension").item(0);
            assertEquals("NETSCAPE", app.getAttribute("applicationID"));
        } finally {
            reader.dispose();
        }
    }

    @Test
    void onePngPerLeadWithChannelsSideBySide() throws Exception {
        List<Path> files = renderer.writeLeadPngs(dir.resolve("s"), RenderFixtures.decoded("s", 2));
        assertEquals(4, files.size());
        assertEquals("19960105T060000Z+PT12H.png", files.get(3).getFileName().toString());
        BufferedImage image = ImageIO.read(files.get(0).toFile());
        assertEquals(Math.max(PngRenderer.MIN_WIDTH, 3 * 5 * 4 + 2 * 2), image.getWidth());
        assertEquals(PngRenderer.HEADER + 4 * 4 + PngRenderer.FOOTER, image.getHeight());
        // Cell (0, 0) of u is invalid; north up puts row 0 at the bottom of the tiles, under the title lines.
        assertEquals(0xFF00FF, image.getRGB(0, PngRenderer.HEADER + 4 * 4 - 1) & 0xFFFFFF);
        assertTrue(Files.size(files.get(0)) > 0);
    }

    @Test
    void picturesCarryTitleTimeAndAColourBarFromLowToHighUnderEachChannel() {
        float[] data = new float[2 * 3 * 4];
        boolean[] valid = new boolean[data.length];
        for (int i = 0; i < data.length; i++) {
            data[i] = i < 12 ? i : 1000 + i;
            valid[i] = true;
        }
        BufferedImage image = new PngRenderer(10, Duration.ZERO, false).draw(new PngRenderer.Picture("storm/a",
                "observed", new io.odecast.data.TimedFrame(java.time.Instant.parse("1996-01-05T06:00:00Z"),
                List.of("u", "p"), new io.odecast.data.GridShape(2, 3, 4), data, valid, false),
                List.of("m s-1", "hPa")));
        assertEquals(PngRenderer.HEADER + 30 + PngRenderer.FOOTER, image.getHeight());
        int bar = PngRenderer.HEADER + 30 + 16 + 5;
        int tile = 40 + 2;
        for (int t = 0; t < 2; t++) {
            int left = image.getRGB(t * tile + 1, bar);
            int right = image.getRGB(t * tile + 38, bar);
            assertTrue((left & 0xFF) > (left >> 16 & 0xFF), "channel " + t + " bar starts blue: "
                    + Integer.toHexString(left));
            assertTrue((right >> 16 & 0xFF) > (right & 0xFF), "channel " + t + " bar ends red: "
                    + Integer.toHexString(right));
        }
        long lit = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = 0; y < PngRenderer.HEADER; y++) {
                lit += (image.getRGB(x, y) & 0xFF) > 128 ? 1 : 0;
            }
        }
        assertTrue(lit > 100, "title and time are written above the tiles (" + lit + " bright pixels)");
    }

    @Test
    void streamIdsBecomeSafeFileNames() {
        assertEquals("ncar_storm-1996", StreamFileNames.safe("ncar/storm-1996"));
        assertEquals("_..", StreamFileNames.safe(".."));
        assertEquals("19700101T000001.900Z", StreamFileNames.time(java.time.Instant.ofEpochMilli(1900)));
    }
}
