package io.odecast.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Reads a video file with JavaCV's {@link FFmpegFrameGrabber} into a {@link FrameSequence} of values in [0,1].
 *
 * <p>FFmpeg's swscale converts each frame to grey (luma) or RGB and resizes it with area averaging, so no
 * OpenCV natives are needed. Each frame keeps its real presentation timestamp ({@code Instant.EPOCH} plus the
 * timestamp), so variable-rate files such as {@code tree.avi} show their gaps.
 */
public final class VideoFrameReader {

    /**
     * What to read.
     *
     * @param width      output width in pixels
     * @param height     output height in pixels
     * @param mode       grey or RGB
     * @param startFrame number of decoded frames to skip
     * @param maxFrames  at most this many frames; 0 for all
     */
    public record Options(int width, int height, ColorMode mode, int startFrame, int maxFrames) {

        /** Checks the sizes. */
        public Options {
            if (width <= 0 || height <= 0 || startFrame < 0 || maxFrames < 0) {
                throw new IllegalArgumentException("video options need positive size and non-negative counts, got "
                        + width + "x" + height + " start " + startFrame + " max " + maxFrames);
            }
        }

        /** All frames, resized to {@code width x height} in {@code mode}. */
        public static Options of(int width, int height, ColorMode mode) {
            return new Options(width, height, mode, 0, 0);
        }

        /** The same options limited to {@code max} frames from frame {@code start}. */
        public Options range(int start, int max) {
            return new Options(width, height, mode, start, max);
        }
    }

    /**
     * What a video file holds, as its container reports it.
     *
     * @param width          frame width in pixels
     * @param height         frame height in pixels
     * @param frameRate      nominal frames per second
     * @param lengthInFrames frame count estimated from the duration and the nominal rate (not the coded count)
     * @param duration       container duration
     */
    public record VideoInfo(int width, int height, double frameRate, int lengthInFrames, Duration duration) {
    }

    private final Options options;

    /** A reader with these options. */
    public VideoFrameReader(Options options) {
        this.options = options;
    }

    /** Reports the size, rate and length of {@code file} without decoding its frames. */
    public static VideoInfo probe(Path file) throws IOException {
        requireFile(file);
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.start();
            VideoInfo info = new VideoInfo(g.getImageWidth(), g.getImageHeight(), g.getVideoFrameRate(),
                    g.getLengthInVideoFrames(), Duration.ofNanos(g.getLengthInTime() * 1000));
            g.stop();
            return info;
        } catch (FrameGrabber.Exception e) {
            throw new DataSourceException(file, "cannot open video: " + e.getMessage(), e);
        }
    }

    /**
     * Decodes the frames of {@code file}.
     *
     * @throws DataSourceException if the file is absent or FFmpeg cannot decode it
     */
    public FrameSequence read(Path file) throws IOException {
        requireFile(file);
        ColorMode mode = options.mode();
        GridShape shape = new GridShape(mode.channelCount(), options.height(), options.width());
        List<TimedFrame> frames = new ArrayList<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setImageWidth(options.width());
            g.setImageHeight(options.height());
            g.setPixelFormat(mode == ColorMode.GREY ? avutil.AV_PIX_FMT_GRAY8 : avutil.AV_PIX_FMT_RGB24);
            g.setImageScalingFlags(swscale.SWS_AREA);
            g.start();
            int index = 0;
            Frame frame;
            while ((frame = g.grabImage()) != null) {
                if (index++ < options.startFrame()) {
                    continue;
                }
                Instant time = Instant.EPOCH.plusNanos(g.getTimestamp() * 1000);
                frames.add(TimedFrame.of(time, mode.channels(), shape, toPlanes(frame, shape)));
                if (options.maxFrames() > 0 && frames.size() == options.maxFrames()) {
                    break;
                }
            }
            g.stop();
        } catch (FrameGrabber.Exception e) {
            throw new DataSourceException(file, "cannot decode video: " + e.getMessage(), e);
        }
        String[] units = new String[shape.channels()];
        Arrays.fill(units, "1");
        List<Instant> times = frames.stream().map(TimedFrame::time).toList();
        return new FrameSequence(file.getFileName().toString(), mode.channels(), shape, frames, null, null, units,
                Double.NaN, FrameSequence.regularStep(times));
    }

    /** Interleaved 8-bit pixels (with row stride) to planar floats in [0,1]. */
    private static float[] toPlanes(Frame frame, GridShape shape) {
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        int c = shape.channels();
        int h = shape.height();
        int w = shape.width();
        int stride = frame.imageStride;
        float[] out = new float[shape.size()];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int k = 0; k < c; k++) {
                    out[shape.index(k, y, x)] = (buf.get(y * stride + x * c + k) & 0xff) / 255f;
                }
            }
        }
        return out;
    }

    private static void requireFile(Path file) throws DataSourceException {
        if (!Files.isRegularFile(file)) {
            throw new DataSourceException(file, "video file not found");
        }
    }
}
