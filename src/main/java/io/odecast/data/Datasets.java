package io.odecast.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The real data sets odecast ships models for, read the same way by training, evaluation, publish and demo.
 */
public final class Datasets {

    /** Start of the storm data (the file has no time units; its reftime text says so). */
    public static final Instant STORM_START = Instant.parse("1996-01-05T00:00:00Z");
    /** The storm data's step. */
    public static final Duration STORM_STEP = Duration.ofHours(6);
    /** Storm grid: latitude 20..60 by 1.25, longitude -140..-52.5 by 2.5. */
    public static final double STORM_LAT0 = 20;
    public static final double STORM_DLAT = 1.25;
    public static final double STORM_LON0 = -140;
    public static final double STORM_DLON = 2.5;

    private static final Path[] STORM_DIRS = {Path.of("data/storm"), Path.of("tests/resources/fixtures/storm"),
        Path.of("/usr/share/ncarg/data/cdf")};
    private static final Path[] VIDEO_DIRS = {Path.of("data/video"), Path.of("/usr/share/doc/opencv-doc/examples/data")};

    private Datasets() {
    }

    /** The first folder holding {@code Ustorm.cdf}: data/storm, the test fixtures, or Debian's libncarg-data. */
    public static Path stormDir() throws IOException {
        for (Path p : STORM_DIRS) {
            if (Files.isRegularFile(p.resolve("Ustorm.cdf"))) {
                return p;
            }
        }
        throw new DataSourceException(STORM_DIRS[0], "storm data not found (run scripts/fetch-data.sh, which installs"
                + " Debian's libncarg-data)");
    }

    /** A video by name (vtest, tree) from data/video or Debian's opencv-doc. */
    public static Path video(String name) throws IOException {
        for (Path p : VIDEO_DIRS) {
            Path f = p.resolve(name + ".avi");
            if (Files.isRegularFile(f)) {
                return f;
            }
        }
        throw new DataSourceException(VIDEO_DIRS[0].resolve(name + ".avi"), "video not found (run scripts/fetch-data.sh,"
                + " which installs Debian's opencv-doc)");
    }

    /** u, v (m/s) and sea-level pressure p (hPa, converted from the file's Pa), 64 six-hourly frames. */
    public static FrameSequence storm(Path dir) throws IOException {
        return NetcdfFrameReader.builder()
                .variable(NetcdfFrameReader.VariableSpec.of(dir.resolve("Ustorm.cdf"), "u").scaled(1, "m s-1"))
                .variable(NetcdfFrameReader.VariableSpec.of(dir.resolve("Vstorm.cdf"), "v").scaled(1, "m s-1"))
                .variable(NetcdfFrameReader.VariableSpec.of(dir.resolve("Pstorm.cdf"), "p").scaled(0.01, "hPa"))
                .timeOverride(NetcdfFrameReader.TimeOverride.regular(STORM_START, STORM_STEP))
                .build()
                .read("storm");
    }

    /** A grey video resized to width x height, with its real frame timestamps. */
    public static FrameSequence greyVideo(Path file, int width, int height) throws IOException {
        return new VideoFrameReader(VideoFrameReader.Options.of(width, height, ColorMode.GREY)).read(file);
    }

    /** Parses WIDTHxHEIGHT. */
    public static int[] size(String text) {
        String[] parts = text.toLowerCase(Locale.ROOT).split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("size must be WIDTHxHEIGHT, e.g. 64x48, got '" + text + "'");
        }
        try {
            return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size must be WIDTHxHEIGHT, e.g. 64x48, got '" + text + "'");
        }
    }
}
