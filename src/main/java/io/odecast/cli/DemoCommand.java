package io.odecast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.data.ColorMode;
import io.odecast.data.Datasets;
import io.odecast.data.FrameSequence;
import io.odecast.data.VideoFrameReader;
import io.odecast.eval.EvaluationReport;
import io.odecast.eval.FillSkill;
import io.odecast.eval.ForecastSkill;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.RegularFrameMessage;
import io.odecast.kafka.TopicNames;
import io.odecast.model.Checkpoint;
import io.odecast.model.ModelConfig;
import io.odecast.models.ModelTopic;
import io.odecast.models.ModelVersionSettings;
import io.odecast.models.ModelVersionsAdmin;
import io.odecast.ops.LivePage;
import io.odecast.ops.OpsServer;
import io.odecast.ops.OpsSettings;
import io.odecast.ops.PrometheusMetrics;
import io.odecast.proto.RegularFrame;
import io.odecast.publish.FramePublisher;
import io.odecast.publish.PublishSettings;
import io.odecast.publish.PublishSummary;
import io.odecast.render.CfNetcdfWriter;
import io.odecast.render.CollectedForecasts;
import io.odecast.render.ForecastCollector;
import io.odecast.render.LatLonGrid;
import io.odecast.render.PngRenderer;
import io.odecast.render.StreamRenderer;
import io.odecast.stream.ServiceMetrics;
import io.odecast.stream.ServiceSettings;
import io.odecast.stream.StreamingService;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code odecast demo}: the whole system on one machine. Starts an embedded KRaft broker and the streaming
 * service with the shipped models, publishes the 1996 blizzard (u, v, p) and a stretch of vtest.avi the models
 * never trained on, both with random dropouts, then renders the forecasts and filled frames (PNG, GIF, CF
 * NetCDF) and writes a summary with the skill against persistence. The live page, metrics and health probes are
 * served meanwhile (URL printed); with {@code --keep-running} the broker, service and page stay up until Ctrl-C.
 */
@Command(name = "demo", description = "Embedded Kafka + service + shipped data and models; writes forecasts and a summary.")
final class DemoCommand implements Callable<Integer> {

    static final String STORM_STREAM = "storm/blizzard-1996";
    static final String VIDEO_STREAM = "video/vtest";

