package io.odecast.stream;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.odecast.kafka.GridBytes;
import io.odecast.kafka.ProtoTime;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.Frame;
import io.odecast.proto.GridShape;
import io.odecast.proto.StateSnapshot;
import io.odecast.proto.Tensor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A stream's state as a {@link StateSnapshot} and back. The state arrays go bit for bit into named tensors
 * ({@code hidden}, {@code last_frame} normalised and padded, {@code last_encoded}, and {@code motion}, the steady
 * motion of a model with a motion prior, when the stream has one); the last arrival's validity
 * is the mask of {@code last_frame}; the gap filler's recent frames go, in physical units, to
 * {@code recent_frames}. The model time of the last arrival is not stored: it is recomputed from
 * {@code last_event_time} exactly as when the frame arrived.
 */
final class StateSnapshotCodec {
    static final String HIDDEN = "hidden";
    static final String LAST_FRAME = "last_frame";
    static final String LAST_ENCODED = "last_encoded";
    static final String MOTION = "motion";

    private StateSnapshotCodec() {
    }

    /** An observation with the event time it was made at. */
    record TimedObservation(Instant time, Observation observation) {
        /** The observation in a card's model time (time units differ between models). */
        Observation under(io.odecast.model.ModelCard card) {
            return new Observation(card.modelTime(time), observation.data(), observation.valid());
        }
    }

    /** The input record a snapshot includes last. */
    record InputPosition(String topic, int partition, long offset) {
    }

    /**
     * A decoded snapshot.
     *
     * @param lastRegularTime     last time emitted OBSERVED or FILLED
     * @param lastProvisionalTime last tick emitted PROVISIONAL
     */
    record Restored(StreamState state, Instant lastEventTime, List<TimedObservation> recent, InputPosition position,
                    Optional<Instant> lastRegularTime, Optional<Instant> lastProvisionalTime, String modelName,
                    String modelVersion) {
    }

    static StateSnapshot encode(String streamId, String modelName, VidOdeModel model, StreamState state,
                                Instant lastEventTime, InputPosition position, Optional<Instant> lastRegularTime,
                                Optional<Instant> lastProvisionalTime, Collection<TimedObservation> recent,
                                Instant now) {
        ModelConfig c = model.config();
        long[] latent = {c.latentChannels(), c.latentHeight(), c.latentWidth()};
        StateSnapshot.Builder b = StateSnapshot.newBuilder()
                .setStreamId(streamId)
                .setModelName(modelName)
                .setModelVersion(model.version())
                .setLastEventTime(ProtoTime.toTimestamp(lastEventTime))
                .setInputTopic(position.topic())
                .setInputPartition(position.partition())
                .setInputOffset(position.offset())
                .setFramesSeen(state.frames())
                .addHiddenState(tensor(HIDDEN, latent, state.hidden()))
                .setSnapshotTime(ProtoTime.toTimestamp(now));
        if (state.lastFrame() != null) {
            b.addHiddenState(tensor(LAST_FRAME, new long[] {c.channels(), c.paddedHeight(), c.paddedWidth()},
                    state.lastFrame()));
            b.addHiddenState(tensor(LAST_ENCODED, latent, state.lastEncoded()));
        }
        if (state.motion() != null) {
            b.addHiddenState(tensor(MOTION, new long[] {2, c.height(), c.width()}, state.motion()));
        }
        List<TimedObservation> frames = List.copyOf(recent);
        if (!frames.isEmpty()) {
            TimedObservation last = frames.get(frames.size() - 1);
            b.setLastFrame(frame(streamId, model, last.time(), last.observation().data(), state.lastValid()));
        }
        for (TimedObservation o : frames) {
            b.addRecentFrames(frame(streamId, model, o.time(), o.observation().data(), o.observation().valid()));
        }
        lastRegularTime.ifPresent(t -> b.setLastRegularTime(ProtoTime.toTimestamp(t)));
        lastProvisionalTime.ifPresent(t -> b.setLastProvisionalTime(ProtoTime.toTimestamp(t)));
        return b.build();
    }

