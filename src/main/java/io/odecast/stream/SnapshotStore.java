package io.odecast.stream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The local state store: the latest snapshot of each stream of this instance's partitions, one file per stream
 * under {@code <state-dir>/<instance-id>/<partition>/}. It is a cache of the state topic, rebuilt from it whenever
 * a partition is assigned, so it holds the states of evicted streams on disk instead of in memory and brings them
 * back exactly when their streams return. Files are written to a temporary name and moved into place, so a crash
 * leaves either the old snapshot or the new one.
 *
 * <p>A file per stream instead of an embedded key-value store (RocksDB, as Kafka Streams uses): snapshots are
 * written at most every few frames per stream and read once per return, well within what a file system does, and
 * it needs no native library; the choice is recorded in docs/architecture.md.
 */
class SnapshotStore {
    private final Path root;

    SnapshotStore(Path root) {
        this.root = root;
    }

    /** Name of a partition folder's checkpoint: the state-topic offset up to which the folder equals the topic. */
    private static final String CHECKPOINT = "checkpoint";

    /**
     * Records that {@code partition}'s folder holds exactly the state topic's latest snapshots up to {@code offset}
     * (written after a clean hand-over, when every local write is committed), so that the next assignment reads only
     * what came after it. The file names the topic ({@code identity}) and is synced, with its folder.
     */
    void checkpoint(int partition, long offset, Instant now, String identity) {
        Path dir = dir(partition);
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(CHECKPOINT + ".tmp");
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(("offset=" + offset + "\nwritten=" + now.toEpochMilli()
                        + "\ntopic=" + identity + "\n").getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
            Files.move(tmp, dir.resolve(CHECKPOINT), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            syncFolder(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the checkpoint of " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Takes {@code partition}'s checkpoint (it is deleted, and the deletion synced: from now on the folder changes
     * ahead of the topic, and neither a crash nor a power loss must bring the checkpoint back): its offset, when it
     * names this topic and was written at most {@code checkpoints.maxAge()} before {@code now} (and not after it),
     * else empty.
     */
    Optional<Long> takeCheckpoint(int partition, Instant now, StateCheckpoints checkpoints) {
        Path dir = dir(partition);
        Path file = dir.resolve(CHECKPOINT);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Optional<Long> usable = Optional.empty();
        try {
            List<String> lines = Files.readAllLines(file);
            long offset = Long.parseLong(lines.get(0).substring("offset=".length()));
            Instant written = Instant.ofEpochMilli(Long.parseLong(lines.get(1).substring("written=".length())));
            String topic = lines.get(2).substring("topic=".length());
            if (checkpoints.enabled() && topic.equals(checkpoints.identity()) && offset >= 0 && !written.isAfter(now)
                    && now.isBefore(written.plus(checkpoints.maxAge()))) {
                usable = Optional.of(offset);
            }
        } catch (IOException | RuntimeException e) {
            // Unreadable: not used; the folder is rebuilt from the topic.
            usable = Optional.empty();
        }
        try {
            Files.deleteIfExists(file);
            syncFolder(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the checkpoint " + file + ": " + e.getMessage(), e);
        }
        return usable;
    }

    private static void syncFolder(Path dir) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a folder; the rename itself is still atomic.
            if (!(e instanceof java.nio.file.AccessDeniedException)) {
                throw e;
            }
        }
    }

    /** How many streams have a snapshot in {@code partition}'s folder. */
    int count(int partition) {
        Path dir = dir(partition);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(f -> f.getFileName().toString().endsWith(".snap")).count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the local state store " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes every snapshot of {@code partition}. */
    void clear(int partition) {
        Path dir = dir(partition);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the local state store " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores the latest snapshot of a stream, written at {@code writtenAt} (the file's modification time, which
     * {@link #forget} reads: a restore from the state topic passes the record's timestamp, so a stream's age survives
     * reassignments); a null value (tombstone) removes it.
     */
    void put(int partition, String streamId, byte[] snapshot, Instant writtenAt) {
        Path file = file(partition, streamId);
        try {
            if (snapshot == null) {
                Files.deleteIfExists(file);
                return;
            }
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, snapshot);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setLastModifiedTime(file, FileTime.from(writtenAt));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the snapshot of stream " + streamId + " to " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Deletes the snapshots of {@code partition} written before {@code cutoff}, except those of streams for which
     * {@code keep} holds (streams in memory), at most {@code limit} of them, and returns the ids of the streams
     * deleted.
     */
    List<String> forget(int partition, Instant cutoff, Predicate<String> keep, int limit) {
        Path dir = dir(partition);
        List<String> forgotten = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return forgotten;
        }
        FileTime before = FileTime.from(cutoff);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (forgotten.size() >= limit) {
                    break;
                }
                String name = f.getFileName().toString();
                if (!name.endsWith(".snap") || Files.getLastModifiedTime(f).compareTo(before) >= 0) {
                    continue;
                }
                String id = streamId(f, name.substring(0, name.length() - ".snap".length()));
                if (id != null && !keep.test(id)) {
                    Files.deleteIfExists(f);
                    forgotten.add(id);
                }
            }
        } catch (NoSuchFileException e) {
            return forgotten;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the local state store " + dir + ": " + e.getMessage(), e);
        }
        return forgotten;
    }

    /** The stream id of a snapshot file: its name's hex, or for a long id (a hashed name) the id the snapshot holds. */
    private static String streamId(Path file, String base) throws IOException {
        if (!base.startsWith("sha256-")) {
            try {
                return new String(HexFormat.of().parseHex(base), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        try {
            return io.odecast.proto.StateSnapshot.parseFrom(Files.readAllBytes(file)).getStreamId();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return null;
        }
    }

    /** The latest snapshot of a stream, if any. */
    Optional<byte[]> get(int partition, String streamId) {
        Path file = file(partition, streamId);
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the snapshot of stream " + streamId + " from " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private Path dir(int partition) {
        return root.resolve(Integer.toString(partition));
    }

    /** Hex of the id's UTF-8 bytes (reversible, safe in any file system), or of its SHA-256 when long. */
    private Path file(int partition, String streamId) {
        byte[] bytes = streamId.getBytes(StandardCharsets.UTF_8);
        String name = bytes.length <= 100 ? HexFormat.of().formatHex(bytes) : "sha256-" + sha256(bytes);
        return dir(partition).resolve(name + ".snap");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
