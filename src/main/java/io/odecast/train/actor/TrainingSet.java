package io.odecast.train.actor;

import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameDecodeException;
import io.odecast.kafka.FrameMessage;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recorded frames of one model's streams on disk, bounded: frames are appended to the newest segment file
 * ({@code seg-<epoch millis>.frames}, length-prefixed {@code Frame} messages), a segment is closed once it holds
 * {@code segmentBytes} or is {@code segmentAge} old, and the oldest segments are deleted while the set holds more
 * than {@code maxBytes} or they are older than {@code maxAge}. Thread-safe: the recorder appends while the
 * training round reads.
 */
public final class TrainingSet {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingSet.class);
    private static final String SUFFIX = ".frames";

    /** Size and age limits of a training set. */
    public record Limits(long maxBytes, Duration maxAge, long segmentBytes, Duration segmentAge) {
        public Limits {
            if (maxBytes < 1 || segmentBytes < 1 || segmentBytes > maxBytes) {
                throw new IllegalArgumentException("training set needs 1 <= segment-bytes <= max-bytes, got "
                        + segmentBytes + " and " + maxBytes);
            }
        }
    }

    private final Path dir;
    private final Limits limits;
    private final Clock clock;
    private Path current;
    private Instant currentStarted;
    private DataOutputStream out;
    private long currentBytes;

    public TrainingSet(Path dir, Limits limits, Clock clock) throws IOException {
        this.dir = dir;
        this.limits = limits;
        this.clock = clock;
        Files.createDirectories(dir);
    }

    /** Appends a frame, rolling and trimming the segments as the limits say. */
    public synchronized void append(FrameMessage frame) throws IOException {
        Instant now = clock.instant();
        byte[] bytes = FrameCodec.encode(frame);
        if (out == null || currentBytes >= limits.segmentBytes()
                || !now.isBefore(currentStarted.plus(limits.segmentAge()))) {
            roll(now);
        }
        out.writeInt(bytes.length);
        out.write(bytes);
        currentBytes += 4 + bytes.length;
        if (currentBytes >= limits.segmentBytes()) {
            out.flush();
            trim(now);
        }
    }

    private void roll(Instant now) throws IOException {
        closeSegment();
        // Names order the segments: a new one is always named after every existing one, even within a millisecond.
        long millis = now.toEpochMilli();
        for (Path p : segments()) {
            millis = Math.max(millis, started(p).toEpochMilli() + 1);
        }
        current = dir.resolve("seg-" + millis + SUFFIX);
        currentStarted = now;
        currentBytes = 0;
        out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(current), 1 << 16));
        trim(now);
    }

    /** Deletes the oldest closed segments beyond the size budget or the age limit. */
    private void trim(Instant now) throws IOException {
        List<Path> segments = segments();
        long total = 0;
        for (Path p : segments) {
            total += Files.size(p);
        }
        for (Path p : segments) {
            if (p.equals(current)) {
                break;
            }
            boolean tooOld = started(p).plus(limits.maxAge()).isBefore(now);
            if (total <= limits.maxBytes() && !tooOld) {
                break;
            }
            total -= Files.size(p);
            Files.delete(p);
            LOG.debug("Training set {}: dropped segment {} ({})", dir, p.getFileName(), tooOld ? "age" : "size");
        }
    }

    /**
     * Hands what was appended to the operating system (the open segment's buffer), so that a kill of the process
     * after this loses none of it.
     */
    public synchronized void flush() throws IOException {
        if (out != null) {
            out.flush();
        }
    }

    /** Bytes on disk. */
    public synchronized long bytes() throws IOException {
        if (out != null) {
            out.flush();
        }
        long total = 0;
        for (Path p : segments()) {
            total += Files.size(p);
        }
        return total;
    }

    /**
     * Every recorded frame by stream, each stream's frames in event-time order, one per time (the latest recorded
     * wins: a replayed frame does not count twice).
     */
    public synchronized Map<String, List<FrameMessage>> frames() throws IOException {
        if (out != null) {
            out.flush();
        }
        Map<String, TreeMap<Instant, FrameMessage>> byStream = new LinkedHashMap<>();
        for (Path p : segments()) {
            try (InputStream is = Files.newInputStream(p); DataInputStream in = new DataInputStream(is)) {
                while (true) {
                    int length;
                    try {
                        length = in.readInt();
                    } catch (EOFException e) {
                        break;
                    }
                    byte[] bytes = new byte[length];
                    try {
                        in.readFully(bytes);
                    } catch (EOFException e) {
                        LOG.warn("Training set segment {} ends inside a frame (cut by a crash); rest skipped", p);
                        break;
                    }
                    try {
                        FrameMessage f = FrameCodec.decode(bytes);
                        byStream.computeIfAbsent(f.streamId(), k -> new TreeMap<>()).put(f.eventTime(), f);
                    } catch (FrameDecodeException e) {
                        LOG.warn("Training set segment {}: unreadable frame skipped: {}", p, e.getMessage());
                    }
                }
            }
        }
        Map<String, List<FrameMessage>> out = new LinkedHashMap<>();
        byStream.forEach((id, frames) -> out.put(id, List.copyOf(frames.values())));
        return out;
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("seg-")
                            && p.getFileName().toString().endsWith(SUFFIX))
                    .sorted(Comparator.comparing(TrainingSet::started).thenComparing(Path::toString)).toList();
        }
    }

    private static Instant started(Path segment) {
        String name = segment.getFileName().toString();
        return Instant.ofEpochMilli(Long.parseLong(name.substring(4, name.length() - SUFFIX.length())));
    }

    private void closeSegment() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }

    /** Closes the open segment. */
    public synchronized void close() throws IOException {
        closeSegment();
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }
}
