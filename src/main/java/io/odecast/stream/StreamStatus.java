package io.odecast.stream;

import io.odecast.model.StreamState;
import io.odecast.stream.StateSnapshotCodec.TimedObservation;
import io.odecast.stream.StreamCatalog.ResolvedStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything the service knows of one stream, immutable: each accepted frame makes a new status from the old one
 * ({@link StreamStep}), and a status is replaced in its partition's table only once the frame's outputs exist.
 *
 * @param id               stream id
 * @param stream           its rule's settings and models
 * @param state            the model state after the last absorbed frame
 * @param lastTime         event time of the last absorbed frame; null before the first
 * @param lastRegularTime  last time emitted on the regular topic as OBSERVED or FILLED (real data; never after
 *                         {@code lastTime})
 * @param lastProvisionalTime last cadence tick emitted as PROVISIONAL: the next overdue tick follows it; real frames
 *                         and fills are emitted whatever it is (they supersede provisional frames)
 * @param recent           the last {@code fill-window} absorbed frames, oldest first (gap filling, re-encoding)
 * @param offset           input offset of the last absorbed frame; -1 before the first
 * @param firstDirtyOffset input offset of the oldest frame absorbed since the last snapshot; -1 when none is
 * @param dirtySince       wall-clock time that frame was absorbed, or that the first PROVISIONAL tick since the last
 *                         snapshot was emitted; null when everything is in a snapshot
 * @param sinceSnapshot    frames absorbed since the last snapshot
 * @param lastArrival      wall-clock time of the last absorbed frame's arrival (provisional-frame timing)
 * @param lastSeen         wall-clock time of the last record of the stream (idle eviction)
 * @param stateVersion     version of the model that encoded {@code state}; when the stream's model now has another,
 *                         the state is re-encoded from {@code recent} before the next frame
 * @param switched         the state was re-encoded under a new version and no forecast has said so yet
 */
record StreamStatus(String id, ResolvedStream stream, StreamState state, Instant lastTime,
                    Optional<Instant> lastRegularTime, Optional<Instant> lastProvisionalTime,
                    List<TimedObservation> recent, long offset, long firstDirtyOffset, Instant dirtySince,
                    long sinceSnapshot, Instant lastArrival, Instant lastSeen, String stateVersion, boolean switched) {

    StreamStatus {
        recent = List.copyOf(recent);
    }

    /** A stream seen for the first time. */
    static StreamStatus fresh(String id, ResolvedStream stream, Instant now) {
        return new StreamStatus(id, stream, stream.model().emptyState(), null, Optional.empty(), Optional.empty(),
                List.of(), -1, -1, null, 0, null, now, stream.model().version(), false);
    }

    /** Whether it absorbed frames that no snapshot holds yet (a restart must replay them). */
    boolean dirty() {
        return firstDirtyOffset >= 0;
    }

    /**
     * Whether it holds something no snapshot does: absorbed frames, or PROVISIONAL ticks emitted since the last
     * snapshot (without one a restart would emit them again, unflagged).
     */
    boolean unsaved() {
        return dirtySince != null;
    }

    /** After a snapshot of this status was written. */
    StreamStatus snapshotted() {
        return new StreamStatus(id, stream, state, lastTime, lastRegularTime, lastProvisionalTime, recent, offset, -1,
                null, 0, lastArrival, lastSeen, stateVersion, switched);
    }

    StreamStatus seen(Instant now) {
        return new StreamStatus(id, stream, state, lastTime, lastRegularTime, lastProvisionalTime, recent, offset,
                firstDirtyOffset, dirtySince, sinceSnapshot, lastArrival, now, stateVersion, switched);
    }

    /** After PROVISIONAL frames up to tick {@code t}, emitted at {@code now}: unsaved until the next snapshot. */
    StreamStatus withLastProvisionalTime(Instant t, Instant now) {
        return new StreamStatus(id, stream, state, lastTime, lastRegularTime, Optional.of(t), recent, offset,
                firstDirtyOffset, unsaved() ? dirtySince : now, sinceSnapshot, lastArrival, lastSeen, stateVersion,
                switched);
    }

    /**
     * The status under {@code current} (the stream's rule after a model swap) with {@code reencoded}, the state
     * the new version encoded from {@link #recent}; the recent frames' model times follow the new card.
     */
    StreamStatus switchedTo(ResolvedStream current, StreamState reencoded, List<TimedObservation> recentUnderNew) {
        return new StreamStatus(id, current, reencoded, lastTime, lastRegularTime, lastProvisionalTime, recentUnderNew,
                offset, firstDirtyOffset, dirtySince, sinceSnapshot, lastArrival, lastSeen, current.model().version(),
                true);
    }

    /** The status under {@code current} when only the rule's filler changed (the state stays valid). */
    StreamStatus withStream(ResolvedStream current) {
        return new StreamStatus(id, current, state, lastTime, lastRegularTime, lastProvisionalTime, recent, offset,
                firstDirtyOffset, dirtySince, sinceSnapshot, lastArrival, lastSeen, stateVersion, switched);
    }

    /**
     * The status after absorbing a frame at {@code offset} into {@code next}; {@code announced} says whether its
     * forecast carried the switch (a replayed frame emits none, so the flag waits for the next one).
     */
    StreamStatus absorbed(StreamState next, Instant time, TimedObservation observation, long inputOffset,
                          Optional<Instant> regular, Instant now, boolean announced) {
        List<TimedObservation> window = new ArrayList<>(recent);
        window.add(observation);
        while (window.size() > stream.settings().fillWindow()) {
            window.remove(0);
        }
        return new StreamStatus(id, stream, next, time, regular, lastProvisionalTime, window, inputOffset,
                dirty() ? firstDirtyOffset : inputOffset, unsaved() ? dirtySince : now, sinceSnapshot + 1, now, now,
                stateVersion, switched && !announced);
    }

    /** Bytes of state held for this stream (hidden state, last frame, encodings, motion, recent frames). */
    long stateBytes() {
        long bytes = 4L * (state.hidden().length + len(state.lastFrame()) + len(state.lastEncoded())
                + len(state.motion()))
                + (state.lastValid() == null ? 0 : state.lastValid().length);
        for (TimedObservation o : recent) {
            bytes += 4L * o.observation().data().length
                    + (o.observation().valid() == null ? 0 : o.observation().valid().length);
        }
        return bytes + 256;
    }

    private static int len(float[] a) {
        return a == null ? 0 : a.length;
    }
}
