package io.odecast.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import io.odecast.kafka.DeadLetterPublisher;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.RegularFrameCodec;
import io.odecast.kafka.TopicNames;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.StateSnapshot;
import io.odecast.stream.FrameValidator.Accepted;
import io.odecast.stream.FrameValidator.Read;
import io.odecast.stream.FrameValidator.Rejected;
import io.odecast.stream.FrameValidator.Validation;
import io.odecast.stream.ModelWork.FillResult;
import io.odecast.stream.ModelWork.StepResult;
import io.odecast.stream.StateSnapshotCodec.InputPosition;
import io.odecast.stream.StateSnapshotCodec.TimedObservation;
import io.odecast.stream.StreamCatalog.ResolvedStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine step's work, without Kafka clients: turns a batch of input records of assigned partitions into the
 * records to produce (forecasts, regular frames, dead letters, snapshots) and the partitions' next stream states.
 *
 * <p>Per-stream order with batching across streams: the records are queued per stream in input order and run in
 * waves; wave k holds the k-th pending frame of every stream, checked against its stream's status after wave k-1,
 * and its model work goes to the decoder as one request (steps batched across streams). A frame's status replaces
 * the old one only after its model call succeeded; a rejected or failed frame leaves its stream untouched.
 *
 * <p>Records before a partition's committed offset (replay after assignment) rebuild state only: no output, no
 * dead letter (both exist from the first time). Records a stream's snapshot already includes are skipped.
 */
