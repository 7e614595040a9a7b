package io.odecast.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.slf4j.LoggerFactory;

/**
 * Reads a video file with JavaCV's {@link FFmpegFrameGrabber} into a {@link FrameSequence} of values in [0,1].
 *
 * <p>FFmpeg's swscale converts each frame to grey (luma) or RGB and resizes it with area averaging, so no
 * OpenCV natives are needed. Each frame keeps its real presentation timestamp ({@code Instant.EPOCH} plus the
 * timestamp), so variable-rate files such as {@code tree.avi} show their gaps. Where the container's times are
 * wrong (an AVI with B-frames holds decode times; flushed frames come back at 0) every frame is placed at its
 * index / frame rate instead, with one warning ({@link PresentationTimes}). The decoder hands frames back in
 * presentation order, B-frames reordered.
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

    static {
        // FFmpeg's own information lines (stream dumps, codec notes) are not for a user's terminal.
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    }

    private final Options options;
    private final Consumer<String> warnings;

    /** A reader with these options; warnings go to the log. */
    public VideoFrameReader(Options options) {
        this(options, LoggerFactory.getLogger(VideoFrameReader.class)::warn);
    }

    /** A reader with these options that hands its warnings (at most one per file) to {@code warnings}. */
    public VideoFrameReader(Options options, Consumer<String> warnings) {
        this.options = options;
        this.warnings = warnings;
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
        List<float[]> planes = new ArrayList<>();
        List<Long> micros = new ArrayList<>();
        PresentationTimes times;
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setImageWidth(options.width());
            g.setImageHeight(options.height());
            g.setPixelFormat(mode == ColorMode.GREY ? avutil.AV_PIX_FMT_GRAY8 : avutil.AV_PIX_FMT_RGB24);
            g.setImageScalingFlags(swscale.SWS_AREA);
            g.start();
            String distrust = decodeOrderTimes(g.getFormatContext());
            int index = 0;
            Frame frame;
            while ((frame = g.grabImage()) != null) {
                if (index++ < options.startFrame()) {
                    continue;
                }
                micros.add(g.getTimestamp());
                planes.add(toPlanes(frame, shape));
                if (options.maxFrames() > 0 && planes.size() == options.maxFrames()) {
                    break;
                }
            }
            times = PresentationTimes.resolve(micros.stream().mapToLong(Long::longValue).toArray(),
                    options.startFrame(), g.getVideoFrameRate(), distrust);
            g.stop();
        } catch (FrameGrabber.Exception e) {
            throw new DataSourceException(file, "cannot decode video: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new DataSourceException(file, "no usable frame times: " + e.getMessage(), e);
        }
        if (times.warning() != null) {
            warnings.accept(file + ": " + times.warning());
        }
        List<TimedFrame> frames = new ArrayList<>(planes.size());
        for (int k = 0; k < planes.size(); k++) {
            frames.add(TimedFrame.of(times.times().get(k), mode.channels(), shape, planes.get(k)));
        }
        String[] units = new String[shape.channels()];
        Arrays.fill(units, "1");
        return new FrameSequence(file.getFileName().toString(), mode.channels(), shape, frames, null, null, units,
                Double.NaN, FrameSequence.regularStep(times.times()));
    }

    /**
     * Why the container's times cannot be presentation times, or {@code null}: an AVI holds decode times only,
     * which are late by the reorder delay when the video stream has B-frames.
     */
    private static String decodeOrderTimes(AVFormatContext context) {
        if (context == null || context.iformat() == null || !context.iformat().name().getString().contains("avi")) {
            return null;
        }
        for (int s = 0; s < context.nb_streams(); s++) {
            AVStream stream = context.streams(s);
            if (stream.codecpar().codec_type() == avutil.AVMEDIA_TYPE_VIDEO && stream.codecpar().video_delay() > 0) {
                return "the AVI holds decode times and its video has B-frames (reorder delay "
                        + stream.codecpar().video_delay() + ")";
            }
        }
        return null;
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
