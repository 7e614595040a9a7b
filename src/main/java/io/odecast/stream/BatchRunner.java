package io.odecast.stream;

import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.ModelWork.Fill;
import io.odecast.stream.ModelWork.FillResult;
import io.odecast.stream.ModelWork.ForecastFill;
import io.odecast.stream.ModelWork.InterpolateFill;
import io.odecast.stream.ModelWork.Step;
import io.odecast.stream.ModelWork.StepResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an engine step's model work as few batched calls: steps grouped by model, encoder sub-step count and number
 * of forecast times (so a stream with a long gap never lengthens the call of streams with short ones), fills by
 * model, kind and shape, each group in equal chunks of at most {@code maxBatch}. A failing chunk is retried one request
 * at a time so that one bad request fails alone. Inference is batch-independent, so the grouping changes no value.
 */
final class BatchRunner {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    private final int maxBatch;
    private final ServiceMetrics metrics;

    BatchRunner(int maxBatch, ServiceMetrics metrics) {
        this.maxBatch = maxBatch;
        this.metrics = metrics;
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
        for (List<Integer> group : groups.values()) {
            run(group, steps, results, this::advanceAndForecast);
        }
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
        for (List<Integer> group : groups.values()) {
            run(group, fills, results, this::fill);
        }
        List<FillResult> out = new ArrayList<>(fills.size());
        for (Object r : results) {
            out.add(r instanceof String error ? new FillResult(null, error) : new FillResult((float[][]) r, null));
        }
        return out;
    }

    private <R> void run(List<Integer> group, List<R> requests, Object[] results,
                         Function<List<R>, List<?>> call) {
        // Equal chunks: 65 requests run as 33 + 32, not 64 + 1, since a small call costs nearly as much per request
        // as a batch of one.
        int chunks = (group.size() + maxBatch - 1) / maxBatch;
        for (int k = 0, from = 0; k < chunks; k++) {
            int to = from + (group.size() - from + chunks - k - 1) / (chunks - k);
            runChunk(group.subList(from, to), requests, results, call);
            from = to;
        }
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

    private List<VidOdeModel.Stepped> advanceAndForecast(List<Step> group) {
        VidOdeModel model = group.get(0).model();
        List<StreamState> before = group.stream().map(Step::before).toList();
        List<Observation> observations = group.stream().map(Step::observation).toList();
        double[][] times = group.stream().map(Step::times).toArray(double[][]::new);
        return model.advanceAndForecast(before, observations, times);
    }

    private List<float[][]> fill(List<Fill> group) {
        VidOdeModel model = group.get(0).model();
        double[][] times = group.stream().map(Fill::times).toArray(double[][]::new);
        if (group.get(0) instanceof InterpolateFill) {
            return model.interpolate(group.stream().map(f -> ((InterpolateFill) f).window()).toList(), times);
        }
        return model.forecast(group.stream().map(f -> ((ForecastFill) f).state()).toList(), times);
    }
}