    /**
     * The state in {@code snapshot}, for {@code model}.
     *
     * @throws IllegalArgumentException when a tensor is missing or its size is not the model's
     */
    static Restored decode(StateSnapshot snapshot, VidOdeModel model) {
        ModelConfig c = model.config();
        String what = "snapshot of stream " + snapshot.getStreamId();
        Map<String, Tensor> tensors = snapshot.getHiddenStateList().stream()
                .collect(Collectors.toMap(Tensor::getName, Function.identity(), (a, b) -> b));
        float[] hidden = floats(tensors, HIDDEN, c.latentSize(), what, true);
        float[] lastFrame = floats(tensors, LAST_FRAME, c.channels() * c.paddedHeight() * c.paddedWidth(), what,
                snapshot.getFramesSeen() > 0);
        float[] lastEncoded = floats(tensors, LAST_ENCODED, c.latentSize(), what, snapshot.getFramesSeen() > 0);
        boolean[] lastValid = snapshot.hasLastFrame() ? mask(snapshot.getLastFrame().getValidMask(), c, what) : null;
        Instant lastEventTime = ProtoTime.checkedInstant("snapshot's last event time", snapshot.getLastEventTime());
        double lastTime = snapshot.getFramesSeen() > 0 ? model.card().modelTime(lastEventTime) : Double.NaN;
        // A motion is kept only by a model with a motion prior; a snapshot without one (a first frame, or written for
        // another composition) forecasts with no prior until the stream's next arrival.
        float[] motion = c.motionPrior() && snapshot.getFramesSeen() > 1
                ? floats(tensors, MOTION, 2 * c.height() * c.width(), what, false) : null;
        StreamState state = new StreamState(hidden, lastFrame, lastEncoded, lastValid, lastTime,
                snapshot.getFramesSeen(), motion);
        List<TimedObservation> recent = new ArrayList<>();
        for (Frame f : snapshot.getRecentFramesList()) {
            float[] data = GridBytes.bytesToFloats(f.getData());
            if (data.length != c.frameSize()) {
                throw new IllegalArgumentException(what + ": a recent frame has " + data.length + " values, the model"
                        + " expects " + c.frameSize());
            }
            Instant t = ProtoTime.checkedInstant("snapshot's recent frame time", f.getEventTime());
            recent.add(new TimedObservation(t, new Observation(model.card().modelTime(t), data,
                    mask(f.getValidMask(), c, what))));
        }
        Optional<Instant> lastRegular = snapshot.hasLastRegularTime()
                ? Optional.of(ProtoTime.checkedInstant("snapshot's last regular time", snapshot.getLastRegularTime()))
                : Optional.empty();
        Optional<Instant> lastProvisional = snapshot.hasLastProvisionalTime()
                ? Optional.of(ProtoTime.checkedInstant("snapshot's last provisional time",
                        snapshot.getLastProvisionalTime()))
                : Optional.empty();
        if (lastRegular.isPresent() && lastRegular.get().isAfter(lastEventTime)) {
            // Written when last_regular_time also counted PROVISIONAL ticks: a tick after the last frame can only
            // have been one. The last real time emitted is then at most the last frame's.
            if (lastProvisional.isEmpty() || lastProvisional.get().isBefore(lastRegular.get())) {
                lastProvisional = lastRegular;
            }
            lastRegular = Optional.of(lastEventTime);
        }
        return new Restored(state, lastEventTime, recent, new InputPosition(snapshot.getInputTopic(),
                snapshot.getInputPartition(), snapshot.getInputOffset()), lastRegular, lastProvisional,
                snapshot.getModelName(), snapshot.getModelVersion());
    }

    private static Tensor tensor(String name, long[] shape, float[] values) {
        Tensor.Builder t = Tensor.newBuilder().setName(name).setData(GridBytes.floatsToBytes(values));
        for (long d : shape) {
            t.addShape(d);
        }
        return t.build();
    }

    private static Frame frame(String streamId, VidOdeModel model, Instant time, float[] data, boolean[] valid) {
        ModelConfig c = model.config();
        return Frame.newBuilder()
                .setStreamId(streamId)
                .setEventTime(ProtoTime.toTimestamp(time))
                .addAllChannels(model.card().channels())
                .setShape(GridShape.newBuilder().setChannels(c.channels()).setHeight(c.height()).setWidth(c.width()))
                .setData(GridBytes.floatsToBytes(data))
                .setValidMask(valid == null ? ByteString.EMPTY : maskBytes(valid))
                .build();
    }

    /** Every cell's flag, all-valid masks included: a null mask and an all-true one are not the same state. */
    private static ByteString maskBytes(boolean[] valid) {
        byte[] mask = new byte[valid.length];
        for (int i = 0; i < valid.length; i++) {
            mask[i] = valid[i] ? (byte) 1 : (byte) 0;
        }
        return UnsafeByteOperations.unsafeWrap(mask);
    }

    private static boolean[] mask(ByteString bytes, ModelConfig c, String what) {
        if (bytes.isEmpty()) {
            return null;
        }
        if (bytes.size() != c.frameSize()) {
            throw new IllegalArgumentException(what + ": a validity mask has " + bytes.size() + " cells, the model"
                    + " expects " + c.frameSize());
        }
        boolean[] valid = new boolean[bytes.size()];
        for (int i = 0; i < valid.length; i++) {
            valid[i] = bytes.byteAt(i) != 0;
        }
        return valid;
    }

    private static float[] floats(Map<String, Tensor> tensors, String name, int size, String what, boolean required) {
        Tensor t = tensors.get(name);
        if (t == null) {
            if (required) {
                throw new IllegalArgumentException(what + " has no tensor " + name);
            }
            return null;
        }
        float[] values = GridBytes.bytesToFloats(t.getData());
        if (values.length != size) {
            throw new IllegalArgumentException(what + ": tensor " + name + " has " + values.length + " values, the"
                    + " model expects " + size);
        }
        return values;
    }
}
