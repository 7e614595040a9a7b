package io.odecast.stream;

import io.odecast.kafka.DeadLetterPublisher;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameDecodeException;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.TopicNames;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.Forecast;
import io.odecast.proto.StateSnapshot;
import io.odecast.stream.StateSnapshotCodec.InputPosition;
import io.odecast.stream.StateSnapshotCodec.TimedObservation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-stream state stage: validates each input record against its stream (known pattern, the model's
 * shape, event time after the stream's last one), keeps each stream's {@link StreamState}, and turns an accepted
 * frame into its outputs by asking the {@link DecoderActor}: gap fills for missing cadence ticks, the advanced
 * state, and a forecast at the stream's grid times.
 *
 * <p>{@link #process} and {@link #tick} are called by one stream stage at a time, in input order. Validation is
 * synchronous; the model work of one stream is chained on that stream's previous frame, so each stream's state is
 * updated in order while different streams' frames wait on the decoder together (and are batched).
 *
 * <p>Gap filling: an interpolator model (task {@code interpolate}) fills the ticks from a window of the stream's
 * last {@code fill-window} frames ending with the new one; a forecaster fills them with its forecast from the
 * state before the gap, which needs no extra frames and is what the stream's own forecast said about the gap.
 *
 * <p>Snapshots: every {@code snapshot.every-frames} accepted frames of a stream, and when it is evicted, a
 * {@link StateSnapshot} goes to the state topic with the frame's outputs. A stream first seen after a restart is
 * seeded from its restored snapshot when the snapshot's model name and version are the stream's model now, and
 * frames of it at or before the snapshot's input offset are skipped: the state already includes them.
 */
final class StreamStateStage {
    private static final Logger LOG = LoggerFactory.getLogger(StreamStateStage.class);

    private final ServiceSettings settings;
    private final TopicNames topics;
    private final ModelRegistry models;
    private final ActorRef<DecoderActor.Command> decoder;
    private final Scheduler scheduler;
    private final ServiceMetrics metrics;
    private final DeadLetterPublisher deadLetters;
    private final Clock clock;
    private final Map<String, StreamEntry> streams = new HashMap<>();
    private final Map<String, StateSnapshot> restored;
    private Instant lastSweep;

    /** Frames for missing ticks and the validity of their cells (null when all are valid). */
    private record Filled(float[][] frames, boolean[] valid) {
        static final Filled NONE = new Filled(new float[0][], null);
    }

    /**
     * What {@link #process} made of one input record.
     *
     * @param records  the records to produce, completed when the stream's model work is done
     * @param streamId the frame's stream, when it could be read
     * @param coverage what the frame does to its stream's snapshot coverage
     * @param evicted  streams evicted now, whose snapshots go out with {@code records}
     */
    record Processed(CompletionStage<List<ProducerRecord<String, byte[]>>> records, String streamId,
                     CommitGate.Coverage coverage, List<String> evicted) {
    }

    /** One stream. The first group of fields is touched only by {@link #process}, the rest only by its chain. */
    private static final class StreamEntry {
        final StreamSettings settings;
        final VidOdeModel model;
        /** The model that fills missing ticks: the stream's fill-model, or its model. */
        final VidOdeModel filler;
        Instant lastAccepted;
        Instant lastSeen;
        Instant lastArrival;
        long accepted;
        InputPosition restoredUpTo;
        CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

        StreamState state;
        Instant stateTime;
        InputPosition position;
        Optional<Instant> lastRegularTime = Optional.empty();
        boolean unsnapshotted;
        final ArrayDeque<TimedObservation> recent = new ArrayDeque<>();

        StreamEntry(StreamSettings settings, VidOdeModel model, VidOdeModel filler) {
            this.settings = settings;
            this.model = model;
            this.filler = filler;
            this.state = model.emptyState();
        }
    }

    /** @param restored the latest snapshot per stream read at start (used up as streams appear) */
    StreamStateStage(ServiceSettings settings, ModelRegistry models, ActorRef<DecoderActor.Command> decoder,
                     Scheduler scheduler, ServiceMetrics metrics, Clock clock, Map<String, StateSnapshot> restored) {
        this.restored = new HashMap<>(restored);
        this.settings = settings;
        this.topics = settings.kafka().topics();
        this.models = models;
        this.decoder = decoder;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.clock = clock;
        this.deadLetters = new DeadLetterPublisher(topics.deadLetters(), clock);
        this.lastSweep = clock.instant();
    }

    /**
     * The records to produce for one input record (its outputs, or one dead letter, plus the snapshots of streams
     * evicted now) and its effect on snapshot coverage. Never fails.
     */
    Processed process(ConsumerRecord<String, byte[]> record) {
        Map<String, ProducerRecord<String, byte[]>> evicted = evictIdleStreams();
        Processed processed;
        try {
            processed = validateAndRun(record);
        } catch (RuntimeException e) {
            LOG.error("Unexpected failure on {}-{}@{}", record.topic(), record.partition(), record.offset(), e);
            processed = rejected(record, DeadLetterReason.INTERNAL, "unexpected failure: " + e, Optional.empty());
        }
        return withEvicted(processed, evicted);
    }

    /**
     * A tick of the provisional-frame check: evicts idle streams (so they go even without traffic) and emits
     * provisional frames for overdue cadence ticks. The result has no stream and no coverage of its own.
     */
    Processed tick() {
        Map<String, ProducerRecord<String, byte[]>> evicted = evictIdleStreams();
        return withEvicted(new Processed(provisionalFrames(), null, CommitGate.Coverage.NONE, List.of()), evicted);
    }

    private static Processed withEvicted(Processed processed, Map<String, ProducerRecord<String, byte[]>> evicted) {
        if (evicted.isEmpty()) {
            return processed;
        }
        List<ProducerRecord<String, byte[]>> snapshots = List.copyOf(evicted.values());
        return new Processed(processed.records().thenApply(records -> {
            List<ProducerRecord<String, byte[]>> all = new ArrayList<>(snapshots);
            all.addAll(records);
            return all;
        }), processed.streamId(), processed.coverage(), List.copyOf(evicted.keySet()));
    }

    private Processed validateAndRun(ConsumerRecord<String, byte[]> record) {
        FrameMessage frame;
        try {
            frame = FrameCodec.decode(record.value());
        } catch (FrameDecodeException e) {
            return rejected(record, e.reason(), e.getMessage(), e.streamId());
        }
        String id = frame.streamId();
        StreamEntry entry = streams.get(id);
        if (entry == null) {
            Optional<StreamSettings> stream = settings.streams().settingsFor(id);
            if (stream.isEmpty()) {
                return rejected(record, DeadLetterReason.UNKNOWN_STREAM, "stream " + id + " matches no pattern in"
                        + " odecast.streams; add a rule for it", Optional.of(id));
            }
            VidOdeModel model;
            VidOdeModel filler;
            try {
                model = models.get(stream.get().model());
                filler = stream.get().fillModel().isPresent() ? models.get(stream.get().fillModel().get()) : model;
                if (filler != model && !ModelCard.INTERPOLATE.equals(filler.card().task())) {
                    throw new IllegalArgumentException("fill-model " + stream.get().fillModel().orElseThrow()
                            + " is a " + filler.card().task() + " model; a fill-model must be an interpolator");
                }
                if (filler.config().frameSize() != model.config().frameSize()
                        || !filler.card().channels().equals(model.card().channels())) {
                    throw new IllegalArgumentException("fill-model " + stream.get().fillModel().orElseThrow()
                            + " has channels " + filler.card().channels() + " " + filler.config().channels() + "x"
                            + filler.config().height() + "x" + filler.config().width() + ", model "
                            + stream.get().model() + " " + model.card().channels() + " " + model.config().channels()
                            + "x" + model.config().height() + "x" + model.config().width() + "; they must match");
                }
            } catch (RuntimeException e) {
                return rejected(record, DeadLetterReason.INTERNAL, "stream " + id + ": " + e.getMessage(),
                        Optional.of(id));
            }
            entry = new StreamEntry(stream.get(), model, filler);
            seed(id, entry);
            streams.put(id, entry);
        }
        entry.lastSeen = clock.instant();
        InputPosition position = new InputPosition(record.topic(), record.partition(), record.offset());
        if (includedInRestored(entry, position)) {
            metrics.frameSkipped();
            return new Processed(CompletableFuture.completedFuture(List.of()), id, CommitGate.Coverage.NONE,
                    List.of());
        }
        ModelConfig mc = entry.model.config();
        if (frame.c() != mc.channels() || frame.h() != mc.height() || frame.w() != mc.width()) {
            return rejected(record, DeadLetterReason.WRONG_SHAPE, "frame of stream " + id + " at " + frame.eventTime()
                    + " is " + frame.c() + "x" + frame.h() + "x" + frame.w() + " but model " + entry.settings.model()
                    + " expects " + mc.channels() + "x" + mc.height() + "x" + mc.width(), Optional.of(id));
        }
        if (entry.lastAccepted != null && !frame.eventTime().isAfter(entry.lastAccepted)) {
            return rejected(record, DeadLetterReason.OUT_OF_ORDER, "frame of stream " + id + " at " + frame.eventTime()
                    + " is not after the stream's last frame at " + entry.lastAccepted, Optional.of(id));
        }
        entry.lastAccepted = frame.eventTime();
        entry.lastArrival = clock.instant();
        entry.accepted++;
        metrics.frameAccepted();
        int every = settings.snapshot().everyFrames();
        boolean snapshot = every > 0 && entry.accepted % every == 0;
        StreamEntry stream = entry;
        CompletableFuture<List<ProducerRecord<String, byte[]>>> result = entry.tail
                .thenCompose(ignored -> step(stream, frame, position, snapshot))
                .exceptionallyCompose(e -> {
                    // The frame is dead-lettered, not absorbed; the promised snapshot still goes out.
                    stream.position = position;
                    stream.unsnapshotted = true;
                    List<ProducerRecord<String, byte[]>> out = new ArrayList<>(reject(record,
                            DeadLetterReason.INTERNAL, "stream " + id + " at " + frame.eventTime()
                                    + ": model call failed: " + rootMessage(e), Optional.of(id)).join());
                    if (snapshot) {
                        out.add(snapshotRecord(id, stream));
                    }
                    return CompletableFuture.completedFuture(out);
                })
                .toCompletableFuture();
        entry.tail = result;
        CommitGate.Coverage coverage = every == 0 ? CommitGate.Coverage.NONE
                : snapshot ? CommitGate.Coverage.COVERS : CommitGate.Coverage.UNCOVERS;
        return new Processed(result, id, coverage, List.of());
    }

    /**
     * Provisional frames for the cadence ticks that are overdue: a tick {@code t} of a stream is expected to arrive
     * {@code t - lastEventTime} after its last frame did (wall clock, so replays at another pace keep their own
     * rhythm), and is overdue {@code max-wait} later. Each overdue tick after the stream's last regular frame gets
     * the model's forecast from the current state, flagged PROVISIONAL, at most {@code max-fill-ticks} per call.
     * Streams with a frame in flight are left for the next call.
     */
    private CompletionStage<List<ProducerRecord<String, byte[]>>> provisionalFrames() {
        Instant now = clock.instant();
        List<CompletableFuture<List<ProducerRecord<String, byte[]>>>> parts = new ArrayList<>();
        for (Map.Entry<String, StreamEntry> e : streams.entrySet()) {
            StreamEntry entry = e.getValue();
            if (entry.settings.cadence().isEmpty() || !entry.tail.isDone() || entry.stateTime == null
                    || entry.lastArrival == null) {
                continue;
            }
            List<Instant> ticks = overdueTicks(entry, now);
            if (!ticks.isEmpty()) {
                CompletableFuture<List<ProducerRecord<String, byte[]>>> part = provisional(e.getKey(), entry, ticks);
                entry.tail = part;
                parts.add(part);
            }
        }
        if (parts.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<ProducerRecord<String, byte[]>> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(p.join()));
            return all;
        });
    }

    private static List<Instant> overdueTicks(StreamEntry entry, Instant now) {
        Duration cadence = entry.settings.cadence().orElseThrow();
        Instant from = entry.lastRegularTime.filter(t -> t.isAfter(entry.stateTime)).orElse(entry.stateTime);
        List<Instant> ticks = new ArrayList<>();
        for (Instant t = ForecastGrid.after(from, cadence, 1).get(0); ticks.size() < entry.settings.maxFillTicks();
             t = t.plus(cadence)) {
            Instant overdue = entry.lastArrival.plus(Duration.between(entry.stateTime, t))
                    .plus(entry.settings.maxWait());
            if (now.isBefore(overdue)) {
                break;
            }
            ticks.add(t);
        }
        return ticks;
    }

    /** The provisional frames of one stream at {@code ticks}; a failed model call is logged and yields none. */
    private CompletableFuture<List<ProducerRecord<String, byte[]>>> provisional(String id, StreamEntry entry,
                                                                                List<Instant> ticks) {
        VidOdeModel model = entry.model;
        StreamState state = entry.state;
        double[] times = ticks.stream().mapToDouble(model.card()::modelTime).toArray();
        CompletionStage<float[][]> forecast = ask(replyTo -> new DecoderActor.Forecast(model, state, times, replyTo));
        return forecast.thenApply(frames -> {
            List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
            for (int k = 0; k < frames.length; k++) {
                records.add(new ProducerRecord<>(topics.regularFrames(), id, OutputMessages.provisional(id, model,
                        ticks.get(k), frames[k], state.lastValid()).toByteArray()));
            }
            entry.lastRegularTime = Optional.of(ticks.get(ticks.size() - 1));
            metrics.framesProvisional(frames.length);
            return records;
        }).exceptionally(e -> {
            LOG.warn("Stream {}: provisional frames for {} overdue ticks from {} failed: {}", id, ticks.size(),
                    ticks.get(0), rootMessage(e));
            return List.of();
        }).toCompletableFuture();
    }

    /** Seeds a new stream from its restored snapshot when the snapshot is for the stream's model as it is now. */
    private void seed(String id, StreamEntry entry) {
        StateSnapshot snapshot = restored.remove(id);
        if (snapshot == null) {
            return;
        }
        String model = entry.settings.model();
        String version = entry.model.version();
        if (!snapshot.getModelName().equals(model) || !snapshot.getModelVersion().equals(version)) {
            LOG.info("Stream {}: snapshot is for model {} version {}, the stream now uses {} version {}; starting"
                    + " from an empty state", id, snapshot.getModelName(), snapshot.getModelVersion(), model, version);
            return;
        }
        StateSnapshotCodec.Restored state;
        try {
            state = StateSnapshotCodec.decode(snapshot, entry.model);
        } catch (IllegalArgumentException e) {
            LOG.warn("Stream {}: cannot restore its state ({}); starting from an empty state", id, e.getMessage());
            return;
        }
        entry.state = state.state();
        entry.stateTime = state.lastEventTime();
        entry.lastAccepted = state.lastEventTime();
        entry.accepted = state.state().frames();
        entry.position = state.position();
        entry.restoredUpTo = state.position();
        entry.lastRegularTime = state.lastRegularTime();
        state.recent().forEach(entry.recent::addLast);
        while (entry.recent.size() > entry.settings.fillWindow()) {
            entry.recent.removeFirst();
        }
        metrics.streamRestored();
        LOG.info("Stream {}: restored {} frames up to {} ({}-{}@{})", id, state.state().frames(),
                state.lastEventTime(), state.position().topic(), state.position().partition(),
                state.position().offset());
    }

    /** Whether a replayed record is already in the stream's restored state. */
    private static boolean includedInRestored(StreamEntry entry, InputPosition position) {
        InputPosition upTo = entry.restoredUpTo;
        return upTo != null && upTo.topic().equals(position.topic()) && upTo.partition() == position.partition()
                && position.offset() <= upTo.offset();
    }

    /** The stream's current state as a state-topic record. */
    private ProducerRecord<String, byte[]> snapshotRecord(String id, StreamEntry entry) {
        StateSnapshot snapshot = StateSnapshotCodec.encode(id, entry.settings.model(), entry.model, entry.state,
                entry.stateTime, entry.position, entry.lastRegularTime, entry.recent, clock.instant());
        entry.unsnapshotted = false;
        metrics.snapshotWritten();
        return new ProducerRecord<>(topics.state(), id, snapshot.toByteArray());
    }

    /** Gap fill, advance and forecast for one accepted frame; runs after the stream's previous frame. */
    private CompletionStage<List<ProducerRecord<String, byte[]>>> step(StreamEntry entry, FrameMessage frame,
                                                                      InputPosition position, boolean snapshot) {
        VidOdeModel model = entry.model;
        ModelCard card = model.card();
        StreamSettings stream = entry.settings;
        Observation observation = new Observation(card.modelTime(frame.eventTime()), frame.data(),
                frame.validCount() == frame.cells() ? null : frame.valid());
        StreamState before = entry.state;
        Instant beforeTime = entry.stateTime;
        List<Instant> ticks = missingTicks(entry, frame);
        CompletionStage<Filled> fills = ticks.isEmpty() ? CompletableFuture.completedFuture(Filled.NONE)
                : fill(entry, before, observation, frame.eventTime(), ticks, frame.streamId());
        CompletionStage<StreamState> advanced = ask(
                replyTo -> new DecoderActor.Advance(model, before, observation, replyTo));
        return advanced.thenCompose(next -> {
            entry.state = next;
            entry.stateTime = frame.eventTime();
            entry.position = position;
            entry.unsnapshotted = true;
            if (stream.cadence().isPresent() && entry.lastRegularTime.map(t -> t.isBefore(frame.eventTime()))
                    .orElse(true)) {
                entry.lastRegularTime = Optional.of(frame.eventTime());
            }
            entry.recent.addLast(new TimedObservation(frame.eventTime(), observation));
            while (entry.recent.size() > stream.fillWindow()) {
                entry.recent.removeFirst();
            }
            List<Instant> grid = ForecastGrid.after(frame.eventTime(), stream.forecastStep(), stream.leads());
            double[] times = grid.stream().mapToDouble(card::modelTime).toArray();
            CompletionStage<float[][]> leads = ask(replyTo -> new DecoderActor.Forecast(model, next, times, replyTo));
            return leads.thenCombine(fills, (forecast, filled) -> {
                List<ProducerRecord<String, byte[]>> records = outputs(entry, frame, before, beforeTime, next, grid,
                        forecast, ticks, filled);
                if (snapshot) {
                    records.add(snapshotRecord(frame.streamId(), entry));
                }
                return records;
            });
        });
    }

    /** The cadence ticks strictly between the stream's last frame and this one, unless too many. */
    private List<Instant> missingTicks(StreamEntry entry, FrameMessage frame) {
        Optional<Duration> cadence = entry.settings.cadence();
        if (cadence.isEmpty() || entry.stateTime == null) {
            return List.of();
        }
        long count = ForecastGrid.countBetween(entry.stateTime, frame.eventTime(), cadence.get());
        if (count > entry.settings.maxFillTicks()) {
            LOG.warn("Stream {}: {} cadence ticks missing between {} and {}, more than max-fill-ticks = {};"
                    + " not filled", frame.streamId(), count, entry.stateTime, frame.eventTime(),
                    entry.settings.maxFillTicks());
            return List.of();
        }
        return ForecastGrid.between(entry.stateTime, frame.eventTime(), cadence.get());
    }

    /** Frames for the missing ticks; a failed fill is logged and yields none, so the forecast still goes out. */
    private CompletionStage<Filled> fill(StreamEntry entry, StreamState before, Observation observation,
                                            Instant frameTime, List<Instant> ticks, String streamId) {
        VidOdeModel model = entry.filler;
        double[] times = ticks.stream().mapToDouble(model.card()::modelTime).toArray();
        CompletionStage<Filled> frames;
        if (ModelCard.INTERPOLATE.equals(model.card().task())) {
            // Model times are recomputed from the frames' instants: the filler's time unit may differ.
            List<Observation> window = new ArrayList<>(entry.recent.stream()
                    .map(r -> new Observation(model.card().modelTime(r.time()), r.observation().data(),
                            r.observation().valid()))
                    .toList());
            while (window.size() > entry.settings.fillWindow() - 1) {
                window.remove(0);
            }
            window.add(new Observation(model.card().modelTime(frameTime), observation.data(), observation.valid()));
            CompletionStage<float[][]> interpolated = ask(
                    replyTo -> new DecoderActor.Interpolate(model, List.copyOf(window), times, replyTo));
            frames = interpolated.thenApply(f -> new Filled(f, window.get(0).valid()));
        } else {
            CompletionStage<float[][]> forecast = ask(
                    replyTo -> new DecoderActor.Forecast(entry.model, before, times, replyTo));
            frames = forecast.thenApply(f -> new Filled(f, before.lastValid()));
        }
        return frames.exceptionally(e -> {
            LOG.warn("Stream {}: filling {} missing ticks from {} failed, left unfilled: {}", streamId, ticks.size(),
                    ticks.get(0), rootMessage(e));
            return Filled.NONE;
        });
    }

    private List<ProducerRecord<String, byte[]>> outputs(StreamEntry entry, FrameMessage frame, StreamState before,
                                                         Instant beforeTime, StreamState next, List<Instant> grid,
                                                         float[][] forecast, List<Instant> ticks, Filled filled) {
        String id = frame.streamId();
        VidOdeModel model = entry.model;
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        if (entry.settings.cadence().isPresent()) {
            for (int k = 0; k < filled.frames().length; k++) {
                records.add(new ProducerRecord<>(topics.regularFrames(), id, OutputMessages.filled(id, model,
                        ticks.get(k), filled.frames()[k], filled.valid()).toByteArray()));
            }
            metrics.framesFilled(filled.frames().length);
            records.add(new ProducerRecord<>(topics.regularFrames(), id,
                    OutputMessages.observed(frame, model.card()).toByteArray()));
        }
        List<Forecast.Flag> flags = new ArrayList<>();
        if (beforeTime != null && entry.settings.cadence().isPresent()
                && Duration.between(beforeTime, frame.eventTime()).compareTo(entry.settings.cadence().get()) > 0) {
            flags.add(Forecast.Flag.AFTER_GAP);
        }
        if (frame.validCount() < frame.cells()) {
            flags.add(Forecast.Flag.PARTIAL_INPUT);
        }
        Forecast message = OutputMessages.forecast(id, entry.settings.model(), model, frame.eventTime(),
                clock.instant(), grid, forecast, next.lastValid(), flags);
        records.add(new ProducerRecord<>(topics.forecasts(), id, message.toByteArray()));
        metrics.forecastEmitted();
        return records;
    }

    private Processed rejected(ConsumerRecord<String, byte[]> record, DeadLetterReason reason, String text,
                               Optional<String> streamId) {
        return new Processed(reject(record, reason, text, streamId), streamId.orElse(null), CommitGate.Coverage.NONE,
                List.of());
    }

    private CompletableFuture<List<ProducerRecord<String, byte[]>>> reject(ConsumerRecord<String, byte[]> record,
                                                                           DeadLetterReason reason, String text,
                                                                           Optional<String> streamId) {
        LOG.warn("Dead-lettered {}-{}@{} ({}): {}", record.topic(), record.partition(), record.offset(), reason, text);
        metrics.deadLetter(reason);
        return CompletableFuture.completedFuture(List.of(deadLetters.producerRecord(
                deadLetters.deadLetter(record, reason, text, streamId))));
    }

    /**
     * Drops streams idle for longer than the idle timeout whose work is done; checked at most once a minute.
     *
     * @return the snapshots of evicted streams with frames not yet in a snapshot, by stream id
     */
    private Map<String, ProducerRecord<String, byte[]>> evictIdleStreams() {
        Instant now = clock.instant();
        Duration timeout = settings.idleTimeout();
        Duration every = timeout.compareTo(Duration.ofMinutes(1)) < 0 ? timeout : Duration.ofMinutes(1);
        if (Duration.between(lastSweep, now).compareTo(every) < 0) {
            return Map.of();
        }
        Map<String, ProducerRecord<String, byte[]>> snapshots = new LinkedHashMap<>();
        lastSweep = now;
        for (Iterator<Map.Entry<String, StreamEntry>> it = streams.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, StreamEntry> e = it.next();
            StreamEntry entry = e.getValue();
            if (entry.tail.isDone() && Duration.between(entry.lastSeen, now).compareTo(timeout) > 0) {
                it.remove();
                if (settings.snapshot().enabled() && entry.unsnapshotted) {
                    snapshots.put(e.getKey(), snapshotRecord(e.getKey(), entry));
                }
                metrics.streamEvicted();
                LOG.info("Stream {} idle since {}; state evicted", e.getKey(), entry.lastSeen);
            }
        }
        return snapshots;
    }

    private <T> CompletionStage<T> ask(Function<ActorRef<StatusReply<T>>, DecoderActor.Command> request) {
        return AskPattern.askWithStatus(decoder, request::apply, settings.decoder().askTimeout(), scheduler);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }
}
