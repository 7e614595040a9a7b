package io.odecast.stream;

import io.odecast.model.Observation;
import io.odecast.model.ConvPrecision;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.ModelWork.Fill;
import io.odecast.stream.ModelWork.FillResult;
import io.odecast.stream.ModelWork.ForecastFill;
import io.odecast.stream.ModelWork.InterpolateFill;
import io.odecast.stream.ModelWork.Step;
import io.odecast.stream.ModelWork.StepResult;
import io.odecast.model.StreamState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an engine step's model work as few batched calls: steps grouped by model, encoder sub-step count and number
 * of forecast times (so a stream with a long gap never lengthens the call of streams with short ones), fills by
 * model, kind and shape, each group in equal chunks of at most {@code maxBatch}. A failing chunk is retried one request
 * at a time so that one bad request fails alone. Inference is batch-independent, so the grouping changes no value.
 *
 * <p>The calls run on {@code workers} threads at once, each with its own libtorch intra-op thread count: a group is
 * split into at least as many equal calls as there are workers free when the step starts (when it has that many
 * requests), so a small step keeps every core busy with single-threaded calls instead of one call whose small
 * convolutions parallelise badly, while the steps of several consumer loops sharing the runner, arriving when the
 * workers are taken, queue fewer and larger calls. Different streams' requests are independent, so running them
 * at once changes no value either.
 *
 * <p>Calls wait in one queue; a worker that takes one also takes the waiting chunks of other steps (other loops) with
 * the same key, up to {@code maxBatch}: at a modest rate, where each loop's step holds a frame or two and the workers
 * are busy, several loops' frames run as one call instead of a call each. The calls of high-priority streams' steps
 * (and their gap fills) go ahead of every waiting call of normal priority, whichever loop queued it.
 *
 * <p>Optionally ({@code odecast.decoder.gather-wait}, off by default) a small call waits briefly for other loops'
 * calls to join it: less CPU per frame at a moderate rate, more latency (docs/benchmarks.md).
 */
