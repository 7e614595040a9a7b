package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local state store's checkpoints: used once, only for the same topic, neither stale nor from the future. */
class SnapshotStoreTest {
    private static final Instant T = Instant.parse("2026-12-02T12:00:00Z");
    private static final StateCheckpoints TOPIC = new StateCheckpoints("cluster-a/odecast.state/id-1",
            Duration.ofHours(12));

    @TempDir
    Path dir;

    @Test
    void aCheckpointIsUsedOnceForTheSameTopicWithinItsAge() {
        SnapshotStore store = new SnapshotStore(dir);
        store.checkpoint(2, 41, T, TOPIC.identity());
        assertEquals(Optional.of(41L), store.takeCheckpoint(2, T.plus(Duration.ofHours(11)), TOPIC));
        assertEquals(Optional.empty(), store.takeCheckpoint(2, T.plus(Duration.ofHours(11)), TOPIC),
                "taken: a crash after this must find none");
        assertTrue(Files.notExists(dir.resolve("2").resolve("checkpoint")));
    }

    @Test
    void anotherTopicAStaleOrAFutureCheckpointIsNotUsedAndIsDeleted() {
        SnapshotStore store = new SnapshotStore(dir);
        store.checkpoint(0, 7, T, TOPIC.identity());
        assertEquals(Optional.empty(), store.takeCheckpoint(0, T,
                new StateCheckpoints("cluster-b/odecast.state/id-9", Duration.ofHours(12))), "another cluster's");
        assertTrue(Files.notExists(dir.resolve("0").resolve("checkpoint")));
        store.checkpoint(0, 7, T, TOPIC.identity());
        assertEquals(Optional.empty(), store.takeCheckpoint(0, T.plus(Duration.ofHours(12)), TOPIC), "too old");
        store.checkpoint(0, 7, T, TOPIC.identity());
        assertEquals(Optional.empty(), store.takeCheckpoint(0, T.minusSeconds(1), TOPIC), "written in the future");
        store.checkpoint(0, 7, T, TOPIC.identity());
        assertEquals(Optional.empty(), store.takeCheckpoint(0, T, StateCheckpoints.NONE), "checkpoints off");
    }

    @Test
    void anUnreadableCheckpointIsNotUsed() throws Exception {
        SnapshotStore store = new SnapshotStore(dir);
        Files.createDirectories(dir.resolve("1"));
        Files.writeString(dir.resolve("1").resolve("checkpoint"), "offset=x\n");
        assertEquals(Optional.empty(), store.takeCheckpoint(1, T, TOPIC));
        assertTrue(Files.notExists(dir.resolve("1").resolve("checkpoint")));
    }
}
