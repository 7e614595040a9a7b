package io.odecast.cli;

import io.odecast.data.ColorMode;
import io.odecast.data.FrameSequence;
import io.odecast.data.NetcdfFrameReader;
import io.odecast.data.VideoFrameReader;
import io.odecast.publish.FramePublisher;
import io.odecast.publish.NetcdfVariableArgument;
import io.odecast.publish.PublishSettings;
import io.odecast.publish.PublishSummary;
import io.odecast.publish.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code odecast publish}: NetCDF variables or a video to the frames topic, optionally made irregular. */
@Command(name = "publish",
        description = "Publish NetCDF variables or a video to Kafka as frames of one stream.")
final class PublishCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, host:port[,...].")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "odecast.frames", description = "Frames topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--stream-id", description = "Stream id and record key (default: the source's file name).")
    String streamId;

    @Option(names = "--netcdf", paramLabel = "FILE[:VAR[:NAME[:SCALE[:UNITS]]]]",
            description = "A NetCDF variable as one channel; repeat for several (e.g. Pstorm.cdf:p:p:0.01:hPa).")
    List<String> netcdf = new ArrayList<>();

    @Option(names = "--time-start", description = "Time of the first NetCDF step (ISO instant), with --time-step.")
    String timeStart;

    @Option(names = "--time-step", description = "Spacing of NetCDF steps (PT6H or 6h, 30m, 10s, 100ms).")
    String timeStep;

    @Option(names = "--level", description = "Level index of 4-D NetCDF variables.")
    Integer level;

    @Option(names = "--video", description = "A video file (decoded with FFmpeg).")
    Path video;

    @Option(names = "--size", paramLabel = "WxH", description = "Video frame size (default: the video's own).")
    String size;

    @Option(names = "--grey", description = "Video as one luma channel (the default).")
    boolean grey;

    @Option(names = "--rgb", description = "Video as three channels r, g, b.")
    boolean rgb;

    @Option(names = "--max-frames", defaultValue = "0", description = "Read at most this many video frames (0: all).")
    int maxFrames;

    @Option(names = "--timing", defaultValue = "fast",
            description = "fast, real (sleep the real gaps) or scaled:N (gaps divided by N) (default ${DEFAULT-VALUE}).")
    String timing;

    @Option(names = "--dropout", defaultValue = "0",
            description = "Probability of leaving out each frame after the first (default ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the dropout draws (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rebase-now", description = "Move event times so that the first frame is now; gaps are kept.")
    boolean rebaseNow;

    @Option(names = "--time-shift", description = "Add this to every event time (PT24H or 24h; negative: -PT1H).")
    String timeShift;

    @Option(names = "--send-partial", description = "Send frames where a whole channel is missing (default: skip them).")
    boolean sendPartial;

    @Override
    public Integer call() throws Exception {
        if (netcdf.isEmpty() == (video == null)) {
            throw usage("give one source: --netcdf FILE[:VAR...] (repeatable) or --video FILE");
        }
        if (grey && rgb) {
            throw usage("--grey and --rgb exclude each other");
        }
        if (rebaseNow && timeShift != null) {
            throw usage("--rebase-now and --time-shift exclude each other");
        }
        Timing pacing;
        try {
            pacing = Timing.parse(timing);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw usage("--dropout must be a probability in [0, 1), got " + dropout);
        }
        Duration shift = timeShift == null ? Duration.ZERO : duration("--time-shift", timeShift);
        FrameSequence frames = video != null ? readVideo() : readNetcdf();
        String id = streamId != null ? streamId : frames.name();
        PublishSettings settings = new PublishSettings(topic, id, pacing, dropout, seed, shift,
                rebaseNow ? Instant.now() : null, sendPartial,
                Map.of("source", video != null ? video.toString() : String.join(",", netcdf)));
        PublishSummary summary;
        try (FramePublisher publisher = FramePublisher.connect(bootstrapServers)) {
            summary = publisher.publish(frames, settings);
        }
        spec.commandLine().getOut().println("published stream " + id + " to " + topic + ": " + summary);
        return 0;
    }

    private FrameSequence readNetcdf() throws Exception {
        if ((timeStart == null) != (timeStep == null)) {
            throw usage("--time-start and --time-step go together");
        }
        NetcdfFrameReader.Builder reader = NetcdfFrameReader.builder();
        for (String argument : netcdf) {
            try {
                reader.variable(NetcdfVariableArgument.parse(argument));
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        if (timeStart != null) {
            Instant start;
            try {
                start = Instant.parse(timeStart);
            } catch (DateTimeParseException e) {
                throw usage("--time-start '" + timeStart + "' is not an ISO instant such as 1996-01-05T00:00:00Z");
            }
            Duration step = duration("--time-step", timeStep);
            if (step.isZero() || step.isNegative()) {
                throw usage("--time-step must be positive, got " + timeStep);
            }
            reader.timeOverride(NetcdfFrameReader.TimeOverride.regular(start, step));
        }
        if (level != null) {
            reader.level(level);
        }
        String name = Path.of(netcdf.get(0).split(":", -1)[0]).getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return reader.build().read(name);
    }

    private FrameSequence readVideo() throws Exception {
        int width;
        int height;
        if (size == null) {
            VideoFrameReader.VideoInfo info = VideoFrameReader.probe(video);
            width = info.width();
            height = info.height();
        } else {
            Matcher m = Pattern.compile("(\\d+)x(\\d+)").matcher(size.toLowerCase(Locale.ROOT));
            if (!m.matches() || Integer.parseInt(m.group(1)) == 0 || Integer.parseInt(m.group(2)) == 0) {
                throw usage("--size '" + size + "' is not WIDTHxHEIGHT, e.g. 64x48");
            }
            width = Integer.parseInt(m.group(1));
            height = Integer.parseInt(m.group(2));
        }
        if (maxFrames < 0) {
            throw usage("--max-frames must not be negative, got " + maxFrames);
        }
        ColorMode mode = rgb ? ColorMode.RGB : ColorMode.GREY;
        return new VideoFrameReader(VideoFrameReader.Options.of(width, height, mode).range(0, maxFrames)).read(video);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private Duration duration(String option, String text) {
        try {
            return parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw usage(option + " '" + text + "' is not a duration such as PT6H, 6h, 30m, 10s or 100ms");
        }
    }

    /** ISO-8601 ({@code PT6H}, {@code -PT1H}) or a number with a unit: {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}. */
    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.startsWith("P") || t.startsWith("-P")) {
            try {
                return Duration.parse(t);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not a duration: " + text, e);
            }
        }
        Matcher m = Pattern.compile("(-?\\d+)(ms|s|m|h|d)").matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