public final class BatchRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
    private static final AtomicInteger RUNNERS = new AtomicInteger();
    private static final long CLOSE_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    /** Urgent calls taken in a row before a waiting normal call gets its turn. */
    static final int URGENT_RUN = 4;
    /**
     * The size from which a call starts without waiting for others to join it (with a gather wait): per request a
     * call of 4 costs about 40 % of a call of one, and larger calls gain little more (storm, one thread: 13.9, 8.4,
     * 5.9, 5.1 ms per frame at 1, 2, 4, 8; docs/benchmarks.md).
     */
    static final int GATHER_BATCH = 4;

    private final int maxBatch;
    private final int workers;
    /** Workers that run only urgent calls, beside {@link #workers}. */
    private final int urgentWorkers;
    private final ServiceMetrics metrics;
    private final WorkQueue queue = new WorkQueue();
    private final List<Thread> threads = new ArrayList<>();
    /** The convolutions' precision every model runs with here (the asked one where the CPU has it). */
    private final ConvPrecision precision;
    /** Calls of the steps running on this runner now (every consumer loop's). */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** How long a call of fewer than {@link #GATHER_BATCH} requests may wait for others to join it; 0: none. */
    private final long gatherNanos;
    /** Consumer loops that submit work here now, those owning partitions ({@link #sharedBy}). */
    private volatile java.util.function.IntSupplier loops = () -> 1;
    /**
     * Calls of {@link #run} whose chunks are queued or running: a loop inside one submits nothing else until it
     * returns.
     */
    private final AtomicInteger running = new AtomicInteger();

    /** One worker with one intra-op thread (tests). */
    BatchRunner(int maxBatch, ServiceMetrics metrics) {
        this(new DecoderSettings(maxBatch, java.time.Duration.ofMinutes(1), 1, 1, 1), metrics);
    }

    /** A runner with the decoder's batch, worker and thread settings; close it to stop its threads. */
    public BatchRunner(DecoderSettings settings, ServiceMetrics metrics) {
        this.maxBatch = settings.maxBatch();
        this.workers = settings.resolvedWorkers();
        this.urgentWorkers = settings.urgentWorkers();
        this.metrics = metrics;
        this.precision = VidOdeModel.availablePrecision(settings.precision());
        this.gatherNanos = settings.gatherWait().toNanos();
        int intraOp = settings.intraOpThreads();
        int runner = RUNNERS.incrementAndGet();
        for (int w = 1; w <= workers; w++) {
            Thread t = new Thread(() -> work(intraOp, false), "odecast-model-" + runner + "-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (int w = 1; w <= urgentWorkers; w++) {
            Thread t = new Thread(() -> work(intraOp, true), "odecast-model-" + runner + "-u" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /**
     * How many consumer loops submit work to this runner now (1 unless told; asked whenever a small call might
     * wait): those owning partitions, since an idle loop adds nothing. A small call waits for others to join it only
     * while some of them is not inside a step already, since only such a loop can add one.
     */
    public void sharedBy(java.util.function.IntSupplier activeLoops) {
        this.loops = java.util.Objects.requireNonNull(activeLoops);
    }

    /** Workers without a call of a running step now (at least 1): what the next step spreads its calls over. */
    int freeWorkers() {
        return Math.max(1, workers - inFlight.get());
    }

    /** Chunks waiting for a worker now (tests). */
    int waitingChunks() {
        return queue.size();
    }

    /** Model calls that run at once. */
    public int workers() {
        return workers;
    }

    /**
     * {@code advanceAndForecast} of {@code model} for every stream, as the service runs it (grouped, chunked and
     * spread over the workers); for benchmarks that compare the service with its model.
     */
    public List<VidOdeModel.Stepped> advanceAndForecast(VidOdeModel model, List<StreamState> states,
                                                        List<Observation> observations, double[][] times) {
        List<Step> steps = new ArrayList<>(states.size());
        for (int i = 0; i < states.size(); i++) {
            steps.add(new Step(model, states.get(i), observations.get(i), times[i], null));
        }
        List<VidOdeModel.Stepped> out = new ArrayList<>(steps.size());
        for (StepResult r : steps(steps)) {
            if (r instanceof ModelWork.Failed failed) {
                throw new IllegalStateException(failed.error());
            }
            out.add(((ModelWork.Stepped) r).result());
        }
        return out;
    }

    /**
     * Stops the runner: waiting calls fail ("the model runner is closed"), and this waits up to 30 s for the calls
     * running now, so that the models are not closed under a native call (a step that timed out leaves its calls
     * running).
     */
    @Override
    public void close() {
        queue.close();
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        for (Thread t : threads) {
            if (t == Thread.currentThread()) {
                continue;
            }
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                LOG.warn("Model worker {} still in a call after 30 s; closing without it", t.getName());
            }
        }
    }

    /** The steps' results in request order. */
    List<StepResult> steps(List<Step> steps) {
        // Fills first: they read the states before the steps, which the steps do not change (states are values).
        List<Fill> fills = new ArrayList<>();
        List<Integer> fillOf = new ArrayList<>();
        for (Step s : steps) {
            fillOf.add(s.fill() == null ? -1 : fills.size());
            if (s.fill() != null) {
                fills.add(s.fill());
            }
        }
        List<FillResult> filled = fills(fills);
        Object[] results = run(steps, BatchRunner::groupKey, Step::urgent, this::advanceAndForecast);
        List<StepResult> out = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            if (results[i] instanceof String error) {
                out.add(new ModelWork.Failed(error));
            } else {
                FillResult f = fillOf.get(i) < 0 ? null : filled.get(fillOf.get(i));
                out.add(new ModelWork.Stepped((io.odecast.model.VidOdeModel.Stepped) results[i],
                        f == null ? null : f.frames(), f == null ? null : f.error()));
            }
        }
        return out;
    }

    /** The fills' frames in request order. */
    List<FillResult> fills(List<Fill> fills) {
        Object[] results = run(fills, BatchRunner::groupKey, Fill::urgent, this::fill);
        List<FillResult> out = new ArrayList<>(fills.size());
        for (Object r : results) {
            out.add(r instanceof String error ? new FillResult(null, error) : new FillResult((float[][]) r, null));
        }
        return out;
    }

    /**
     * Runs the requests as calls on the workers, grouped by {@code keyOf} and urgency (requests with equal keys may
     * share a call, also with other steps' requests of that key and urgency: a key must fix {@code call}), and waits
     * for all of them; each request's result, or its error as a String, in request order. Urgent requests' calls go
     * ahead of every waiting call that is not urgent.
     */
    @SuppressWarnings("unchecked")
    <R> Object[] run(List<R> requests, Function<R, Object> keyOf, Predicate<R> urgent,
                     Function<List<R>, List<?>> call) {
        Object[] results = new Object[requests.size()];
        Map<Object, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            R r = requests.get(i);
            groups.computeIfAbsent(new Key(keyOf.apply(r), urgent.test(r)), k -> new ArrayList<>()).add(i);
        }
        if (groups.isEmpty()) {
            return results;
        }
        Object step = new Object();
        List<Chunk> calls = new ArrayList<>();
        // Spread over the workers that are free now: alone (a quiet moment, one consumer loop) a step uses every
        // worker; when other loops' calls occupy them, fewer and larger calls queue up instead of many small ones
        // (a call of 32 costs much less per request than two of 16 on these grids).
        int spread = freeWorkers();
        Function<List<Object>, List<?>> anyCall = (Function<List<Object>, List<?>>) (Function<?, ?>) call;
        for (Map.Entry<Object, List<Integer>> entry : groups.entrySet()) {
            List<Integer> group = entry.getValue();
            for (List<Integer> chunk : chunks(group.size(), maxBatch, spread)) {
                List<Integer> indices = chunk.stream().map(group::get).toList();
                calls.add(new Chunk(step, (Key) entry.getKey(), group.size(), indices,
                        indices.stream().map(i -> (Object) requests.get(i)).toList(), results, anyCall));
            }
        }
        // With urgent workers, urgent calls run beside the workers, so they take none of them from the next step's spread.
        int occupying = urgentWorkers > 0 ? (int) calls.stream().filter(c -> !c.key.urgent()).count() : calls.size();
        inFlight.addAndGet(occupying);
        metrics.modelStarted();
        boolean queued = false;
        try {
            queue.submit(calls);
            queued = true;
            // Each chunk writes its own slots of results; the future's completion orders those writes before the reads.
            for (Chunk c : calls) {
                c.done.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for model calls", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("model call failed", cause);
        } finally {
            // A failed or interrupted step's chunks still waiting are of no use to anyone.
            queue.withdraw(calls);
            // Counted until the whole step is done (also when it fails or is interrupted): never left over.
            inFlight.addAndGet(-occupying);
            if (queued) {
                running.decrementAndGet();
            }
            metrics.modelFinished();
        }
        return results;
    }

    /** What a call's requests share: the work's shape ({@link #groupKey}) and urgency. */
    private record Key(Object work, boolean urgent) {
    }

    /** What requests must share to run in one call: the same model, and the same shape of work. */
    private static Object groupKey(Object request) {
        if (request instanceof Step s) {
            return List.of(s.model(), s.substeps(), s.times().length);
        }
        Fill f = (Fill) request;
        return f instanceof InterpolateFill in
                ? List.of(f.model(), "interpolate", in.window().size(), f.times().length)
                : List.of(f.model(), "forecast", f.times().length);
    }

    /**
     * Positions 0..size-1 split into equal chunks of at most {@code maxBatch}: 65 requests run as 33 + 32, not
     * 64 + 1, since a small call costs nearly as much per request as a batch of one; the number of chunks is a
     * multiple of {@code workers} (or {@code size}, when smaller), so every worker gets a chunk of about one size.
     */
    static List<List<Integer>> chunks(int size, int maxBatch, int workers) {
        int chunks = (size + maxBatch - 1) / maxBatch;
        chunks = (chunks + workers - 1) / workers * workers;
        chunks = Math.min(chunks, size);
        List<List<Integer>> out = new ArrayList<>(chunks);
        for (int k = 0, from = 0; k < chunks; k++) {
            int to = from + (size - from + chunks - k - 1) / (chunks - k);
            List<Integer> chunk = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                chunk.add(i);
            }
            out.add(chunk);
            from = to;
        }
        return out;
    }

    /**
     * One chunk of a step's requests, waiting for a worker: the step it belongs to (chunks of one step are never
     * merged, they were split to spread over the workers), what a call needs them to share, and where its results go.
     */
    private static final class Chunk {
        final Object step;
        final Key key;
        /** The requests of its step with this key, in all of the step's chunks. */
        final int stepRequests;
        final List<Integer> indices;
        final List<Object> requests;
        final Object[] results;
        final Function<List<Object>, List<?>> call;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** When it was queued ({@link System#nanoTime}). */
        final long queued = System.nanoTime();

        Chunk(Object step, Key key, int stepRequests, List<Integer> indices, List<Object> requests, Object[] results,
              Function<List<Object>, List<?>> call) {
            this.step = step;
            this.key = key;
            this.stepRequests = stepRequests;
            this.indices = indices;
            this.requests = requests;
            this.results = results;
            this.call = call;
        }
    }

    /**
     * The chunks waiting for a worker, oldest first. A worker takes the oldest and, with it, the oldest waiting chunk
     * of each other step that has the same key, while the call stays within {@code maxBatch}: when the workers are
     * busy, the steps of several consumer loops (each with a frame or two at a modest rate) run as one call, which
     * costs far less per request than a call each (storm, one thread: 13.9 ms for one request, 16.8 ms for two).
     */
    private final class WorkQueue {
        /** Urgent chunks (high-priority streams'), taken before any other. */
        private final ArrayDeque<Chunk> urgent = new ArrayDeque<>();
        private final ArrayDeque<Chunk> normal = new ArrayDeque<>();
        /** Urgent calls taken in a row. */
        private int urgentRun;
        private boolean closed;

        synchronized void submit(List<Chunk> chunks) {
            if (closed) {
                throw new IllegalStateException("the model runner is closed");
            }
            for (Chunk c : chunks) {
                (c.key.urgent() ? urgent : normal).add(c);
            }
            // Counted with its chunks, under the lock: a waiting call that sees every loop inside a step also sees
            // all of their chunks.
            running.incrementAndGet();
            notifyAll();
        }

        synchronized int size() {
            return urgent.size() + normal.size();
        }

        synchronized void withdraw(List<Chunk> chunks) {
            urgent.removeAll(chunks);
            normal.removeAll(chunks);
            // A worker holding one of them for company looks again.
            notifyAll();
        }

        /**
         * The next call's chunks (blocks until there is one); empty once closed. With a gather wait, a call of fewer
         * than {@link #GATHER_BATCH} normal requests (from a step with fewer than that) starts only once its oldest
         * chunk has waited that long, unless it reaches that size first or every active loop is inside a step already
         * (none can add to it); meanwhile a call of another key that need not wait goes first, and so does an urgent
         * call: urgent calls never wait.
         */
        synchronized List<Chunk> take() throws InterruptedException {
            while (true) {
                while (urgent.isEmpty() && normal.isEmpty() && !closed) {
                    wait();
                }
                if (closed) {
                    return List.of();
                }
                // Chunks merge only with chunks of the same key, urgency included, so with those of their own deque.
                // Urgent calls first, but after URGENT_RUN of them in a row a waiting normal call gets its turn: an
                // urgent load that fills the workers must not hold other loops' steps until their ask times out.
                // With urgent workers, urgent calls are theirs; a worker takes one only when no normal call waits
                // (it would idle otherwise), so a bulk step's spread keeps the workers it counts on.
                if (!urgent.isEmpty() && (normal.isEmpty() || (urgentWorkers == 0 && urgentRun < URGENT_RUN))) {
                    urgentRun++;
                    return nextUrgent();
                }
                // Whether another loop can still add to a call: asked once per look, not per waiting call.
                boolean joinable = gatherNanos > 0 && running.get() < loops.getAsInt();
                long soonest = Long.MAX_VALUE;
                Set<Object> keys = new HashSet<>();
                for (Chunk head : normal) {
                    // The oldest chunk of each key heads that key's call.
                    if (keys.add(head.key)) {
                        List<Chunk> call = merged(normal, head);
                        long hold = joinable ? hold(call) : 0;
                        if (hold == 0) {
                            urgentRun = 0;
                            return removed(normal, call);
                        }
                        soonest = Math.min(soonest, hold);
                    }
                }
                if (!urgent.isEmpty()) {
                    // Every normal call is waiting for company: an urgent one goes now (the normal turn stays owed).
                    return nextUrgent();
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, soonest);
            }
        }

        /**
         * The next urgent call's chunks, for a worker that runs nothing else (blocks until there is one); empty once
         * closed. It does not count in the normal workers' run of urgent calls: those are about their own turns.
         */
        synchronized List<Chunk> takeUrgent() throws InterruptedException {
            while (urgent.isEmpty() && !closed) {
                wait();
            }
            return closed ? List.of() : nextUrgent();
        }

        /** The oldest urgent chunk's call, taken off the queue. */
        private List<Chunk> nextUrgent() {
            return removed(urgent, merged(urgent, urgent.peekFirst()));
        }

        private List<Chunk> removed(ArrayDeque<Chunk> waiting, List<Chunk> call) {
            waiting.removeAll(call);
            return call;
        }

        /** {@code first} and the oldest waiting chunk of each other step with its key, within maxBatch. */
        private List<Chunk> merged(ArrayDeque<Chunk> waiting, Chunk first) {
            List<Chunk> call = new ArrayList<>(List.of(first));
            int size = first.indices.size();
            Set<Object> steps = new HashSet<>(List.of(first.step));
            for (Iterator<Chunk> it = waiting.iterator(); it.hasNext() && size < maxBatch; ) {
                Chunk c = it.next();
                if (c != first && c.key.equals(first.key) && !steps.contains(c.step)
                        && size + c.indices.size() <= maxBatch) {
                    call.add(c);
                    steps.add(c.step);
                    size += c.indices.size();
                }
            }
            return call;
        }

        /**
         * How much longer this normal call should wait for others to join it, in nanoseconds (0: start now), while a
         * gather wait is set and another loop can still add to it.
         */
        private long hold(List<Chunk> call) {
            int size = 0;
            for (Chunk c : call) {
                if (c.stepRequests >= GATHER_BATCH) {
                    // A step split over free workers: its chunks are small by choice, not for want of company.
                    return 0;
                }
                size += c.indices.size();
            }
            if (size >= GATHER_BATCH || size >= maxBatch) {
                return 0;
            }
            long left = call.get(0).queued + gatherNanos - System.nanoTime();
            return left > 0 ? left : 0;
        }

        synchronized boolean closed() {
            return closed;
        }

        synchronized void close() {
            closed = true;
            for (ArrayDeque<Chunk> waiting : List.of(urgent, normal)) {
                for (Chunk c : waiting) {
                    c.done.completeExceptionally(new IllegalStateException("the model runner is closed"));
                }
                waiting.clear();
            }
            notifyAll();
        }
    }

    /**
     * A worker's loop: take a call's chunks, run them, until the runner closes. The intra-op thread count is set
     * before the first call (when a model, hence the engine, exists), and a failure to set it ends nothing.
     */
    private void work(int intraOp, boolean urgentOnly) {
        boolean threadsSet = false;
        while (true) {
            List<Chunk> call;
            try {
                call = urgentOnly ? queue.takeUrgent() : queue.take();
            } catch (InterruptedException e) {
                // Only close() ends a worker: an interrupt left over by a call (native or library code) does not.
                if (queue.closed()) {
                    return;
                }
                LOG.warn("A model worker was interrupted; it goes on");
                continue;
            }
            if (call.isEmpty()) {
                return;
            }
            if (!threadsSet) {
                threadsSet = true;
                try {
                    VidOdeModel.setIntraOpThreads(intraOp);
                } catch (Throwable t) {
                    LOG.warn("Could not set the model threads' intra-op thread count: {}", t.toString());
                }
            }
            runCall(call);
            // Not held while the worker waits: the chunks reference their steps' states and results.
            call = null;
        }
    }

    /**
     * Runs the chunks as one call. When a merged call fails (also with an Error), each chunk runs again as its own
     * call, so one step's failure stays that step's; when a chunk's call fails, each of its requests alone, so that
     * one bad request fails alone.
     */
    private void runCall(List<Chunk> call) {
        if (call.size() > 1) {
            try {
                runMerged(call);
                for (Chunk c : call) {
                    c.done.complete(null);
                }
            } catch (RuntimeException | Error e) {
                LOG.debug("A merged model call failed, its steps run apart: {}", e.toString());
                for (Chunk c : call) {
                    runCall(List.of(c));
                }
            }
            return;
        }
        Chunk chunk = call.get(0);
        try {
            try {
                runMerged(call);
            } catch (RuntimeException e) {
                if (chunk.indices.size() == 1) {
                    LOG.warn("Model call failed: {}", e.toString());
                    chunk.results[chunk.indices.get(0)] = e.toString();
                } else {
                    for (int k = 0; k < chunk.indices.size(); k++) {
                        runAlone(chunk, k);
                    }
                }
            }
            chunk.done.complete(null);
        } catch (Throwable t) {
            // Also an Error: the step that waits gets it (as invokeAll's futures gave it), the worker lives on.
            chunk.done.completeExceptionally(t);
        }
    }

    /** One model call of the chunks' requests, each result into its step's slot. */
    private void runMerged(List<Chunk> call) {
        List<Object> requests = new ArrayList<>();
        for (Chunk c : call) {
            requests.addAll(c.requests);
        }
        long start = System.nanoTime();
        List<?> out = call.get(0).call.apply(requests);
        metrics.batchRun(requests.size(), System.nanoTime() - start, call.get(0).key.urgent());
        if (call.size() > 1) {
            metrics.callMerged();
        }
        int k = 0;
        for (Chunk c : call) {
            for (Integer i : c.indices) {
                c.results[i] = out.get(k++);
            }
        }
    }

    private void runAlone(Chunk c, int k) {
        try {
            long start = System.nanoTime();
            List<?> out = c.call.apply(List.of(c.requests.get(k)));
            metrics.batchRun(1, System.nanoTime() - start, c.key.urgent());
            c.results[c.indices.get(k)] = out.get(0);
        } catch (RuntimeException e) {
            LOG.warn("Model call failed: {}", e.toString());
            c.results[c.indices.get(k)] = e.toString();
        }
    }

    /** The model, in this runner's precision (models arrive from the registry and from swaps in float32). */
    private VidOdeModel prepared(VidOdeModel model) {
        if (model.precision() != precision) {
            model.network().precision(precision);
        }
        return model;
    }

    /** The precision this runner's calls use. */
    public ConvPrecision precision() {
        return precision;
    }

    private List<VidOdeModel.Stepped> advanceAndForecast(List<Step> group) {
        VidOdeModel model = prepared(group.get(0).model());
        List<StreamState> before = group.stream().map(Step::before).toList();
        List<Observation> observations = group.stream().map(Step::observation).toList();
        double[][] times = group.stream().map(Step::times).toArray(double[][]::new);
        return model.advanceAndForecast(before, observations, times);
    }

    private List<float[][]> fill(List<Fill> group) {
        VidOdeModel model = prepared(group.get(0).model());
        double[][] times = group.stream().map(Fill::times).toArray(double[][]::new);
        if (group.get(0) instanceof InterpolateFill) {
            return model.interpolate(group.stream().map(f -> ((InterpolateFill) f).window()).toList(), times);
        }
        return model.forecast(group.stream().map(f -> ((ForecastFill) f).state()).toList(), times);
    }
}
