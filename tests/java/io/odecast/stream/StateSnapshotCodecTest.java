package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.odecast.kafka.FrameMessage;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.StateSnapshot;
import io.odecast.stream.StateSnapshotCodec.InputPosition;
import io.odecast.stream.StateSnapshotCodec.TimedObservation;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A stream's state survives the snapshot message bit for bit; a snapshot of another shape is refused. */
class StateSnapshotCodecTest {
    private static VidOdeModel model;

    @BeforeAll
    static void createModel() {
        model = model();
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @Test
    void aStateWithAPartiallyValidLastFrameComesBackBitForBit() {
        Random rng = new Random(21);
        FrameMessage first = frame("s", hours(0), rng);
        FrameMessage second = frame("s", hours(6), rng);
        boolean[] valid = new boolean[C * H * W];
        java.util.Arrays.fill(valid, true);
        valid[5] = false;
        Observation o1 = observation(model, first);
        Observation o2 = new Observation(model.card().modelTime(second.eventTime()), second.data(), valid);
        StreamState state = model.advance(List.of(model.advance(List.of(model.emptyState()), List.of(o1)).get(0)),
                List.of(o2)).get(0);
        List<TimedObservation> recent = List.of(new TimedObservation(first.eventTime(), o1),
                new TimedObservation(second.eventTime(), o2));
        StateSnapshot snapshot = StateSnapshotCodec.encode("s", "storm", model, state, second.eventTime(),
                new InputPosition("frames", 2, 41), Optional.of(second.eventTime()), Optional.of(hours(18)), recent,
                Instant.EPOCH);
        StateSnapshotCodec.Restored restored = StateSnapshotCodec.decode(snapshot, model);
        assertEquals(state, restored.state());
        assertEquals(List.of(new InputPosition("frames", 2, 41), second.eventTime(), hours(18)),
                List.of(restored.position(), restored.lastRegularTime().orElseThrow(),
                        restored.lastProvisionalTime().orElseThrow()));
    }

    @Test
    void anOldSnapshotsLastRegularTimeAfterItsLastFrameIsReadAsTheLastProvisionalTick() {
        // As written before last_provisional_time: last_regular_time counted PROVISIONAL ticks too.
        StateSnapshotCodec.Restored r = StateSnapshotCodec.decode(oneFrame(23, Optional.of(hours(12))), model);
        assertEquals(List.of(Optional.of(hours(0)), Optional.of(hours(12))),
                List.of(r.lastRegularTime(), r.lastProvisionalTime()));
        r = StateSnapshotCodec.decode(oneFrame(23, Optional.of(hours(0))), model);
        assertEquals(List.of(Optional.of(hours(0)), Optional.empty()),
                List.of(r.lastRegularTime(), r.lastProvisionalTime()));
    }

    @Test
    void aMotionPriorModelsMotionComesBackBitForBitAndAnOldSnapshotWithoutOneHasNone() {
        VidOdeModel base = model();
        io.odecast.model.ModelConfig config = base.config().withComposition(io.odecast.model.ModelConfig.RESIDUAL_MOTION);
        try (VidOdeModel motion = new VidOdeModel(new io.odecast.model.VidOdeNetwork(config, 7), base.card())) {
            base.close();
            Random rng = new Random(22);
            FrameMessage first = frame("s", hours(0), rng);
            FrameMessage second = frame("s", hours(6), rng);
            Observation o1 = observation(motion, first);
            Observation o2 = observation(motion, second);
            StreamState state = motion.advance(List.of(motion.advance(List.of(motion.emptyState()), List.of(o1))
                    .get(0)), List.of(o2)).get(0);
            assertEquals(2 * H * W, state.motion().length);
            List<TimedObservation> recent = List.of(new TimedObservation(first.eventTime(), o1),
                    new TimedObservation(second.eventTime(), o2));
            StateSnapshot snapshot = StateSnapshotCodec.encode("s", "storm", motion, state, second.eventTime(),
                    new InputPosition("frames", 0, 1), Optional.empty(), Optional.empty(), recent, Instant.EPOCH);
            assertEquals(state, StateSnapshotCodec.decode(snapshot, motion).state());
            StateSnapshot old = snapshot.toBuilder().clearHiddenState().addAllHiddenState(snapshot.getHiddenStateList()
                    .stream().filter(t -> !t.getName().equals(StateSnapshotCodec.MOTION)).toList()).build();
            StreamState restored = StateSnapshotCodec.decode(old, motion).state();
            assertEquals(null, restored.motion());
            assertEquals(new StreamState(state.hidden(), state.lastFrame(), state.lastEncoded(), state.lastValid(),
                    state.lastTime(), state.frames()), restored);
        }
    }

    @Test
    void aSnapshotWithATimeOutOfRangeIsRefusedAsUnreadableNotAFailureOfTheStep() {
        StateSnapshot good = oneFrame(22, Optional.empty());
        // The caller drops a snapshot it cannot read (IllegalArgumentException) and starts the stream afresh; a
        // DateTimeException escaped it and failed the step at every restart.
        StateSnapshot bad = good.toBuilder().setLastEventTime(com.google.protobuf.Timestamp.newBuilder()
                .setSeconds(Long.MAX_VALUE).setNanos(999_999_999)).build();
        var e = assertThrows(IllegalArgumentException.class, () -> StateSnapshotCodec.decode(bad, model));
        assertEquals(true, e.getMessage().contains("last event time"), e.getMessage());
    }

    @Test
    void aHiddenStateOfAnotherSizeIsRefusedNamingTheTensor() {
        StateSnapshot snapshot = StateSnapshot.newBuilder().setStreamId("s").addHiddenState(
                io.odecast.proto.Tensor.newBuilder().setName(StateSnapshotCodec.HIDDEN)
                        .setData(io.odecast.kafka.GridBytes.floatsToBytes(new float[3]))).build();
        var e = assertThrows(IllegalArgumentException.class, () -> StateSnapshotCodec.decode(snapshot, model));
        assertEquals(true, e.getMessage().contains("tensor hidden"), e.getMessage());
    }

    /** The snapshot of a state that absorbed one frame at hour 0 (drawn with {@code seed}). */
    private static StateSnapshot oneFrame(long seed, Optional<Instant> lastRegularTime) {
        FrameMessage first = frame("s", hours(0), new Random(seed));
        Observation o = observation(model, first);
        StreamState state = model.advance(List.of(model.emptyState()), List.of(o)).get(0);
        return StateSnapshotCodec.encode("s", "storm", model, state, first.eventTime(),
                new InputPosition("frames", 0, 0), lastRegularTime, Optional.empty(),
                List.of(new TimedObservation(first.eventTime(), o)), Instant.EPOCH);
    }
}
