package io.odecast.stream;

import java.util.HashMap;
import java.util.Map;

/**
 * What this instance holds for one assigned partition of the frames topic: the states of its streams that are in
 * memory and where its input stands. Created on assignment (after its streams' snapshots are in the local store),
 * dropped on revocation; touched only by the engine's thread.
 *
 * @see StreamEngine
 */
final class PartitionTask {
    final int partition;
    /** The committed offset at assignment: records before it only rebuild state (their outputs exist). */
    final long processFrom;
    /** At-least-once: the newest input offset with a forecast on the forecasts topic at assignment, or -1. */
    final long replayedUpTo;
    /** Streams in memory, by id. */
    final Map<String, StreamStatus> active = new HashMap<>();
    /**
     * The start of the last engine step that held every frame fetched for this partition (no lag, nothing buffered),
     * or null when none has since the assignment. Streams silent for state-retention before then are gone; frames
     * that wait in a backlog after it cannot make a stream silent before it less silent (state-retention).
     */
    java.time.Instant caughtUpAt;
    /** When this loop was assigned the partition (for how long it has been behind). */
    java.time.Instant assignedAt;
    /** When the partition's snapshots were last checked against state-retention. */
    java.time.Instant lastRetentionCheck = java.time.Instant.MIN;
    /** Where replay started at assignment. */
    final long initialReplayFrom;
    /** The next offset to read: one past the last record processed (or replayed). */
    long nextOffset;
    /** The offset and replay point last committed. */
    long committedOffset;
    long committedReplayFrom;

    PartitionTask(int partition, long processFrom, long replayFrom, long replayedUpTo) {
        this.partition = partition;
        this.processFrom = processFrom;
        this.replayedUpTo = replayedUpTo;
        this.initialReplayFrom = replayFrom;
        this.nextOffset = replayFrom;
        this.committedOffset = processFrom;
        this.committedReplayFrom = replayFrom;
    }

    /**
     * Where a restart must resume reading to rebuild every state: the oldest frame absorbed by a stream in memory
     * since its last snapshot, or the next offset when every state is in a snapshot.
     */
    long replayFrom() {
        if (nextOffset < processFrom) {
            // Still replaying: streams not met yet need their frames from the original replay point.
            return initialReplayFrom;
        }
        long from = nextOffset;
        for (StreamStatus s : active.values()) {
            if (s.dirty()) {
                from = Math.min(from, s.firstDirtyOffset());
            }
        }
        return from;
    }

    /** The offset to commit: past every processed record, never behind the committed one. */
    long commitOffset() {
        return Math.max(nextOffset, processFrom);
    }

    /** Whether the commit point moved since the last commit. */
    boolean commitDue() {
        return commitOffset() != committedOffset || replayFrom() != committedReplayFrom;
    }

    void committed(long offset, long replayFrom) {
        committedOffset = offset;
        committedReplayFrom = replayFrom;
    }

    /** The commit metadata that tells the next owner where to start replaying. */
    static String metadata(long replayFrom) {
        return "replay-from=" + replayFrom;
    }

    /** The replay point in commit metadata, or {@code fallback} when absent or unreadable. */
    static long replayFrom(String metadata, long fallback) {
        if (metadata != null && metadata.startsWith("replay-from=")) {
            try {
                return Math.min(fallback, Long.parseLong(metadata.substring("replay-from=".length())));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }
}
