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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
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
 */
public final class BatchRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
    private static final AtomicInteger RUNNERS = new AtomicInteger();

    private final int maxBatch;
    private final int workers;
    private final ServiceMetrics metrics;
    private final ExecutorService pool;
    /** The convolutions' precision every model runs with here (the asked one where the CPU has it). */
    private final ConvPrecision precision;
    /** Calls of the steps running on this runner now (every consumer loop's). */
    private final AtomicInteger inFlight = new AtomicInteger();

    /** One worker with one intra-op thread (tests). */
    BatchRunner(int maxBatch, ServiceMetrics metrics) {
        this(new DecoderSettings(maxBatch, java.time.Duration.ofMinutes(1), 1, 1, 1), metrics);
    }

    /** A runner with the decoder's batch, worker and thread settings; close it to stop its threads. */
    public BatchRunner(DecoderSettings settings, ServiceMetrics metrics) {
        this.maxBatch = settings.maxBatch();
        this.workers = settings.resolvedWorkers();
        this.metrics = metrics;
        this.precision = VidOdeModel.availablePrecision(settings.precision());
        int intraOp = settings.intraOpThreads();
        int runner = RUNNERS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(workers, task -> {
            Thread t = new Thread(() -> {
                VidOdeModel.setIntraOpThreads(intraOp);
                task.run();
            }, "odecast-model-" + runner + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Workers without a call of a running step now (at least 1): what the next step spreads its calls over. */
    int freeWorkers() {
        return Math.max(1, workers - inFlight.get());
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

    @Override
    public void close() {
        pool.shutdownNow();
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
        Object[] results = new Object[steps.size()];
        Map<List<Object>, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            groups.computeIfAbsent(List.of(s.model(), s.substeps(), s.times().length), k -> new ArrayList<>()).add(i);
        }
        run(groups.values(), steps, results, this::advanceAndForecast);
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
        Object[] results = new Object[fills.size()];
        Map<List<Object>, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < fills.size(); i++) {
            Fill f = fills.get(i);
            List<Object> key = f instanceof InterpolateFill in
                    ? List.of(f.model(), "interpolate", in.window().size(), f.times().length)
                    : List.of(f.model(), "forecast", f.times().length);
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        run(groups.values(), fills, results, this::fill);
        List<FillResult> out = new ArrayList<>(fills.size());
        for (Object r : results) {
            out.add(r instanceof String error ? new FillResult(null, error) : new FillResult((float[][]) r, null));
        }
        return out;
    }

    /** Runs every group's chunks on the workers and waits for all of them. */
    private <R> void run(java.util.Collection<List<Integer>> groups, List<R> requests, Object[] results,
                         Function<List<R>, List<?>> call) {
        if (groups.isEmpty()) {
            return;
        }
        List<Callable<Void>> calls = new ArrayList<>();
        // Spread over the workers that are free now: alone (a quiet moment, one consumer loop) a step uses every
        // worker; when other loops' calls occupy them, fewer and larger calls queue up instead of many small ones
        // (a call of 32 costs much less per request than two of 16 on these grids).
        int spread = freeWorkers();
        for (List<Integer> group : groups) {
            for (List<Integer> chunk : chunks(group.size(), maxBatch, spread)) {
                List<Integer> indices = chunk.stream().map(group::get).toList();
                calls.add(() -> {
                    runChunk(indices, requests, results, call);
                    return null;
                });
            }
        }
        inFlight.addAndGet(calls.size());
        metrics.modelStarted();
        try {
            // Each chunk writes its own slots of results; invokeAll's completion orders those writes before the reads.
            for (Future<Void> f : pool.invokeAll(calls)) {
                f.get();
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
            // Counted until the whole step is done (also when it fails or is interrupted): never left over.
            inFlight.addAndGet(-calls.size());
            metrics.modelFinished();
        }
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

    private <R> void runChunk(List<Integer> chunk, List<R> requests, Object[] results,
                              Function<List<R>, List<?>> call) {
        try {
            long start = System.nanoTime();
            List<?> out = call.apply(chunk.stream().map(requests::get).toList());
            metrics.batchRun(chunk.size(), System.nanoTime() - start);
            for (int k = 0; k < chunk.size(); k++) {
                results[chunk.get(k)] = out.get(k);
            }
        } catch (RuntimeException e) {
            if (chunk.size() == 1) {
                LOG.warn("Model call failed: {}", e.toString());
                results[chunk.get(0)] = e.toString();
            } else {
                for (Integer i : chunk) {
                    runChunk(List.of(i), requests, results, call);
                }
            }
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
