package io.odecast.cli;

import io.odecast.data.BouncingBalls;
import io.odecast.data.ColorMode;
import io.odecast.data.Datasets;
import io.odecast.data.FrameSequence;
import io.odecast.data.GridCrop;
import io.odecast.data.GridResampler;
import io.odecast.data.ImageFolderReader;
import io.odecast.data.NetcdfFrameReader;
import io.odecast.data.TimedFrame;
import io.odecast.data.VariableArgument;
import io.odecast.data.VideoFrameReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The data options shared by {@code publish}, {@code train} and {@code evaluate}, so that one set of words reads
 * any source the same way: NetCDF/GRIB variables, a video, an image folder, or a built-in data set by name; then
 * a level, a crop and a resample to the model's size.
 */
final class DataSourceOptions {

    /** Data read by these options and what a model card needs to know about it. */
    record Loaded(FrameSequence frames, boolean imagery, Duration timeUnit, String description) {
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--dataset", paramLabel = "NAME",
            description = "A built-in data set: storm (u, v, p of the 1996 blizzard), vtest or tree (grey video),"
                    + " balls (synthetic).")
    String dataset;

    @Option(names = "--data", paramLabel = "PATH", description = "With --dataset: folder (storm) or file (video) to read instead.")
    Path data;

    @Option(names = {"--netcdf", "--grib"}, paramLabel = "FILE[:VAR[:NAME[:SCALE[:UNITS]]]]",
            description = "A NetCDF or GRIB variable as one channel; repeat for several files or several variables"
                    + " of one file (e.g. Pstorm.cdf:p:p:0.01:hPa).")
    List<String> variables = new ArrayList<>();

    @Option(names = "--video", paramLabel = "FILE", description = "A video file (decoded with FFmpeg).")
    Path video;

    @Option(names = "--images", paramLabel = "DIR", description = "A folder of PNG/JPEG images in name order (timed by --time-start/--time-step, default 100 ms apart).")
    Path images;

    @Option(names = "--time-start", paramLabel = "INSTANT",
            description = "Override the file's times: time of the first frame (ISO instant), with --time-step.")
    String timeStart;

    @Option(names = "--time-step", paramLabel = "DURATION",
            description = "Override the file's times: spacing of frames (PT6H or 6h, 30m, 10s, 100ms), with --time-start.")
    String timeStep;

    @Option(names = "--level", paramLabel = "INDEX", description = "Level of 4-D variables by index.")
    Integer level;

    @Option(names = "--level-value", paramLabel = "VALUE",
            description = "Level of 4-D variables by coordinate value (e.g. 500; pressure in Pa also as hPa).")
    Double levelValue;

    @Option(names = "--crop", paramLabel = "LAT0:LAT1:LON0:LON1", description = "Keep the cells in this latitude/longitude box.")
    String crop;

    @Option(names = "--crop-cells", paramLabel = "ROW0:ROW1:COL0:COL1",
            description = "Keep rows ROW0..ROW1-1 and columns COL0..COL1-1 (for grids without lat/lon axes).")
    String cropCells;

    @Option(names = "--size", paramLabel = "WxH",
            description = "Resample frames to WIDTHxHEIGHT (grids: area average after the crop; video default 64x48"
                    + " for train and evaluate, the video's own for publish).")
    String size;

    @Option(names = "--grey", description = "Video and images as one luma channel (the default).")
    boolean grey;

    @Option(names = "--rgb", description = "Video and images as three channels r, g, b.")
    boolean rgb;

    @Option(names = "--max-frames", defaultValue = "0", paramLabel = "N", description = "Read at most N video frames (0: all).")
    int maxFrames;

