package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An MPEG-4 Part 2 (XVID-like) AVI with B-frames, written here with FFmpeg: FFmpeg hands its frames back with
 * decode times late by one frame and the last one at 0. Frame {@code i} is a flat grey of level
 * {@code 16 + 6 i}, so the order they come out in is visible.
 */
class BFrameVideoTest {

    private static final int FRAMES = 36;
    private static final int FPS = 10;
    private static final int WIDTH = 32;
    private static final int HEIGHT = 24;

    @TempDir
    static Path dir;
    static Path video;

    @BeforeAll
    static void writeBFrameAvi() throws Exception {
        video = dir.resolve("bframes.avi");
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(video.toFile(), WIDTH, HEIGHT, 0)) {
            recorder.setFormat("avi");
            recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(FPS);
            recorder.setGopSize(12);
            recorder.setVideoQuality(2);
            recorder.setVideoOption("bf", "2");
            recorder.start();
            for (int i = 0; i < FRAMES; i++) {
                Frame frame = new Frame(WIDTH, HEIGHT, Frame.DEPTH_UBYTE, 1);
                ByteBuffer pixels = (ByteBuffer) frame.image[0];
                for (int k = 0; k < frame.imageStride * HEIGHT; k++) {
                    pixels.put(k, (byte) level(i));
                }
                recorder.record(frame, avutil.AV_PIX_FMT_GRAY8);
            }
            recorder.stop();
        }
    }

    private static int level(int i) {
        return 16 + 6 * i;
    }

    private static int indexOf(TimedFrame frame) {
        return (int) Math.round((frame.value(0, HEIGHT / 2, WIDTH / 2) * 255 - 16) / 6.0);
    }

    @Test
    void framesComeOutInWrittenOrderAtIndexOverFrameRate() throws Exception {
        List<String> warnings = new ArrayList<>();
        FrameSequence seq = new VideoFrameReader(VideoFrameReader.Options.of(WIDTH, HEIGHT, ColorMode.GREY),
                warnings::add).read(video);
        assertEquals(FRAMES, seq.size());
        for (int i = 0; i < FRAMES; i++) {
            assertEquals(i, indexOf(seq.frame(i)), "frame " + i + " holds another frame's picture");
            assertEquals(Instant.EPOCH.plusMillis(i * 1000L / FPS), seq.frame(i).time(), "time of frame " + i);
        }
        assertEquals(Duration.ofMillis(100), seq.nominalStep());
    }

    @Test
    void replacingTheContainerTimesIsOneWarningNamingTheFile() throws Exception {
        List<String> warnings = new ArrayList<>();
        new VideoFrameReader(VideoFrameReader.Options.of(WIDTH, HEIGHT, ColorMode.GREY), warnings::add).read(video);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("bframes.avi") && warnings.get(0).contains("B-frames"), warnings.get(0));
    }

    @Test
    void aRangeKeepsTheTimesOfTheWholeFile() throws Exception {
        FrameSequence seq = new VideoFrameReader(VideoFrameReader.Options.of(WIDTH, HEIGHT, ColorMode.GREY)
                .range(5, 10), w -> { }).read(video);
        assertEquals(10, seq.size());
        assertEquals(5, indexOf(seq.frame(0)));
        assertEquals(Instant.EPOCH.plusMillis(500), seq.frame(0).time());
        assertEquals(Instant.EPOCH.plusMillis(1400), seq.frame(9).time());
    }
}
