package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class VideoFrameReaderTest {

    private static Path video(String name) {
        Path linked = Path.of("data/video", name);
        Path path = Files.exists(linked) ? linked : Path.of("/usr/share/doc/opencv-doc/examples/data", name);
        assumeTrue(Files.exists(path), name + " absent: run scripts/fetch-data.sh (Debian package opencv-doc)");
        return path;
    }

    @Test
    void vtestIs768By576At10Fps() throws Exception {
        VideoFrameReader.VideoInfo info = VideoFrameReader.probe(video("vtest.avi"));
        assertEquals(768, info.width());
        assertEquals(576, info.height());
        assertEquals(10.0, info.frameRate(), 1e-9);
    }

    @Test
    void vtestGives795GreyFramesTenthOfASecondApartInUnitRange() throws Exception {
        FrameSequence seq = new VideoFrameReader(VideoFrameReader.Options.of(64, 48, ColorMode.GREY))
                .read(video("vtest.avi"));
        assertEquals(795, seq.size());
        assertEquals(new GridShape(1, 48, 64), seq.shape());
        assertEquals(Duration.ofMillis(100), seq.nominalStep());
        assertEquals(Instant.EPOCH.plusMillis(79_400), seq.frame(794).time());
        float min = 1;
        float max = 0;
        for (TimedFrame f : seq.frames()) {
            for (float v : f.data()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertTrue(min >= 0 && max <= 1 && max - min > 0.5, "grey range " + min + ".." + max);
    }

    @Test
    void rgbFramesHaveThreeChannelsAndRangeLimits() throws Exception {
        FrameSequence seq = new VideoFrameReader(VideoFrameReader.Options.of(32, 24, ColorMode.RGB).range(10, 5))
                .read(video("vtest.avi"));
        assertEquals(5, seq.size());
        assertEquals(new GridShape(3, 24, 32), seq.shape());
        assertEquals(Instant.EPOCH.plusMillis(1000), seq.frame(0).time());
        assertNotEquals(seq.frame(0).value(0, 12, 16), seq.frame(0).value(2, 12, 16));
    }

    @Test
    void treeHasIrregularTimestampsWithGapsOverHalfASecond() throws Exception {
        FrameSequence seq = new VideoFrameReader(VideoFrameReader.Options.of(32, 24, ColorMode.GREY))
                .read(video("tree.avi"));
        assertEquals(68, seq.size());
        assertNull(seq.nominalStep());
        Duration maxGap = Duration.ZERO;
        for (int i = 1; i < seq.size(); i++) {
            Duration gap = Duration.between(seq.frame(i - 1).time(), seq.frame(i).time());
            maxGap = gap.compareTo(maxGap) > 0 ? gap : maxGap;
        }
        assertTrue(maxGap.compareTo(Duration.ofMillis(500)) > 0, "max gap " + maxGap);
    }

    @Test
    void absentVideoNamesTheFile() {
        DataSourceException e = assertThrows(DataSourceException.class,
                () -> new VideoFrameReader(VideoFrameReader.Options.of(8, 8, ColorMode.GREY)).read(Path.of("nope.avi")));
        assertTrue(e.getMessage().contains("nope.avi"), e.getMessage());
    }
}