    /**
     * Reads the chosen source.
     *
     * @param defaultVideoSize video size when {@code --size} is not given, or {@code null} for the video's own
     * @throws CommandLine.ParameterException for a missing, doubled or malformed option
     */
    Loaded read(String defaultVideoSize) throws IOException {
        int sources = (dataset != null ? 1 : 0) + (variables.isEmpty() ? 0 : 1) + (video != null ? 1 : 0)
                + (images != null ? 1 : 0);
        if (sources != 1) {
            throw usage("give one source: --dataset NAME, --netcdf/--grib FILE:VAR (repeatable), --video FILE or"
                    + " --images DIR");
        }
        if (data != null && dataset == null) {
            throw usage("--data goes with --dataset; give your own files with --netcdf, --grib, --video or --images");
        }
        if (grey && rgb) {
            throw usage("--grey and --rgb exclude each other");
        }
        if ((timeStart == null) != (timeStep == null)) {
            throw usage("--time-start and --time-step go together");
        }
        if (level != null && levelValue != null) {
            throw usage("--level and --level-value exclude each other");
        }
        if (crop != null && cropCells != null) {
            throw usage("--crop and --crop-cells exclude each other");
        }
        if (maxFrames < 0) {
            throw usage("--max-frames must not be negative, got " + maxFrames);
        }
        Loaded loaded;
        if (dataset != null) {
            loaded = retimed(builtIn(defaultVideoSize));
        } else if (!variables.isEmpty()) {
            FrameSequence grid = readGrid();
            loaded = new Loaded(grid, false, unitOf(grid), "grid " + String.join(" ", variables));
        } else if (video != null) {
            FrameSequence frames = readVideo(defaultVideoSize);
            loaded = retimed(new Loaded(frames, true, unitOf(frames), "video " + video));
        } else {
            FrameSequence frames = readImages(defaultVideoSize);
            loaded = new Loaded(frames, true, unitOf(frames), "images " + images);
        }
        return new Loaded(reshape(loaded.frames()), loaded.imagery(), loaded.timeUnit(), loaded.description());
    }