final class StreamProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(StreamProcessor.class);

    /** Runs model work: the decoder actor in the service, a {@link BatchRunner} directly in tests. */
    interface ModelRunner {
        /** Starts the work; its results complete the future (exceptionally when the call failed or timed out). */
        java.util.concurrent.CompletableFuture<DecoderActor.Results> start(List<ModelWork.Step> steps,
                                                                         List<ModelWork.Fill> fills);

        /** Runs the work and waits for its results. */
        default DecoderActor.Results run(List<ModelWork.Step> steps, List<ModelWork.Fill> fills) throws Exception {
            return run(steps, fills, () -> { });
        }

        /** Runs the work, runs {@code meanwhile} on the calling thread while the model computes, and waits. */
        default DecoderActor.Results run(List<ModelWork.Step> steps, List<ModelWork.Fill> fills, Runnable meanwhile)
                throws Exception {
            java.util.concurrent.CompletableFuture<DecoderActor.Results> results = start(steps, fills);
            meanwhile.run();
            return results.get();
        }
    }

    private final ServiceSettings settings;
    private final StreamCatalog catalog;
    private final ModelRunner runner;
    private final ServiceMetrics metrics;
    private final DeadLetterPublisher deadLetters;
    private final SnapshotStore store;
    private final TopicNames topics;
    private final ModelSwaps swaps;
    private final ServiceMetrics.EngineGauges gauges;
    private final java.util.function.Function<StreamStep.Plan, StreamStep.Baselines> baselineSource;
    private Instant lastProvisionalCheck = Instant.MIN;
    /** The most streams forgotten in one maintenance, so that one step's commit stays small; the rest follow. */
    static final int MAX_FORGOTTEN_PER_CHECK = 2000;
    /** Record timestamps of the frames whose forecasts were emitted since the last {@link #takeArrivals()}. */
    private List<Long> arrivals = new ArrayList<>();

    StreamProcessor(ServiceSettings settings, StreamCatalog catalog, ModelRunner runner, ServiceMetrics metrics,
                    DeadLetterPublisher deadLetters, SnapshotStore store, ModelSwaps swaps,
                    ServiceMetrics.EngineGauges gauges) {
        this(settings, catalog, runner, metrics, deadLetters, store, swaps, gauges, StreamStep::baselines);
    }

    /** With {@code baselineSource} computing each plan's blend baselines (tests make it fail). */
    StreamProcessor(ServiceSettings settings, StreamCatalog catalog, ModelRunner runner, ServiceMetrics metrics,
                    DeadLetterPublisher deadLetters, SnapshotStore store, ModelSwaps swaps,
                    ServiceMetrics.EngineGauges gauges,
                    java.util.function.Function<StreamStep.Plan, StreamStep.Baselines> baselineSource) {
        this.baselineSource = baselineSource;
        this.settings = settings;
        this.gauges = gauges;
        this.swaps = swaps;
        this.catalog = catalog;
        this.runner = runner;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
        this.store = store;
        this.topics = settings.kafka().topics();
    }

    private record Item(ConsumerRecord<String, byte[]> record, Read read, PartitionTask task, boolean replay) {
    }

    /** The input offset of each forecast record of the {@link #process} call under way. */
    private final Map<ProducerRecord<String, byte[]>, Long> forecastInputs = new java.util.IdentityHashMap<>();

    /**
     * Processes records of assigned partitions (in each partition's order) and returns what to produce.
     *
     * @throws Exception when the model runner fails as a whole (timeout): the engine then restarts from its commit
     */
    List<ProducerRecord<String, byte[]>> process(List<ConsumerRecord<String, byte[]>> records,
                                                 Map<Integer, PartitionTask> tasks, Instant now) throws Exception {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        forecastInputs.clear();
        Map<String, Deque<Item>> queues = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            PartitionTask task = tasks.get(record.partition());
            if (task == null || record.offset() < task.nextOffset) {
                continue;
            }
            task.nextOffset = record.offset() + 1;
            boolean replay = record.offset() < task.processFrom;
            if (!replay) {
                metrics.frameReceived();
            }
            Validation v = FrameValidator.read(record.key(), record.value(), catalog);
            if (v instanceof Rejected r) {
                reject(record, r, replay, out);
            } else {
                Read read = (Read) v;
                queues.computeIfAbsent(record.partition() + "/" + read.frame().streamId(), k -> new ArrayDeque<>())
                        .addLast(new Item(record, read, task, replay));
            }
        }
        while (!queues.isEmpty()) {
            List<Item> wave = new ArrayList<>();
            for (Iterator<Deque<Item>> it = queues.values().iterator(); it.hasNext(); ) {
                Deque<Item> q = it.next();
                wave.add(q.removeFirst());
                if (q.isEmpty()) {
                    it.remove();
                }
            }
            runWave(wave, now, out);
        }
        forecastsInInputOrder(out);
        return out;
    }

    /**
     * Puts the forecasts among {@code out} in the order of their input offsets, in the places forecasts hold (other
     * records keep theirs). Waves emit the k-th frame of every stream together, so a partition's forecasts would
     * otherwise reach the forecasts topic out of input order; the newest input with a forecast, which an
     * at-least-once restart reads from the topic's tail to flag repeats as replayed, must be its last forecast.
     */
    private void forecastsInInputOrder(List<ProducerRecord<String, byte[]>> out) {
        List<Integer> places = new ArrayList<>();
        List<ProducerRecord<String, byte[]>> forecasts = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            if (forecastInputs.containsKey(out.get(i))) {
                places.add(i);
                forecasts.add(out.get(i));
            }
        }
        forecasts.sort(java.util.Comparator.comparingLong(forecastInputs::get));
        for (int k = 0; k < places.size(); k++) {
            out.set(places.get(k), forecasts.get(k));
        }
        forecastInputs.clear();
    }

    private void runWave(List<Item> wave, Instant now, List<ProducerRecord<String, byte[]>> out) throws Exception {
        List<StreamStatus> statuses = new ArrayList<>();
        List<ResolvedStream> current = new ArrayList<>();
        for (Item item : wave) {
            statuses.add(status(item.task(), item.read().frame().streamId(), item.read().stream(), now).seen(now));
            current.add(item.read().stream());
        }
        switchModels(statuses, current);
        List<StreamStep.Plan> plans = new ArrayList<>();
        List<Item> planned = new ArrayList<>();
        for (int w = 0; w < wave.size(); w++) {
            Item item = wave.get(w);
            ConsumerRecord<String, byte[]> record = item.record();
            String id = item.read().frame().streamId();
            StreamStatus status = statuses.get(w);
            item.task().active.put(id, status);
            if (record.offset() <= status.offset()) {
                metrics.frameSkipped();
                continue;
            }
            // The state's own model time: the step advances it to the frame's, which must be after it.
            double lastModelTime = status.state().isEmpty() ? Double.NaN : status.state().lastTime();
            Validation v = FrameValidator.check(item.read(), status.lastTime(), lastModelTime, record.timestamp(),
                    settings.input().maxClockSkew(), settings.input().maxStdDevs());
            if (v instanceof Rejected r) {
                reject(record, r, item.replay(), out);
                continue;
            }
            boolean replayed = !item.replay() && record.offset() <= item.task().replayedUpTo;
            plans.add(StreamStep.plan(status, ((Accepted) v).frame(), record.partition(), record.offset(),
                    item.replay(), replayed, settings.decoder().maxSubsteps()));
            planned.add(item);
        }
        if (plans.isEmpty()) {
            return;
        }
        // The blends' flow frames depend on the frames alone: computed on this thread while the model runs, so a
        // chunk's outputs do not wait for them one after another once its model call returns.
        StreamStep.Baselines[] baselines = new StreamStep.Baselines[plans.size()];
        DecoderActor.Results results = runner.run(plans.stream().map(StreamStep.Plan::work).toList(), List.of(),
                () -> {
                    for (int i = 0; i < baselines.length; i++) {
                        baselines[i] = baselines(plans.get(i));
                    }
                });
        for (int i = 0; i < plans.size(); i++) {
            StreamStep.Plan plan = plans.get(i);
            Item item = planned.get(i);
            StepResult result = results.steps().get(i);
            if (result instanceof ModelWork.Failed failed) {
                reject(item.record(), new Rejected(DeadLetterReason.INTERNAL, "stream " + plan.before().id() + " at "
                        + plan.frame().eventTime() + ": model call failed: " + failed.error(),
                        Optional.of(plan.before().id())), item.replay(), out);
                continue;
            }
            ModelWork.Stepped stepped = (ModelWork.Stepped) result;
            if (stepped.fillError() != null) {
                LOG.warn("Stream {}: filling {} missing ticks from {} failed, left unfilled: {}", plan.before().id(),
                        plan.ticks().size(), plan.ticks().get(0), stepped.fillError());
            }
            StreamStep.Outcome outcome = StreamStep.finish(plan, stepped.result(), stepped.fill(), baselines[i], now);
            StreamStatus next = outcome.next();
            if (plan.restart() && plan.afterGap()) {
                metrics.streamRestarted();
                LOG.info("Stream {}: gap from {} to {} is beyond max-gap or max-substeps; state restarted",
                        next.id(), plan.before().lastTime(), plan.frame().eventTime());
            }
            if (item.replay()) {
                metrics.frameReplayed();
            } else {
                metrics.frameAccepted();
                emit(plan, outcome, out);
                arrivals.add(item.record().timestamp());
            }
            int every = settings.snapshot().everyFrames();
            if (every > 0 && next.sinceSnapshot() >= every) {
                next = snapshot(item.task(), next, now, out);
            }
            item.task().active.put(next.id(), next);
        }
    }

    /**
     * The frame boundary of a model swap ({@code resolved}: each frame's stream as its read found it in the catalog):
     * every status of the wave whose state was encoded by another version than
     * its rule's model now has is re-encoded from its recent frames under the new version, in batched rounds (round
     * k advances every such stream by its k-th recent frame), so its next forecast is as warm as one made under the
     * new version all along. A long gap inside the recent frames restarts the re-encoding there, as it would have
     * restarted the stream. A failed re-encoding leaves the stream to restart under the new version with its frame.
     */
    private void switchModels(List<StreamStatus> statuses, List<ResolvedStream> resolved) throws Exception {
        List<Integer> switching = new ArrayList<>();
        List<StreamState> states = new ArrayList<>();
        List<List<TimedObservation>> recents = new ArrayList<>();
        for (int i = 0; i < statuses.size(); i++) {
            StreamStatus s = statuses.get(i);
            // As the frame's read resolved it: the catalog is not matched against the stream id a second time.
            ResolvedStream current = resolved.get(i);
            if (current.model().version().equals(s.stateVersion())) {
                if (current != s.stream()) {
                    statuses.set(i, s.withStream(current));
                }
                continue;
            }
            VidOdeModel model = current.model();
            List<TimedObservation> recent = new ArrayList<>();
            for (TimedObservation o : s.recent()) {
                recent.add(new TimedObservation(o.time(), o.under(model.card())));
            }
            VidOdeModel encoder = s.stream().model();
            if (encoder.version().equals(s.stateVersion())
                    && encoder.encodingVersion().equals(model.encodingVersion())) {
                // The new version encodes as the one that made the state (only what it serves changed, e.g. its
                // blend): the state stays; the stream switches at this frame without re-encoding.
                statuses.set(i, s.switchedTo(current, s.state(), recent));
                swaps.streamSwitched(false);
                continue;
            }
            statuses.set(i, s.withStream(current));
            switching.add(i);
            states.add(model.emptyState());
            recents.add(recent);
        }
        long maxSubsteps = settings.decoder().maxSubsteps();
        for (int round = 0; !switching.isEmpty(); round++) {
            List<ModelWork.Step> steps = new ArrayList<>();
            List<Integer> who = new ArrayList<>();
            for (int j = 0; j < switching.size(); j++) {
                if (round < recents.get(j).size() && states.get(j) != null) {
                    VidOdeModel model = statuses.get(switching.get(j)).stream().model();
                    Observation o = recents.get(j).get(round).observation();
                    StreamState before = states.get(j);
                    if (!before.isEmpty() && model.encoderSubsteps(o.time() - before.lastTime()) > maxSubsteps) {
                        before = model.emptyState();
                    }
                    steps.add(new ModelWork.Step(model, before, o, new double[0], null));
                    who.add(j);
                }
            }
            if (steps.isEmpty()) {
                break;
            }
            List<StepResult> results = runner.run(steps, List.of()).steps();
            for (int k = 0; k < who.size(); k++) {
                int j = who.get(k);
                if (results.get(k) instanceof ModelWork.Stepped stepped) {
                    states.set(j, stepped.result().state());
                } else {
                    LOG.warn("Stream {}: re-encoding under model version {} failed ({}); it restarts with its next"
                            + " frame", statuses.get(switching.get(j)).id(),
                            statuses.get(switching.get(j)).stream().model().version(),
                            ((ModelWork.Failed) results.get(k)).error());
                    states.set(j, null);
                }
            }
        }
        for (int j = 0; j < switching.size(); j++) {
            int i = switching.get(j);
            StreamStatus s = statuses.get(i);
            VidOdeModel model = s.stream().model();
            StreamState state = states.get(j) == null ? model.emptyState() : states.get(j);
            LOG.debug("Stream {}: switched from model version {} to {}, re-encoded from {} recent frames", s.id(),
                    s.stateVersion(), model.version(), recents.get(j).size());
            statuses.set(i, s.switchedTo(s.stream(), state, recents.get(j)));
            swaps.streamSwitched(true);
        }
    }

    /**
     * A plan's blend baselines; a failure to compute them (a frame the flow cannot handle) costs the blend of that
     * frame's outputs (the model's frames are emitted as they are), never the frame.
     */
    private StreamStep.Baselines baselines(StreamStep.Plan plan) {
        try {
            return baselineSource.apply(plan);
        } catch (RuntimeException e) {
            LOG.warn("Stream {} at {}: blend baselines failed, outputs unblended: {}", plan.before().id(),
                    plan.frame().eventTime(), e.toString());
            return StreamStep.Baselines.NONE;
        }
    }

    private void emit(StreamStep.Plan plan, StreamStep.Outcome outcome, List<ProducerRecord<String, byte[]>> out) {
        StreamStatus s = outcome.next();
        String id = s.id();
        int partition = plan.partition();
        if (s.stream().settings().cadence().isPresent()) {
            if (outcome.filled() != null) {
                for (int k = 0; k < outcome.filledTicks().size(); k++) {
                    out.add(new ProducerRecord<>(topics.regularFrames(), id, RegularFrameCodec.encode(
                            OutputMessages.filled(id, s.stream().filler(), outcome.filledTicks().get(k),
                                    outcome.filled()[k], outcome.filledValid()[k]))));
                }
                metrics.framesFilled(outcome.filledTicks().size());
            }
            if (outcome.observedRegular()) {
                out.add(new ProducerRecord<>(topics.regularFrames(), id,
                        RegularFrameCodec.encode(OutputMessages.observed(plan.frame(), s.stream().model().card()))));
            }
        }
        ProducerRecord<String, byte[]> forecast = new ProducerRecord<>(topics.forecasts(), partition, id,
                ForecastCodec.encode(outcome.forecast()));
        forecastInputs.put(forecast, plan.offset());
        out.add(forecast);
        metrics.forecastEmitted();
        if (plan.replayed()) {
            metrics.forecastMarkedReplayed();
        }
    }

    /**
     * The record timestamps of the input frames of the forecasts emitted since the last call, for the
     * arrival-to-forecast latency once they are acknowledged.
     */
    List<Long> takeArrivals() {
        List<Long> taken = arrivals;
        arrivals = new ArrayList<>();
        return taken;
    }

    /**
     * Periodic work of the engine's loop: provisional frames for overdue cadence ticks (when {@code provisional}),
     * snapshots of streams dirty for longer than {@code snapshot.every}, and eviction of idle streams and of the
     * least recently seen ones beyond {@code max-active-streams} (each snapshotted first when dirty).
     */
    List<ProducerRecord<String, byte[]>> maintain(Map<Integer, PartitionTask> tasks, Instant now) throws Exception {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        Duration check = settings.provisionalCheck();
        if (!check.isZero() && !now.isBefore(lastProvisionalCheck.plus(check))) {
            lastProvisionalCheck = now;
            provisional(tasks, now, out);
        }
        Duration every = settings.snapshot().every();
        long streams = 0;
        long bytes = 0;
        for (PartitionTask task : tasks.values()) {
            for (StreamStatus s : List.copyOf(task.active.values())) {
                if (!every.isZero() && s.unsaved() && !now.isBefore(s.dirtySince().plus(every))) {
                    task.active.put(s.id(), snapshot(task, s, now, out));
                }
                if (Duration.between(s.lastSeen(), now).compareTo(settings.idleTimeout()) > 0) {
                    evict(task, task.active.get(s.id()), now, out);
                }
            }
            streams += task.active.size();
        }
        // max-active-streams is the instance's: an equal share for each consumer loop that owns partitions (a loop
        // without partitions holds no streams and takes no share).
        int maxActiveStreams = (int) Math.max(1, -Math.floorDiv(-(long) settings.maxActiveStreams(),
                Math.max(1, metrics.loopsOwningPartitions(gauges, tasks.size()))));
        if (streams > maxActiveStreams) {
            List<Map.Entry<PartitionTask, StreamStatus>> all = new ArrayList<>();
            tasks.values().forEach(t -> t.active.values().forEach(s -> all.add(Map.entry(t, s))));
            all.sort(Comparator.comparing(e -> e.getValue().lastSeen()));
            for (int i = 0; i < streams - maxActiveStreams; i++) {
                evict(all.get(i).getKey(), all.get(i).getValue(), now, out);
            }
            streams = maxActiveStreams;
        }
        for (PartitionTask task : tasks.values()) {
            for (StreamStatus s : task.active.values()) {
                bytes += s.stateBytes();
            }
        }
        gauges.memory(streams, bytes, tasks.size());
        forgetGoneStreams(tasks, now, out);
        return out;
    }

    /**
     * Forgets the streams not seen for {@code state-retention}: their snapshots leave the local store and get a
     * tombstone on the state topic (committed with the step), so that neither grows with every stream id ever seen.
     * A snapshot's file time is when it was written (the service's clock). A partition is checked hourly (or every
     * retention / 24), against the last step at which it was caught up (no lag, nothing buffered: a stream whose
     * frames wait in a backlog is not silent before they do), so a partition that is never quite caught up is still
     * checked; a stream in memory is never forgotten. At most {@link #MAX_FORGOTTEN_PER_CHECK} per
     * maintenance: a partition with more is checked again at the next one.
     */
    private void forgetGoneStreams(Map<Integer, PartitionTask> tasks, Instant now,
                                   List<ProducerRecord<String, byte[]>> out) {
        Duration retention = settings.stateRetention();
        if (retention.isZero()) {
            return;
        }
        Duration every = retention.dividedBy(24).compareTo(Duration.ofHours(1)) < 0 ? retention.dividedBy(24)
                : Duration.ofHours(1);
        int total = 0;
        Instant oldest = null;
        for (PartitionTask task : tasks.values()) {
            if (task.caughtUpAt == null || now.isBefore(task.lastRetentionCheck.plus(every))
                    || total >= MAX_FORGOTTEN_PER_CHECK) {
                continue;
            }
            Instant cutoff = (task.caughtUpAt.isBefore(now) ? task.caughtUpAt : now).minus(retention);
            oldest = oldest == null || cutoff.isBefore(oldest) ? cutoff : oldest;
            int room = MAX_FORGOTTEN_PER_CHECK - total;
            List<String> gone = store.forget(task.partition, cutoff, task.active::containsKey, room);
            for (String id : gone) {
                out.add(new ProducerRecord<String, byte[]>(topics.state(), task.partition, now.toEpochMilli(), id,
                        null));
            }
            total += gone.size();
            if (gone.size() < room) {
                task.lastRetentionCheck = now;
            }
        }
        if (total > 0) {
            metrics.streamsForgotten(total);
            LOG.info("Forgot {} streams not seen since {} (state-retention {}): snapshots deleted, tombstones on {}",
                    total, oldest, retention, topics.state());
        }
    }

    /** Snapshots of every unsaved stream of a partition (revocation, stop). */
    List<ProducerRecord<String, byte[]>> snapshotAll(PartitionTask task, Instant now) {
        List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
        for (StreamStatus s : List.copyOf(task.active.values())) {
            if (s.unsaved()) {
                task.active.put(s.id(), snapshot(task, s, now, out));
            }
        }
        return out;
    }

    private void evict(PartitionTask task, StreamStatus s, Instant now, List<ProducerRecord<String, byte[]>> out) {
        if (s.unsaved()) {
            snapshot(task, s, now, out);
        }
        task.active.remove(s.id());
        metrics.streamEvicted();
        LOG.debug("Stream {} evicted from memory (last seen {})", s.id(), s.lastSeen());
    }

    private void provisional(Map<Integer, PartitionTask> tasks, Instant now, List<ProducerRecord<String, byte[]>> out)
            throws Exception {
        List<ModelWork.Fill> fills = new ArrayList<>();
        List<StreamStatus> owners = new ArrayList<>();
        List<PartitionTask> ownerTasks = new ArrayList<>();
        List<List<Instant>> tickLists = new ArrayList<>();
        for (PartitionTask task : tasks.values()) {
            for (StreamStatus s : task.active.values()) {
                List<Instant> ticks = StreamStep.overdueTicks(s, now, settings.decoder().maxSubsteps());
                if (!ticks.isEmpty()) {
                    fills.add(new ModelWork.ForecastFill(s.stream().model(), s.state(),
                            ticks.stream().mapToDouble(s.stream().model().card()::modelTime).toArray(),
                            s.stream().settings().priority() == StreamSettings.Priority.HIGH));
                    owners.add(s);
                    ownerTasks.add(task);
                    tickLists.add(ticks);
                }
            }
        }
        if (fills.isEmpty()) {
            return;
        }
        List<FillResult> results = runner.run(List.of(), fills).fills();
        for (int i = 0; i < fills.size(); i++) {
            StreamStatus s = owners.get(i);
            List<Instant> ticks = tickLists.get(i);
            if (!results.get(i).ok()) {
                LOG.warn("Stream {}: provisional frames for {} overdue ticks from {} failed: {}", s.id(), ticks.size(),
                        ticks.get(0), results.get(i).error());
                continue;
            }
            float[][] frames = results.get(i).frames();
            for (int k = 0; k < frames.length; k++) {
                out.add(new ProducerRecord<>(topics.regularFrames(), s.id(), RegularFrameCodec.encode(
                        OutputMessages.provisional(s.id(), s.stream().model(), ticks.get(k), frames[k],
                                s.state().lastValid()))));
            }
            metrics.framesProvisional(frames.length);
            ownerTasks.get(i).active.put(s.id(), s.withLastProvisionalTime(ticks.get(ticks.size() - 1), now));
        }
    }

    /**
     * The status of a stream: in memory, else from its snapshot in the local store, else a fresh one. The store is
     * always read: {@code snapshot.restore} governs only what an assignment puts there (the state topic's snapshots,
     * or nothing: the engine empties the partition's folder), so without restore it holds only the snapshots this
     * session wrote, e.g. of the streams it evicted, which come back exactly.
     */
    private StreamStatus status(PartitionTask task, String id, ResolvedStream stream, Instant now) {
        StreamStatus s = task.active.get(id);
        if (s != null) {
            return s;
        }
        Optional<byte[]> bytes = store.get(task.partition, id);
        if (bytes.isEmpty()) {
            return StreamStatus.fresh(id, stream, now);
        }
        try {
            StateSnapshot snapshot = StateSnapshot.parseFrom(bytes.get());
            if (!snapshot.getModelName().equals(stream.settings().model())) {
                LOG.info("Stream {}: snapshot is for model {}, the stream now uses {}; starting from an empty state",
                        id, snapshot.getModelName(), stream.settings().model());
                return StreamStatus.fresh(id, stream, now);
            }
            if (snapshot.getInputPartition() != task.partition) {
                LOG.warn("Stream {}: snapshot is of input partition {} but the stream is in partition {} (was the"
                        + " frames topic repartitioned?); starting from an empty state", id,
                        snapshot.getInputPartition(), task.partition);
                return StreamStatus.fresh(id, stream, now);
            }
            StateSnapshotCodec.Restored r = StateSnapshotCodec.decode(snapshot, stream.model());
            metrics.streamRestored();
            // A snapshot of another version of the model keeps its recent frames: the wave re-encodes them under
            // the serving version (switchModels) instead of trusting the old state.
            return new StreamStatus(id, stream, r.state(), r.state().isEmpty() ? null : r.lastEventTime(),
                    r.lastRegularTime(), r.lastProvisionalTime(), r.recent(), r.position().offset(), -1, null, 0, null,
                    now, snapshot.getModelVersion(), false);
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            LOG.warn("Stream {}: cannot restore its state ({}); starting from an empty state", id, e.getMessage());
            return StreamStatus.fresh(id, stream, now);
        }
    }

    /** Writes a snapshot of {@code s} to the local store and the state topic; returns the status as clean. */
    private StreamStatus snapshot(PartitionTask task, StreamStatus s, Instant now,
                                  List<ProducerRecord<String, byte[]>> out) {
        long start = System.nanoTime();
        byte[] bytes = StateSnapshotCodec.encode(s.id(), s.stream().settings().model(), s.stream().model(), s.state(),
                s.lastTime(), new InputPosition(topics.frames(), task.partition, s.offset()), s.lastRegularTime(),
                s.lastProvisionalTime(), s.recent(), now).toByteArray();
        store.put(task.partition, s.id(), bytes, now);
        // Timestamped by the service's clock, as the local file is: a restore dates the file by it (state-retention).
        out.add(new ProducerRecord<>(topics.state(), task.partition, now.toEpochMilli(), s.id(), bytes));
        metrics.snapshotWritten(System.nanoTime() - start);
        return s.snapshotted();
    }

    private void reject(ConsumerRecord<String, byte[]> record, Rejected r, boolean replay,
                        List<ProducerRecord<String, byte[]>> out) {
        if (replay) {
            return;
        }
        LOG.warn("Dead-lettered {}-{}@{} ({}): {}", record.topic(), record.partition(), record.offset(), r.reason(),
                r.text().length() > 300 ? r.text().substring(0, 300) + "..." : r.text());
        metrics.deadLetter(r.reason());
        out.add(deadLetters.producerRecord(deadLetters.deadLetter(record, r.reason(), r.text(), r.streamId())));
    }
}