    @Option(names = "--out", defaultValue = "out/demo", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--models-dir", defaultValue = "models", description = "Shipped models (default ${DEFAULT-VALUE}).")
    Path modelsDir;

    @Option(names = "--storm-model", defaultValue = "storm-forecast", description = "Model for the storm stream (default ${DEFAULT-VALUE}).")
    String stormModel;

    @Option(names = "--video-model", defaultValue = "vtest-forecast", description = "Model for the video stream (default ${DEFAULT-VALUE}).")
    String videoModel;

    @Option(names = "--storm-fill-model", defaultValue = "storm-interp", description = "Interpolator filling storm gaps (default ${DEFAULT-VALUE}).")
    String stormFillModel;

    @Option(names = "--video-fill-model", defaultValue = "vtest-interp", description = "Interpolator filling video gaps (default ${DEFAULT-VALUE}).")
    String videoFillModel;

    @Option(names = "--video-start", defaultValue = "600", description = "First vtest.avi frame published (default ${DEFAULT-VALUE}: the held-out part).")
    int videoStart;

    @Option(names = "--video-frames", defaultValue = "150", description = "vtest.avi frames published; 0 for no video stream (default ${DEFAULT-VALUE}).")
    int videoFrames;

    @Option(names = "--dropout", defaultValue = "0.2", description = "Probability of dropping a frame (default ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--seed", defaultValue = "7", description = "Dropout seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--swap-to", paramLabel = "DIR",
            description = "A checkpoint of the storm model's shape (e.g. one made with odecast train) published as a"
                    + " new version of the storm model halfway through the storm frames: the service swaps it in"
                    + " live, each stream at a frame boundary, its first forecast flagged MODEL_SWITCHED (default:"
                    + " <models-dir>/<storm-model>-v2 when it exists, as shipped; none: no swap).")
    String swapTo;

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds to wait for the service (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--http-port", defaultValue = "0", description = "Port of the live page, metrics and health"
            + " probes (default ${DEFAULT-VALUE}: any free port; the URL is printed).")
    int httpPort;

    @Option(names = "--keep-running", description = "After the outputs are written, keep the broker, the service"
            + " and the live page running until Ctrl-C (publish more frames with `odecast publish`).")
    boolean keepRunning;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        FrameSequence storm = Datasets.storm(Datasets.stormDir());
        FrameSequence video = null;
        if (videoFrames > 0) {
            ModelConfig vc = Checkpoint.readMetadata(modelsDir.resolve(videoModel)).config();
            video = new VideoFrameReader(VideoFrameReader.Options.of(vc.width(), vc.height(), ColorMode.GREY)
                    .range(videoStart, videoFrames)).read(Datasets.video("vtest"));
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            log("embedded Kafka broker at " + broker.bootstrapServers());
            Config config = config(broker.bootstrapServers());
            OpsSettings http = OpsSettings.fromConfig(config);
            PrometheusMetrics prometheus = new PrometheusMetrics();
            OpsServer ops = OpsServer.start(http, config, prometheus,
                    LivePage.start(http.page(), ServiceSettings.fromConfig(config).kafka()));
            StreamingService service;
            try {
                service = StreamingService.builder(config).observer(prometheus).start();
            } catch (RuntimeException e) {
                ops.close();
                throw e;
            }
            ops.attach(service);
            log("live page at " + ops.url() + " (metrics at " + ops.url() + "metrics)");
            try {
                run(broker, service, ops, storm, video);
            } catch (Exception | Error e) {
                if (keepRunning) {
                    // Not drained yet: its engine thread would keep the process alive.
                    service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
                }
                ops.close();
                throw e;
            }
            ops.close();
        }
        return 0;
    }

