package io.odecast.data;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An ordered sequence of frames of one stream, with the metadata a model checkpoint needs.
 *
 * @param name        stream or data set name
 * @param channels    channel names
 * @param shape       shape shared by every frame
 * @param frames      frames in increasing time order
 * @param lat         latitude of each row, or {@code null} when the grid has no 1-D latitude axis
 * @param lon         longitude of each column, or {@code null}
 * @param units       physical units per channel ({@code "1"} for images scaled to [0,1], {@code ""} if unknown)
 * @param fillValue   value written back for invalid cells ({@code NaN} when the source has none)
 * @param nominalStep spacing between consecutive frames when they are regular, else {@code null}
 */
public record FrameSequence(String name, List<String> channels, GridShape shape, List<TimedFrame> frames,
                            double[] lat, double[] lon, String[] units, double fillValue, Duration nominalStep) {

    /** Checks that every frame matches the sequence's channels and shape and that times increase. */
    public FrameSequence {
        Objects.requireNonNull(name, "name");
        channels = List.copyOf(channels);
        frames = List.copyOf(frames);
        if (units != null && units.length != shape.channels()) {
            throw new IllegalArgumentException(name + ": " + units.length + " units for " + shape.channels() + " channels");
        }
        if (lat != null && lat.length != shape.height() || lon != null && lon.length != shape.width()) {
            throw new IllegalArgumentException(name + ": lat/lon axes do not match grid " + shape);
        }
        Instant previous = null;
        for (TimedFrame f : frames) {
            if (!f.shape().equals(shape) || !f.channels().equals(channels)) {
                throw new IllegalArgumentException(name + ": frame at " + f.time() + " has shape " + f.shape()
                        + " " + f.channels() + ", expected " + shape + " " + channels);
            }
            if (previous != null && !f.time().isAfter(previous)) {
                throw new IllegalArgumentException(name + ": frame times must increase, " + f.time()
                        + " follows " + previous);
            }
            previous = f.time();
        }
    }

    /** Number of frames. */
    public int size() {
        return frames.size();
    }

    /** Frame at position {@code i}. */
    public TimedFrame frame(int i) {
        return frames.get(i);
    }

    /** The regular spacing, if the frames are regular. */
    public Optional<Duration> step() {
        return Optional.ofNullable(nominalStep);
    }

    /** Times of all frames. */
    public List<Instant> times() {
        return frames.stream().map(TimedFrame::time).toList();
    }

    /** Positions of frames flagged {@link TimedFrame#missing()}. */
    public List<Integer> missingIndices() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).missing()) {
                out.add(i);
            }
        }
        return out;
    }

    /** The same sequence restricted to frames {@code [from, to)}. */
    public FrameSequence slice(int from, int to) {
        return new FrameSequence(name, channels, shape, frames.subList(from, to), lat, lon, units, fillValue,
                nominalStep);
    }

    /**
     * The typical spacing of the frames: the nominal step when regular, else the median gap (so that a few long
     * gaps of an irregular archive do not set the time unit); {@code null} with fewer than two frames.
     */
    public Duration typicalStep() {
        if (nominalStep != null || frames.size() < 2) {
            return nominalStep;
        }
        List<Duration> gaps = new ArrayList<>(frames.size() - 1);
        for (int i = 1; i < frames.size(); i++) {
            gaps.add(Duration.between(frames.get(i - 1).time(), frames.get(i).time()));
        }
        gaps.sort(null);
        return gaps.get(gaps.size() / 2);
    }

    /**
     * The common spacing of {@code times}, or {@code null} when fewer than two times are given or the gaps
     * differ.
     */
    public static Duration regularStep(List<Instant> times) {
        if (times.size() < 2) {
            return null;
        }
        Duration step = Duration.between(times.get(0), times.get(1));
        for (int i = 2; i < times.size(); i++) {
            if (!Duration.between(times.get(i - 1), times.get(i)).equals(step)) {
                return null;
            }
        }
        return step;
    }
}
