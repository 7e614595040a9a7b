package io.odecast.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.model.ConvPrecision;
import io.odecast.model.VidOdeNetwork;
import io.odecast.stream.BatchRunner;
import io.odecast.stream.DecoderSettings;
import io.odecast.stream.ServiceMetrics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Times the inference API on the shapes of the PyTorch eager peer ({@code shared/bench/vidode_torch_bench.py}):
 * one arrival (rk4 over a gap of 0.1 with max step 0.1, then E and the GRU), a forecast at 4 lead times, and
 * re-encoding a 10-frame window, at several batch sizes and intra-op thread counts; then runs the peer on the
 * same shapes in the same process tree and prints per-stream ratios (peer time / ours: above 1 means faster).
 */
public final class ModelBenchmark {

    /** One benchmark shape. */
    public record Case(String name, int channels, int height, int width, int initDim, int nDowns) {
    }

    /** Timings of one (case, implementation, threads, batch). */
    public record Timing(String impl, String caseName, int threads, int batch, double advanceMs, double forecastMs,
                         double windowMs, long evaluationsPerArrival, long advanceFlops, long forecastFlops) {

        /** Convolution throughput of one advance and one forecast together (0 when the FLOPs are unknown). */
        double convGflops() {
            return (advanceFlops + forecastFlops) / ((advanceMs + forecastMs) * 1e6);
        }

        double advancePerStream() {
            return advanceMs / batch;
        }

        double forecastPerStream() {
            return forecastMs / batch;
        }
    }

    public static final List<Case> DEFAULT_CASES = List.of(
            new Case("storm", 3, 33, 36, 16, 2),
            new Case("video", 1, 64, 64, 16, 2));

    private static final double[] LEADS = {0.1, 0.2, 0.3, 0.4};
    private static final int WINDOW = 10;

    private final int reps;
    private final PrintStream out;

    public ModelBenchmark(int reps, PrintStream out) {
        this.reps = reps;
        this.out = out;
        Engine.getInstance(); // loads the native library before any direct JNI call
    }

    /** The precision of the convolutions of the models timed next. */
    private ConvPrecision precision = ConvPrecision.FLOAT32;

    /** Sets the precision of our models' convolutions in the timings that follow (the peer is float32). */
    public ModelBenchmark precision(ConvPrecision value) {
        precision = value;
        return this;
    }

    /** A case's model with random weights (timing does not depend on them), in this benchmark's precision. */
    private VidOdeModel model(Case c) {
        ModelConfig config = ModelConfig.of(c.channels(), c.height(), c.width(), c.initDim(), c.nDowns());
        VidOdeModel model = new VidOdeModel(new VidOdeNetwork(config, 0), ModelCard.untrained(c.name(),
                ModelCard.EXTRAPOLATE, c.channels()));
        ConvPrecision effective = model.usePrecision(precision);
        if (effective != precision) {
            throw new IllegalStateException("precision " + precision.label() + " is not available on this CPU");
        }
        return model;
    }

    /** {@code batch} states after one random frame at model time 0, and the next random frames at 0.1. */
    private record Inputs(List<StreamState> start, List<Observation> next) {
        static Inputs of(VidOdeModel model, int batch) {
            Random rng = new Random(0);
            return new Inputs(model.advance(new ArrayList<>(Collections.nCopies(batch, model.emptyState())),
                    frames(model.config(), rng, batch, 0.0)), frames(model.config(), rng, batch, 0.1));
        }
    }

    /** Per stream, the forecast {@link #LEADS} after model time {@code from}. */
    private static double[][] leadsAfter(int batch, double from) {
        double[][] leads = new double[batch][];
        for (int b = 0; b < batch; b++) {
            leads[b] = LEADS.clone();
            for (int k = 0; k < LEADS.length; k++) {
                leads[b][k] += from;
            }
        }
        return leads;
    }