    private void run(EmbeddedKafkaBroker broker, StreamingService service, OpsServer ops, FrameSequence storm,
                     FrameSequence video) throws Exception {
        String bootstrap = broker.bootstrapServers();
        TopicNames topics = TopicNames.defaults();
        List<PublishSummary> published = new ArrayList<>();
        // Both streams are published at once, as two independent sources would, so that the decoder can
        // batch their requests together.
        FrameSequence videoFrames = video;
        CompletableFuture<PublishSummary> videoSent = videoFrames == null ? null : CompletableFuture.supplyAsync(() -> {
            try (FramePublisher publisher = FramePublisher.connect(bootstrap)) {
                return publisher.publish(videoFrames, PublishSettings.of(topics.frames(), VIDEO_STREAM)
                        .withDropout(dropout, seed + 1));
            }
        });
        try (FramePublisher publisher = FramePublisher.connect(bootstrap)) {
            if (swapCheckpoint() == null) {
                published.add(publisher.publish(storm, PublishSettings.of(topics.frames(), STORM_STREAM)
                        .withDropout(dropout, seed)));
            } else {
                published.add(publishWithSwap(publisher, storm, bootstrap, topics));
            }
        }
        log("published " + published.get(0).sent() + " storm frames (" + published.get(0).dropped() + " dropped, "
                + published.get(0).skippedMissing() + " missing in the data)");
        if (videoSent != null) {
            published.add(videoSent.join());
            log("published " + published.get(1).sent() + " video frames (" + published.get(1).dropped() + " dropped)");
        }
        long sent = published.stream().mapToLong(PublishSummary::sent).sum();
        ServiceMetrics metrics = service.metrics();
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (metrics.framesAccepted() + metrics.deadLettered() < sent
                || metrics.forecastsDelivered() < metrics.forecastsEmitted()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the service handled " + (metrics.framesAccepted() + metrics.deadLettered())
                        + " of " + sent + " frames in " + timeoutSeconds + " s");
            }
            Thread.sleep(200);
        }
        if (!keepRunning) {
            service.drainAndShutdown().toCompletableFuture().join();
            log("service drained: " + metrics);
        }
        if (swapCheckpoint() != null) {
            log("model swap: " + service.modelSwaps().streamsSwitched() + " streams switched, serving "
                    + service.modelSwaps().serving() + (service.modelSwaps().refused().isEmpty() ? ""
                    : ", refused " + service.modelSwaps().refused()));
        }
        CollectedForecasts collected;
        try (ForecastCollector collector = ForecastCollector.connect(bootstrap)) {
            collected = collector.collectToEnd(topics.forecasts(), topics.regularFrames(), Duration.ofSeconds(60));
        }
        render(collected);
        writeSummary(collected, metrics, published, storm, video);
        if (keepRunning) {
            serveUntilStopped(broker, service, ops);
        }
    }

    /** The checkpoint to swap in halfway, or null for none. */
    private Path swapCheckpoint() {
        if (swapTo == null) {
            Path shipped = modelsDir.resolve(stormModel + "-v2");
            return Files.isRegularFile(shipped.resolve("model.json")) ? shipped : null;
        }
        return "none".equals(swapTo) ? null : Path.of(swapTo);
    }

    /**
     * Publishes the first half of the storm frames, then the checkpoint in {@code --swap-to} as a new version of the
     * storm model on the models topic, then the second half: the service swaps at a frame boundary in between.
     */
    private PublishSummary publishWithSwap(FramePublisher publisher, FrameSequence storm, String bootstrap,
                                           TopicNames topics) throws Exception {
        int half = storm.size() / 2;
        PublishSummary first = publisher.publish(storm.slice(0, half),
                PublishSettings.of(topics.frames(), STORM_STREAM).withDropout(dropout, seed));
        var version = new ModelVersionsAdmin(new ModelTopic(topics.models(), Map.of(
                "bootstrap.servers", bootstrap), 64 << 20, Duration.ofSeconds(30)),
                ModelVersionSettings.fromConfig(config(bootstrap).getConfig("odecast"), 64 << 20),
                java.time.Clock.systemUTC()).publish(swapCheckpoint(), stormModel, "", Map.of());
        log("published version " + version.getVersion() + " of " + stormModel + " from " + swapCheckpoint()
                + " to " + topics.models() + " after " + first.sent() + " storm frames");
        PublishSummary second = publisher.publish(storm.slice(half, storm.size()),
                PublishSettings.of(topics.frames(), STORM_STREAM).withDropout(dropout, seed + 2));
        List<java.time.Instant> times = new ArrayList<>(first.sentTimes());
        times.addAll(second.sentTimes());
        return new PublishSummary(first.sent() + second.sent(), first.dropped() + second.dropped(),
                first.skippedMissing() + second.skippedMissing(), times);
    }

    /** Keeps everything up until Ctrl-C (SIGTERM), then drains the service and stops the page and the broker. */
    private static void serveUntilStopped(EmbeddedKafkaBroker broker, StreamingService service, OpsServer ops)
            throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("demo: shutdown did not finish cleanly: " + e.getMessage());
            } finally {
                ops.close();
                broker.close();
                stopped.countDown();
            }
        }, "odecast-demo-shutdown"));
        System.out.println("Live page: " + ops.url() + "  (Kafka at " + broker.bootstrapServers()
                + "; publish more frames with bin/odecast publish --bootstrap-servers " + broker.bootstrapServers()
                + "). Ctrl-C to stop.");
        System.out.flush();
        stopped.await();
    }

    private Config config(String bootstrap) {
        String text = String.format(Locale.ROOT, """
                odecast {
                  kafka { bootstrap-servers = "%s", group-id = "odecast-demo" }
                  http { port = %d, live-page.lookback = 0s }
                  models-dir = "%s"
                  streams = [
                    { pattern = "storm/*", model = "%s", fill-model = "%s", fill-window = 7,
                      forecast { step = 6h, horizon = 24h }, cadence = 6h }
                    { pattern = "video/*", model = "%s", fill-model = "%s", fill-window = 5,
                      forecast { step = 100ms, horizon = 500ms }, cadence = 100ms }
                  ]
                }
                """, bootstrap, httpPort, modelsDir.toString().replace("\\", "/"), stormModel, stormFillModel, videoModel,
                videoFillModel);
        return ConfigFactory.parseString(text).withFallback(ConfigFactory.load()).resolve();
    }

    private void render(CollectedForecasts collected) throws java.io.IOException {
        LatLonGrid stormGrid = new LatLonGrid(Datasets.STORM_LAT0, Datasets.STORM_DLAT, Datasets.STORM_LON0, Datasets.STORM_DLON);
        for (String stream : collected.forecasts().keySet()) {
            boolean isStorm = stream.startsWith("storm/");
            CollectedForecasts one = new CollectedForecasts(new TreeMap<>(Map.of(stream, collected.forecasts().get(stream))),
                    new TreeMap<>(Map.of(stream, collected.regularFrames().getOrDefault(stream, List.of()))), 0);
            PngRenderer png = new PngRenderer(isStorm ? 8 : 3, Duration.ofMillis(isStorm ? 300 : 100), isStorm);
            new StreamRenderer(new CfNetcdfWriter(isStorm ? stormGrid : null), png).render(out.resolve("forecasts"), one);
        }
    }

    private void writeSummary(CollectedForecasts collected, ServiceMetrics metrics, List<PublishSummary> published,
                              FrameSequence storm, FrameSequence video) throws java.io.IOException {
        Map<String, Object> summary = new LinkedHashMap<>();
        StringBuilder md = new StringBuilder("# odecast demo summary\n\n");
        md.append("| stream | frames sent | dropped | forecasts | regular frames | filled |\n|---|---:|---:|---:|---:|---:|\n");
        StringBuilder skillTable = new StringBuilder("| stream | channel | forecast leads scored | RMSE model"
                + " | RMSE persistence | model / persistence |\n|---|---|---:|---:|---:|---:|\n");
        StringBuilder fillTable = new StringBuilder("| stream | channel | filled frames scored | model / linear"
                + " interpolation |\n|---|---|---:|---:|\n");
        Map<String, FrameSequence> truth = new LinkedHashMap<>();
        truth.put(STORM_STREAM, storm);
        if (video != null) {
            truth.put(VIDEO_STREAM, video);
        }
        int i = 0;
        for (Map.Entry<String, FrameSequence> e : truth.entrySet()) {
            String stream = e.getKey();
            FrameSequence sequence = e.getValue();
            boolean isVideo = stream.startsWith("video/");
            // Score only what the model never trained on: forecasts from the last training frame on (their
            // targets are held out) and fills after it.
            Instant heldOut = heldOutFrom(isVideo ? videoModel : stormModel, sequence, isVideo ? videoStart : 0);
            List<ForecastMessage> forecasts = collected.forecasts().getOrDefault(stream, List.of());
            List<RegularFrameMessage> regular = collected.regularFrames().getOrDefault(stream, List.of());
            long filled = regular.stream().filter(r -> r.flag() == RegularFrame.Flag.FILLED).count();
            PublishSummary p = published.get(i++);
            ForecastSkill skill = new ForecastSkill(sequence, isVideo);
            for (ForecastMessage f : forecasts) {
                if (f.basedOnTime().isBefore(heldOut)) {
                    continue;
                }
                List<Duration> leads = new ArrayList<>();
                List<float[]> frames = new ArrayList<>();
                for (ForecastMessage.Lead l : f.leads()) {
                    leads.add(l.lead());
                    frames.add(l.data());
                }
                skill.add(new ForecastSkill.Issued(f.basedOnTime(), leads, frames));
            }
            EvaluationReport report = skill.report().describe("stream", stream)
                    .describe("scored", "forecasts based on frames from " + heldOut + " on (held out from training)");
            FillSkill fills = new FillSkill(sequence);
            fills.addAll(regular.stream().filter(r -> r.time().isAfter(heldOut))
                    .map(r -> new FillSkill.RegularFrame(r.time(), r.frame().data(),
                            r.flag() == RegularFrame.Flag.FILLED)).toList());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("frames_sent", p.sent());
            s.put("frames_dropped", p.dropped());
            s.put("forecasts", forecasts.size());
            s.put("regular_frames", regular.size());
            s.put("filled_frames", filled);
            s.put("scored_from", heldOut.toString());
            s.put("scored_leads", skill.scored());
            s.put("rmse_model_over_persistence", skill.rmseRatio());
            s.put("skill", report.rows());
            s.put("scored_fills", fills.scored());
            s.put("rmse_fill_over_linear_interpolation", fills.rmseRatio());
            summary.put(stream, s);
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d |%n", stream, p.sent(), p.dropped(),
                    forecasts.size(), regular.size(), filled));
            for (int c = 0; c < sequence.channels().size(); c++) {
                String channel = sequence.channels().get(c);
                String unit = sequence.units() == null || sequence.units()[c] == null || sequence.units()[c].isBlank()
                        ? "" : " (" + sequence.units()[c] + ")";
                double[] rmse = skill.rmse(channel);
                skillTable.append(String.format(Locale.ROOT, "| %s | %s | %d | %.3g | %.3g | %.2f |%n", stream,
                        channel + unit, skill.scored(), rmse[0], rmse[1], rmse[0] / rmse[1]));
                Double fillRatio = fills.rmseRatio().get(channel);
                fillTable.append(String.format(Locale.ROOT, "| %s | %s | %d | %s |%n", stream, channel + unit,
                        fills.scored(), fillRatio == null || fillRatio.isNaN() ? "n/a"
                                : String.format(Locale.ROOT, "%.2f", fillRatio)));
            }
            report.write(out.resolve("skill").resolve(stream.replace('/', '_')));
            fills.report().write(out.resolve("skill").resolve(stream.replace('/', '_') + "-fills"));
        }
        Map<String, Object> service = new LinkedHashMap<>();
        service.put("frames_accepted", metrics.framesAccepted());
        service.put("forecasts_emitted", metrics.forecastsEmitted());
        service.put("frames_filled", metrics.framesFilled());
        service.put("dead_lettered", metrics.deadLettered());
        service.put("decoder_batches", metrics.decoderBatches());
        service.put("largest_batch", metrics.largestBatch());
        summary.put("service", service);
        md.append(String.format(Locale.ROOT, "%nService: %d frames accepted, %d forecasts, %d filled frames, %d dead"
                + " letters, %d model calls (largest batch %d).%n", metrics.framesAccepted(), metrics.forecastsEmitted(),
                metrics.framesFilled(), metrics.deadLettered(), metrics.decoderBatches(), metrics.largestBatch()));
        md.append("\n## Forecast skill on frames the models never trained on\n\nRMSE over all leads in physical"
                + " units of the forecasts the service emitted (the model blended with optical-flow extrapolation by"
                + " the weights in its card, `odecast evaluate --calibrate`); model / persistence below 1 means better"
                + " than repeating the last frame.\n\n")
                .append(skillTable);
        md.append("\n## Filled frames on held-out data\n\nRMSE of the frames the service filled (the interpolator"
                + " and flow interpolation blended into the straight line by the weights in its card) / RMSE of a"
                + " straight line between the neighbours (below 1: better than linear interpolation).\n\n").append(fillTable);
        md.append("\nPer lead and channel: `skill/<stream>/report.md`. Forecast files: `forecasts/`.\n");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("summary.json").toFile(), summary);
        Files.writeString(out.resolve("summary.md"), md.toString());
        PrintWriter console = new PrintWriter(System.out, true);
        console.println(md);
        console.println("outputs in " + out.toAbsolutePath());
    }

    /**
     * The time of the last frame {@code model} trained on, in {@code sequence} (which starts at frame {@code first}
     * of the data set): forecasts based on it or later are scored on held-out targets only. The sequence's start when
     * the card does not say.
     */
    private Instant heldOutFrom(String model, FrameSequence sequence, int first) throws java.io.IOException {
        Object test = Checkpoint.readMetadata(modelsDir.resolve(model)).card().training().get("test_frames");
        int index = test instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Number n ? n.intValue() - 1 - first
                : 0;
        return sequence.frame(Math.max(0, Math.min(sequence.size() - 1, index))).time();
    }

    private static void log(String message) {
        System.err.println("demo: " + message);
    }
}
