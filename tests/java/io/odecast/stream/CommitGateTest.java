package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Offsets are released for commit only once every frame up to them is in a snapshot of its stream. */
class CommitGateTest {
    private static final TopicPartition P0 = new TopicPartition("frames", 0);
    private static final TopicPartition P1 = new TopicPartition("frames", 1);

    @Test
    void anOffsetIsReleasedOnceEveryEarlierFrameOfItsPartitionIsInASnapshot() {
        CommitGate<Long> gate = new CommitGate<>();
        List<Optional<Long>> released = new ArrayList<>();
        released.add(gate.passed(P0, 0, 0L, "a", CommitGate.Coverage.UNCOVERS));
        released.add(gate.passed(P0, 1, 1L, "b", CommitGate.Coverage.UNCOVERS));
        released.add(gate.passed(P1, 0, 100L, "c", CommitGate.Coverage.NONE));
        released.add(gate.passed(P0, 2, 2L, "a", CommitGate.Coverage.COVERS));
        released.add(gate.passed(P0, 3, 3L, "x", CommitGate.Coverage.NONE));
        released.add(gate.passed(P0, 4, 4L, "b", CommitGate.Coverage.COVERS));
        assertEquals(List.of(Optional.empty(), Optional.empty(), Optional.of(100L), Optional.of(0L), Optional.empty(),
                Optional.of(4L)), released);
    }

    @Test
    void anEvictionSnapshotReleasesTheStreamsFramesWithTheNextFrameOfThePartition() {
        CommitGate<Long> gate = new CommitGate<>();
        gate.passed(P0, 0, 0L, "a", CommitGate.Coverage.UNCOVERS);
        gate.covered("a");
        assertEquals(Optional.of(1L), gate.passed(P0, 1, 1L, "b", CommitGate.Coverage.NONE));
    }
}