    /** Times our implementation on one case. */
    public Timing timeOurs(Case c, int threads, int batch) {
        JniUtils.setNumThreads(threads);
        try (VidOdeModel model = model(c)) {
            ModelConfig config = model.config();
            Inputs inputs = Inputs.of(model, batch);
            List<StreamState> start = inputs.start();
            List<Observation> next = inputs.next();
            Random rng = new Random(1);
            double[][] leads = leadsAfter(batch, 0.0);
            long before = model.encoderEvaluations();
            long flops = VidOdeModel.convolutionFlops();
            model.advance(start, next);
            long perArrival = model.encoderEvaluations() - before;
            long advanceFlops = VidOdeModel.convolutionFlops() - flops;
            flops = VidOdeModel.convolutionFlops();
            model.forecast(start, leads);
            long forecastFlops = VidOdeModel.convolutionFlops() - flops;
            double advance = time(() -> model.advance(start, next), reps);
            double forecast = time(() -> model.forecast(start, leads), reps);
            List<List<Observation>> window = new ArrayList<>();
            for (int i = 0; i < WINDOW; i++) {
                window.add(frames(config, rng, batch, 0.1 * (i + 1)));
            }
            double reencode = time(() -> {
                List<StreamState> s = new ArrayList<>(Collections.nCopies(batch, model.emptyState()));
                for (List<Observation> f : window) {
                    s = model.advance(s, f);
                }
            }, Math.max(3, reps / 4));
            return new Timing("odecast-djl", c.name(), threads, batch, advance, forecast, reencode, perArrival,
                    advanceFlops, forecastFlops);
        }
    }

    /**
     * A decoder-path timing ({@link #timeDecoderPath}).
     *
     * @param msPerStream milliseconds per stream of one arrival and a 4-lead forecast
     * @param precision   the convolutions' precision the timed calls ran at (the runner sets it on the model)
     */
    public record DecoderPath(double msPerStream, ConvPrecision precision) {
    }

    /**
     * One arrival and a 4-lead forecast at {@code batch} streams in this benchmark's precision, run as the service's
     * decoder runs them: a {@link BatchRunner} with {@code workers} workers of one intra-op thread each, the batch
     * split into one call per worker, the calls at once.
     */
    public DecoderPath timeDecoderPath(Case c, int workers, int batch) {
        int perCall = (batch + workers - 1) / workers;
        // The runner puts every model it calls in its own precision: it must be this benchmark's.
        DecoderSettings settings = new DecoderSettings(perCall, Duration.ofMinutes(10), 64, workers, 1, precision,
                Duration.ZERO);
        try (VidOdeModel model = model(c);
             BatchRunner runner = new BatchRunner(settings, new ServiceMetrics())) {
            Inputs inputs = Inputs.of(model, batch);
            List<StreamState> start = inputs.start();
            List<Observation> next = inputs.next();
            // Forecast from the new frame at 0.1, as the service does after each arrival.
            double[][] leads = leadsAfter(batch, 0.1);
            runner.advanceAndForecast(model, start, next, leads);
            double ms = time(() -> runner.advanceAndForecast(model, start, next, leads), reps) / batch;
            return new DecoderPath(ms, model.precision());
        }
    }

    /** The convolution the roof is measured on: 3x3, 64 to 64 channels, 36 x 36, batch 32 (compute-bound). */
    private static final String ROOF_SHAPE = "3x3 conv, 64 -> 64 channels, 36 x 36, batch 32";

