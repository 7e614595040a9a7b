package io.odecast.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertEquals(3 * 5 * 4 + 2 * 2, image.getWidth());
        assertEquals(4 * 4, image.getHeight());
        // Cell (0, 0) of u is invalid; north up puts row 0 at the bottom.
        assertEquals(0xFF00FF, image.getRGB(0, image.getHeight() - 1) & 0xFFFFFF);
        assertTrue(Files.size(files.get(0)) > 0);
    }

    @Test
    void streamIdsBecomeSafeFileNames() {
        assertEquals("ncar_storm-1996", StreamFileNames.safe("ncar/storm-1996"));
        assertEquals("_..", StreamFileNames.safe(".."));
        assertEquals("19700101T000001.900Z", StreamFileNames.time(java.time.Instant.ofEpochMilli(1900)));
    }
}
