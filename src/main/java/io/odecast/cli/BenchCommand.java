package io.odecast.cli;

import io.odecast.bench.ModelBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code odecast bench}: model timings beside the PyTorch eager peer, in one run. */
@Command(name = "bench", description = "Time per-arrival updates and forecasts against the PyTorch eager peer.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--reps", defaultValue = "20", description = "Timed repetitions per figure (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "Intra-op thread counts (default ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = "--batches", split = ",", defaultValue = "1,32", description = "Batch sizes (default ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--cases", split = ",", defaultValue = "storm,video", description = "Shapes: storm (3x33x36), video (1x64x64).")
    List<String> cases;

    @Option(names = "--peer", defaultValue = "../shared/bench/vidode_torch_bench.py",
            description = "The PyTorch eager peer script (skipped when absent).")
    Path peer;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch for the peer.")
    String python;

    @Option(names = "--delivery-modes", description = "Instead of the model timings: saturated service throughput"
            + " through an embedded broker in both delivery modes (at-least-once, exactly-once), same run.")
    boolean deliveryModes;

    @Option(names = "--streams", defaultValue = "20", description = "With --delivery-modes: streams (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--frames", defaultValue = "40", description = "With --delivery-modes: frames per stream (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--rounds", defaultValue = "2", description = "With --delivery-modes: rounds of both modes (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--model", defaultValue = "storm-forecast", description = "With --delivery-modes: model under models/ (default ${DEFAULT-VALUE}).")
    String model;

    @Override
    public Integer call() throws Exception {
        if (deliveryModes) {
            new io.odecast.bench.DeliveryBenchmark(System.out).run(java.nio.file.Path.of("models"), model, streams,
                    frames, rounds);
            return 0;
        }
        List<ModelBenchmark.Case> selected = ModelBenchmark.DEFAULT_CASES.stream()
                .filter(c -> cases.contains(c.name())).toList();
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("no known case in " + cases + "; use storm and/or video");
        }
        new ModelBenchmark(reps, System.out).run(selected, threads, batches, peer, python);
        return 0;
    }
}
