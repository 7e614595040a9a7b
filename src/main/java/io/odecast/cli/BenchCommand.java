package io.odecast.cli;

import io.odecast.bench.EndToEndBenchmark;
import io.odecast.bench.ModelBenchmark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import io.odecast.model.ConvPrecision;
import picocli.CommandLine.Option;

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

    @Option(names = "--precision", split = ",", defaultValue = "float32", converter = PrecisionConverter.class,
            description = "Our convolutions' precision, float32 and/or bf16 (comma-separated: one row each; the peer"
                    + " is float32; default ${DEFAULT-VALUE}). With --e2e: the service's (one value).")
    List<ConvPrecision> precisions;

    /** Parses float32 / bf16 for picocli (its message then names the option). */
    static final class PrecisionConverter implements picocli.CommandLine.ITypeConverter<ConvPrecision> {
        @Override
        public ConvPrecision convert(String value) {
            return ConvPrecision.parse(value);
        }
    }

    @Option(names = "--peer", defaultValue = "../shared/bench/vidode_torch_bench.py",
            description = "The PyTorch eager peer script, a relative path taken from the working directory or else"
                    + " from the checkout bin/odecast runs (skipped, with a line saying so, when absent; none: skip"
                    + " it; default ${DEFAULT-VALUE}).")
    Path peer;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch for the peer.")
    String python;

    @Option(names = "--profile", defaultValue = "0", description = "Instead of the timings: the N libtorch operations"
            + " that take the most time (self time, per input shapes) in --reps advances and 4-lead forecasts, per"
            + " case, thread count and batch, then the peer's under torch.profiler; 0: off (default ${DEFAULT-VALUE}).")
    int profile;

    @Option(names = "--delivery-modes", description = "Instead of the model timings: saturated service throughput"
            + " through an embedded broker in both delivery modes (at-least-once, exactly-once), same run.")
    boolean deliveryModes;

    @Option(names = "--e2e", description = "Instead of the model timings: the service end to end through an embedded"
            + " broker (saturated throughput, paced latency, batch sizes, memory, model-only ratio), one run.")
    boolean e2e;

    @Option(names = "--streams", defaultValue = "20", description = "With --delivery-modes or --e2e: streams (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--frames", defaultValue = "40", description = "With --delivery-modes or --e2e (saturated phase):"
            + " frames per stream (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--rate", defaultValue = "0", description = "With --e2e: frames/s of the paced phase; 0: half the"
            + " saturated rate (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--paced", defaultValue = "30s", description = "With --e2e: length of the paced phase, 0s: none"
            + " (default ${DEFAULT-VALUE}).")
    String paced;

    @Option(names = "--warm-up", defaultValue = "30s", description = "With --e2e: frames at half the first saturated rate for"
            + " this long, reported apart (JIT warm-up of broker, clients and service), then the saturated load again"
            + " (the warm figure the model-only ratio uses) before the paced phase; 0s: neither (default"
            + " ${DEFAULT-VALUE}).")
    String warmUp;

    @Option(names = "--model-seconds", defaultValue = "10s", description = "With --e2e: length of the model-only timing"
            + " (default ${DEFAULT-VALUE}).")
    String modelSeconds;

    @Option(names = "--set", description = "With --e2e: a service setting, HOCON (repeatable), e.g."
            + " --set odecast.decoder.max-batch=32")
    List<String> settings = new java.util.ArrayList<>();

    @Option(names = "--rounds", defaultValue = "2", description = "With --delivery-modes: rounds of both modes (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--urgent", defaultValue = "0", paramLabel = "N", description = "With --e2e: the first N streams"
            + " have priority = high; their latency is reported apart (default ${DEFAULT-VALUE}).")
    int urgent;

    @Option(names = "--model", defaultValue = "storm-forecast", description = "With --delivery-modes or --e2e: model under models/ (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--restore", description = "Instead of the model timings: rebuilding one state partition's local"
            + " store from an embedded broker, the whole partition (--streams snapshots of --snapshot-bytes) against"
            + " only what follows a clean hand-over's checkpoint (--changed of them written again).")
    boolean restore;

    @Option(names = "--snapshot-bytes", defaultValue = "97700", paramLabel = "N",
            description = "With --restore: bytes per snapshot (default ${DEFAULT-VALUE}, a storm stream's).")
    int snapshotBytes;

    @Option(names = "--changed", defaultValue = "100", paramLabel = "N",
            description = "With --restore: snapshots written after the checkpoint (default ${DEFAULT-VALUE}).")
    int changed;

    @Override
    public Integer call() throws Exception {
        if (restore) {
            if (streams < 1 || snapshotBytes < 1 || changed < 0) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--restore needs --streams >= 1, --snapshot-bytes >= 1 and --changed >= 0");
            }
            Path dir = io.odecast.stream.RestoreBenchmark.tempStore();
            try (var broker = io.odecast.kafka.EmbeddedKafkaBroker.start()) {
                new io.odecast.stream.RestoreBenchmark(System.out).run(broker.bootstrapServers(), streams,
                        snapshotBytes, changed, dir);
            } finally {
                try (var files = java.nio.file.Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
            return 0;
        }
        if (e2e) {
            new EndToEndBenchmark(System.out).run(Path.of("models"), model, new EndToEndBenchmark.Settings(streams,
                    frames, rate, duration(paced), duration(warmUp), duration(modelSeconds), String.join("\n", settings),
                    urgent));
            return 0;
        }
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
        Path peer = peerScript();
        if (profile > 0) {
            ModelBenchmark bench = new ModelBenchmark(reps, System.out).precision(precisions.get(0));
            for (ModelBenchmark.Case c : selected) {
                for (int t : threads) {
                    for (int b : batches) {
                        bench.profile(c, t, b, profile, peer, python);
                        System.out.println();
                    }
                }
            }
            return 0;
        }
        new ModelBenchmark(reps, System.out).run(selected, threads, batches, precisions, peer, python);
        return 0;
    }

    /**
     * The peer script: {@code --peer} as given when it exists, else (relative) from the checkout {@code bin/odecast}
     * runs ({@code odecast.home}), so the default finds {@code shared/} beside the checkout from any directory.
     */
    private Path peerScript() {
        String home = System.getProperty("odecast.home");
        if (java.nio.file.Files.exists(peer) || peer.isAbsolute() || home == null) {
            return peer;
        }
        Path fromHome = Path.of(home).resolve(peer).normalize();
        return java.nio.file.Files.exists(fromHome) ? fromHome : peer;
    }

    /** A duration in the configuration's notation (30s, 500ms, 2m). */
    private static Duration duration(String text) {
        return com.typesafe.config.ConfigFactory.parseString("d = " + text).getDuration("d");
    }
}