    /**
     * GFLOP/s of one large libtorch convolution at {@code threads} intra-op threads: what the model's own
     * convolutions (smaller, so with more overhead per FLOP) can at best approach on this machine.
     */
    public double convRoof(int threads) {
        JniUtils.setNumThreads(threads);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(32, 64, 36, 36));
            NDArray w = m.randomNormal(new Shape(64, 64, 3, 3));
            NDArray b = m.zeros(new Shape(64));
            Shape one = new Shape(1, 1);
            double flops = 2.0 * 32 * 64 * 36 * 36 * 64 * 9;
            double ms = time(() -> {
                try (NDManager scope = m.newSubManager()) {
                    NDArray y = Conv2d.conv2d(x, w, b, one, one, one).singletonOrThrow();
                    y.attach(scope);
                }
            }, Math.max(3, reps / 4));
            return flops / (ms * 1e6);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private static List<Observation> frames(ModelConfig config, Random rng, int batch, double time) {
        List<Observation> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            float[] data = new float[config.frameSize()];
            for (int i = 0; i < data.length; i++) {
                data[i] = rng.nextFloat();
            }
            out.add(new Observation(time, data, null));
        }
        return out;
    }

    private static double time(Runnable r, int reps) {
        r.run();
        r.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        return (System.nanoTime() - t0) / 1e6 / reps;
    }

    /**
     * Where the time of one arrival and one 4-lead forecast goes, operation by operation: libtorch's profiler over
     * {@code reps} advances and {@code reps} forecasts of {@code batch} states (after a warm-up), the {@code top}
     * operations by self time; then the same for the peer under {@code torch.profiler} when it is present.
     */
    public void profile(Case c, int threads, int batch, int top, Path peerScript, String python)
            throws IOException, InterruptedException {
        JniUtils.setNumThreads(threads);
        Path trace = Files.createTempFile("odecast-profile", ".json");
        try (VidOdeModel model = model(c)) {
            Inputs inputs = Inputs.of(model, batch);
            double[][] leads = leadsAfter(batch, 0.0);
            for (int i = 0; i < 3; i++) {
                model.advance(inputs.start(), inputs.next());
                model.forecast(inputs.start(), leads);
            }
            JniUtils.startProfile(false, true, false);
            for (int i = 0; i < reps; i++) {
                model.advance(inputs.start(), inputs.next());
            }
            for (int i = 0; i < reps; i++) {
                model.forecast(inputs.start(), leads);
            }
            JniUtils.stopProfile(trace.toString());
            String title = String.format(Locale.ROOT, "odecast (libtorch %s), %s, %d threads, batch %d, advance +"
                    + " forecast4", Engine.getInstance().getVersion(), c.name(), threads, batch);
            OperationProfile.ofChromeTrace(trace).print(out, title, reps, top);
        } finally {
            Files.deleteIfExists(trace);
        }
        OperationProfile peer = profilePeer(peerScript, python, c, threads, batch);
        if (peer != null) {
            out.println();
            peer.print(out, String.format(Locale.ROOT, "peer (torch.profiler), %s, %d threads, batch %d, advance +"
                    + " forecast4", c.name(), threads, batch), reps, top);
        }
    }

    /** The peer's model under {@code torch.profiler}, as {@link #profile} runs ours; null when it cannot run. */
    private OperationProfile profilePeer(Path script, String python, Case c, int threads, int batch)
            throws IOException, InterruptedException {
        if (!peerPresent(script, python)) {
            return null;
        }
        Path code = Files.createTempFile("odecast-peer-profile", ".py");
        try {
            Files.writeString(code, PEER_PROFILE);
            List<String> cmd = List.of(python, code.toString(), script.toAbsolutePath().toString(), "" + threads,
                    "" + batch, "" + c.channels(), "" + c.height(), "" + c.width(), "" + c.initDim(),
                    "" + c.nDowns(), "" + reps);
            List<OperationProfile.Row> rows = new ArrayList<>();
            for (String line : runPeer(cmd)) {
                String[] f = line.split("\t");
                if (f.length == 5 && f[0].equals("OP")) {
                    rows.add(new OperationProfile.Row(f[1], f[2].replace(" ", ""), Long.parseLong(f[3]),
                            Double.parseDouble(f[4])));
                }
            }
            return OperationProfile.of(rows);
        } catch (IOException e) {
            out.println("without the peer: " + e.getMessage());
            return null;
        } finally {
            Files.deleteIfExists(code);
        }
    }

    /** Profiles the peer script's model (imported as a module) as {@link #profile} profiles ours. */
    private static final String PEER_PROFILE = String.join("\n",
            "import sys, importlib.util, torch",
            "from torch.profiler import profile, ProfilerActivity",
            "script = sys.argv[1]",
            "threads, batch, c, h, w, init, downs, reps = map(int, sys.argv[2:])",
            "spec = importlib.util.spec_from_file_location('peer', script)",
            "p = importlib.util.module_from_spec(spec); spec.loader.exec_module(p)",
            "torch.set_num_threads(threads); torch.manual_seed(0)",
            "m = p.VidOde(c, init, downs, 2).eval()",
            "st = torch.zeros(batch, m.base, -(-h // m.m), -(-w // m.m)); x = torch.rand(batch, c, h, w)",
            "leads = [0.1, 0.2, 0.3, 0.4]",
            "with torch.no_grad():",
            "    for _ in range(3): m.advance(st, x, 0.1, 0.1); m.forecast(st, x, leads)",
            "    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:",
            "        for _ in range(reps): m.advance(st, x, 0.1, 0.1)",
            "        for _ in range(reps): m.forecast(st, x, leads)",
            "for e in prof.key_averages(group_by_input_shape=True):",
            "    print('OP\\t%s\\t%s\\t%d\\t%.3f' % (e.key, e.input_shapes, e.count, e.self_cpu_time_total))",
            "");

    /** Runs the PyTorch eager peer on one case; empty if the peer or its python is absent. */
    public List<Timing> timePeer(Path script, String python, Case c, int threads, List<Integer> batches)
            throws IOException, InterruptedException {
        if (!peerPresent(script, python)) {
            return List.of();
        }
        List<String> cmd = List.of(python, script.toString(), "--channels", "" + c.channels(), "--height",
                "" + c.height(), "--width", "" + c.width(), "--init-dim", "" + c.initDim(), "--n-downs",
                "" + c.nDowns(), "--threads", "" + threads, "--reps", "" + reps, "--batches",
                String.join(",", batches.stream().map(String::valueOf).toList()), "--window", "" + WINDOW);
        List<Timing> timings = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : runPeer(cmd)) {
            if (line.startsWith("{")) {
                JsonNode n = json.readTree(line);
                timings.add(new Timing("pytorch-eager-" + n.path("torch").asText(), c.name(), threads,
                        n.path("batch").asInt(), n.path("advance_ms").asDouble(), n.path("forecast4_ms").asDouble(),
                        n.path("window" + WINDOW + "_reencode_ms").asDouble(), -1, 0, 0));
            }
        }
        return timings;
    }

    /** The {@code --peer} value that skips the peer on purpose. */
    public static final String NO_PEER = "none";

    /** Whether the peer script and its python exist; says in one line which is missing when not. */
    private boolean peerPresent(Path script, String python) {
        if (script.toString().equals(NO_PEER)) {
            out.println("without the peer (--peer " + NO_PEER + ")");
            return false;
        }
        boolean scriptThere = Files.isRegularFile(script);
        if (scriptThere && Files.isExecutable(Path.of(python))) {
            return true;
        }
        out.println("without the peer: " + (scriptThere ? python : script) + " not found");
        return false;
    }

    /**
     * Runs a peer command and returns its output lines (stderr merged).
     *
     * @throws IOException naming the command when it exits with an error
     */
    private static List<String> runPeer(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
        // The peer runs with libgomp's own default wait policy, not the one bin/odecast sets for this process: with
        // OMP_WAIT_POLICY=PASSIVE inherited its OpenMP workers sleep between parallel regions (slower), and with
        // ACTIVE this JVM's idle workers would spin on the cores the peer is timed on.
        builder.environment().remove("OMP_WAIT_POLICY");
        Process p = builder.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException("the PyTorch peer failed: " + String.join(" ", cmd) + ": "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
        }
        return lines;
    }

    /** Runs every case, thread count and batch, ours then the peer, and prints JSON lines and a table. */
    public List<Map<String, Object>> run(List<Case> cases, List<Integer> threadCounts, List<Integer> batches,
                                         Path peerScript, String python) throws IOException, InterruptedException {
        return run(cases, threadCounts, batches, List.of(precision), peerScript, python);
    }

    /** As above, our side timed once per precision in {@code precisions} (the peer once, float32). */
    public List<Map<String, Object>> run(List<Case> cases, List<Integer> threadCounts, List<Integer> batches,
                                         List<ConvPrecision> precisions, Path peerScript, String python)
            throws IOException, InterruptedException {
        List<Map<String, Object>> rows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (Case c : cases) {
            for (int threads : threadCounts) {
                double roof = convRoof(threads);
                out.printf(Locale.ROOT, "libtorch conv roof, %d threads: %.1f GFLOP/s (%s)%n", threads, roof, ROOF_SHAPE);
                List<Timing> peer;
                try {
                    peer = timePeer(peerScript, python, c, threads, batches);
                } catch (IOException e) {
                    // Our figures stand on their own; a broken peer (e.g. python without torch) only loses the ratios.
                    out.println("without the peer: " + e.getMessage());
                    peer = List.of();
                }
                for (int batch : batches) {
                    Timing theirs = peer.stream().filter(t -> t.batch() == batch).findFirst().orElse(null);
                    for (ConvPrecision p : precisions) {
                        Map<String, Object> row = row(c, threads, batch, p, theirs, roof);
                        out.println(json.writeValueAsString(row));
                        rows.add(row);
                    }
                }
            }
        }
        printTable(rows);
        return rows;
    }

    /** One row of {@link #run}: ours at this shape, thread count, batch and precision, beside the peer's timing. */
    private Map<String, Object> row(Case c, int threads, int batch, ConvPrecision p, Timing theirs, double roof) {
        precision = p;
        Timing ours = timeOurs(c, threads, batch);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("case", c.name());
        row.put("shape", List.of(c.channels(), c.height(), c.width()));
        row.put("init_dim", c.initDim());
        row.put("threads", threads);
        row.put("batch", batch);
        row.put("precision", p.label());
        row.put("advance_ms_per_stream", round(ours.advancePerStream()));
        row.put("forecast4_ms_per_stream", round(ours.forecastPerStream()));
        row.put("window10_reencode_ms", round(ours.windowMs()));
        row.put("reencode_over_advance", round(ours.windowMs() / ours.advanceMs()));
        row.put("evaluations_per_arrival", ours.evaluationsPerArrival());
        row.put("conv_mflop_per_stream", round((ours.advanceFlops() + ours.forecastFlops()) / 1e6 / batch));
        row.put("conv_gflops", round(ours.convGflops()));
        row.put("conv_roof_gflops", round(roof));
        row.put("roof_share", round(ours.convGflops() / roof));
        if (threads > 1) {
            // The service's way of using the same cores: one single-threaded call per core at once.
            DecoderPath path = timeDecoderPath(c, threads, batch);
            double decoder = path.msPerStream();
            row.put("decoder_path_ms_per_stream", round(decoder));
            row.put("decoder_path_precision", path.precision().label());
            row.put("decoder_path_over_one_call",
                    round((ours.advancePerStream() + ours.forecastPerStream()) / decoder));
            if (theirs != null) {
                row.put("speedup_decoder_path",
                        round((theirs.advancePerStream() + theirs.forecastPerStream()) / decoder));
            }
        }
        if (theirs != null) {
            row.put("peer", theirs.impl());
            row.put("peer_advance_ms_per_stream", round(theirs.advancePerStream()));
            row.put("peer_forecast4_ms_per_stream", round(theirs.forecastPerStream()));
            row.put("speedup_advance", round(theirs.advancePerStream() / ours.advancePerStream()));
            row.put("speedup_forecast", round(theirs.forecastPerStream() / ours.forecastPerStream()));
        }
        return row;
    }

    private void printTable(List<Map<String, Object>> rows) {
        out.println();
        out.println("| case | threads | batch | precision (peer float32) | advance ms/stream | peer | x | forecast4 ms/stream | peer | x | window10 ms | window/arrival | conv GFLOP/s | of roof | decoder path ms/stream | x one call | x peer |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Map<String, Object> r : rows) {
            out.println(String.format(Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
                    r.get("case"), r.get("threads"), r.get("batch"), r.get("precision"), r.get("advance_ms_per_stream"),
                    r.getOrDefault("peer_advance_ms_per_stream", "-"), r.getOrDefault("speedup_advance", "-"),
                    r.get("forecast4_ms_per_stream"), r.getOrDefault("peer_forecast4_ms_per_stream", "-"),
                    r.getOrDefault("speedup_forecast", "-"), r.get("window10_reencode_ms"),
                    r.get("reencode_over_advance"), r.get("conv_gflops"), r.get("roof_share"),
                    r.getOrDefault("decoder_path_ms_per_stream", "-"), r.getOrDefault("decoder_path_over_one_call", "-"),
                    r.getOrDefault("speedup_decoder_path", "-")));
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