    /**
     * With {@code --time-start/--time-step}, the source's frames placed at the given times (grid files and image
     * folders take the override while they are read; built-in data sets and video take it here).
     */
    private Loaded retimed(Loaded loaded) {
        if (timeStart == null) {
            return loaded;
        }
        FrameSequence s = loaded.frames();
        Instant first = start();
        Duration step = step();
        List<TimedFrame> frames = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            frames.add(s.frame(i).at(first.plus(step.multipliedBy(i))));
        }
        return new Loaded(new FrameSequence(s.name(), s.channels(), s.shape(), frames, s.lat(), s.lon(), s.units(),
                s.fillValue(), step), loaded.imagery(), step, loaded.description());
    }

    private Loaded builtIn(String defaultVideoSize) throws IOException {
        Duration video = Duration.ofMillis(100);
        return switch (dataset) {
            case "storm" -> new Loaded(Datasets.storm(data != null ? data : Datasets.stormDir()), false,
                    Datasets.STORM_STEP, "storm");
            case "vtest", "tree" -> {
                int[] wh = size(size != null ? size : defaultVideoSize != null ? defaultVideoSize : "64x48");
                VideoFrameReader.Options options = VideoFrameReader.Options.of(wh[0], wh[1], mode()).range(0, maxFrames);
                yield new Loaded(new VideoFrameReader(options).read(data != null ? data : Datasets.video(dataset)), true,
                        video, dataset);
            }
            case "balls" -> new Loaded(new BouncingBalls(32, 32, 3, 3.5, 1.2, 1).regular(400, video), true, video,
                    "balls");
            default -> throw usage("unknown dataset '" + dataset + "': use storm, vtest, tree or balls, or give your"
                    + " own data with --netcdf, --grib, --video or --images");
        };
    }

    private FrameSequence readGrid() throws IOException {
        NetcdfFrameReader.Builder reader = NetcdfFrameReader.builder();
        for (String argument : variables) {
            try {
                reader.variable(VariableArgument.parse(argument));
            } catch (IllegalArgumentException e) {
                throw usage("--netcdf " + e.getMessage());
            }
        }
        if (timeStart != null) {
            reader.timeOverride(NetcdfFrameReader.TimeOverride.regular(start(), step()));
        }
        if (level != null) {
            reader.level(level);
        }
        if (levelValue != null) {
            reader.levelValue(levelValue);
        }
        String name = Path.of(variables.get(0).split(":", -1)[0]).getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return reader.build().read(name);
    }

    private FrameSequence readVideo(String defaultVideoSize) throws IOException {
        String wanted = size != null ? size : defaultVideoSize;
        int[] wh;
        if (wanted == null) {
            VideoFrameReader.VideoInfo info = VideoFrameReader.probe(video);
            wh = new int[] {info.width(), info.height()};
        } else {
            wh = size(wanted);
        }
        VideoFrameReader.Options options = VideoFrameReader.Options.of(wh[0], wh[1], mode()).range(0, maxFrames);
        return new VideoFrameReader(options).read(video);
    }

    private FrameSequence readImages(String defaultVideoSize) throws IOException {
        String wanted = size != null ? size : defaultVideoSize;
        if (wanted == null) {
            throw usage("--images needs --size WIDTHxHEIGHT");
        }
        int[] wh = size(wanted);
        Instant first = timeStart != null ? start() : Instant.EPOCH;
        Duration step = timeStep != null ? step() : Duration.ofMillis(100);
        return new ImageFolderReader(wh[0], wh[1], mode(), first, step).read(images);
    }

    /** The crop, then (for grids) the resample to --size; video was decoded at its size already. */
    private FrameSequence reshape(FrameSequence frames) {
        FrameSequence out = frames;
        try {
            if (crop != null) {
                double[] box = numbers("--crop", crop, "LAT0:LAT1:LON0:LON1");
                out = GridCrop.ofLatLon(out, box[0], box[1], box[2], box[3]).apply(out);
            } else if (cropCells != null) {
                double[] box = numbers("--crop-cells", cropCells, "ROW0:ROW1:COL0:COL1");
                for (double b : box) {
                    if (b != Math.rint(b) || Math.abs(b) > Integer.MAX_VALUE) {
                        throw usage("--crop-cells '" + cropCells + "' must be whole cell indices ROW0:ROW1:COL0:COL1");
                    }
                }
                out = new GridCrop((int) box[0], (int) box[1], (int) box[2], (int) box[3]).apply(out);
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        boolean grid = !variables.isEmpty() || "storm".equals(dataset);
        if (size != null && grid) {
            int[] wh = size(size);
            long bytes = (long) out.size() * out.shape().channels() * wh[0] * wh[1] * (Float.BYTES + 1);
            long heap = Runtime.getRuntime().maxMemory();
            if (bytes > heap / 2) {
                throw usage("--size " + size + ": " + out.size() + " frames of " + out.shape().channels()
                        + " channels at that size take " + (bytes >> 20) + " MiB, more than half the heap ("
                        + (heap >> 20) + " MiB)");
            }
            out = new GridResampler(wh[1], wh[0]).apply(out);
        }
        return out;
    }

    /**
     * Model time unit: one typical step of the data (a step is 0.1 model time, as a frame of the reference's
     * 10-frame windows); the built-in sets keep the units their shipped models were trained with.
     */
    private Duration unitOf(FrameSequence frames) {
        Duration step = frames.typicalStep();
        if (step == null || step.isZero() || step.isNegative()) {
            throw usage(frames.name() + " has fewer than two frames at distinct times; a model needs a sequence");
        }
        return step;
    }

    private ColorMode mode() {
        return rgb ? ColorMode.RGB : ColorMode.GREY;
    }

    private Instant start() {
        try {
            return Instant.parse(timeStart);
        } catch (DateTimeParseException e) {
            throw usage("--time-start '" + timeStart + "' is not an ISO instant such as 1996-01-05T00:00:00Z");
        }
    }

    private Duration step() {
        Duration step;
        try {
            step = PublishCommand.parseDuration(timeStep);
        } catch (IllegalArgumentException e) {
            throw usage("--time-step '" + timeStep + "' is not a duration such as PT6H, 6h, 30m, 10s or 100ms");
        }
        if (step.isZero() || step.isNegative()) {
            throw usage("--time-step must be positive, got " + timeStep);
        }
        return step;
    }

    /** Largest side {@code --size} accepts: far above any model here, far below what would exhaust memory. */
    static final int MAX_SIDE = 4096;

    /** The size {@code --size} asks for as {width, height}, or null when it is not given. */
    int[] requestedSize() {
        return size == null ? null : size(size);
    }

    private int[] size(String text) {
        Matcher m = Pattern.compile("(\\d+)x(\\d+)").matcher(text.toLowerCase(Locale.ROOT).trim());
        if (!m.matches()) {
            throw usage("--size '" + text + "' is not WIDTHxHEIGHT, e.g. 64x48");
        }
        for (int g = 1; g <= 2; g++) {
            String digits = m.group(g).replaceFirst("^0+(?=.)", "");
            if (digits.length() > 4 || Integer.parseInt(digits) > MAX_SIDE) {
                throw usage("--size '" + text + "' is larger than " + MAX_SIDE + " cells a side");
            }
            if (Integer.parseInt(digits) == 0) {
                throw usage("--size '" + text + "' is not WIDTHxHEIGHT, e.g. 64x48");
            }
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    private double[] numbers(String option, String text, String form) {
        String[] parts = text.split(":");
        if (parts.length != 4) {
            throw usage(option + " '" + text + "' is not " + form);
        }
        double[] out = new double[4];
        try {
            for (int i = 0; i < 4; i++) {
                out[i] = Double.parseDouble(parts[i].trim());
            }
        } catch (NumberFormatException e) {
            throw usage(option + " '" + text + "' is not " + form);
        }
        return out;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(command.commandLine(), message);
    }
}
