package io.odecast.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.data.GridShape;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.publish.FramePublisher;
import io.odecast.stream.BatchRunner;
import io.odecast.stream.Blending;
import io.odecast.stream.ServiceMetrics;
import io.odecast.stream.StreamingService;
import io.odecast.train.actor.TrainerService;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The streaming service end to end, in one process: an embedded broker, the real service with its defaults (plus
 * any overrides), {@code streams} streams of one model's shape, and a consumer of the forecasts topic that matches
 * every forecast to the frame it is based on (stream id, event time).
 *
 * <ol>
 *   <li><b>saturated</b>: {@code streams x frames} frames published as fast as the producer goes; forecasts per
 *       second over the whole phase and over its middle 80 % (without the ramp and the tail), the share of wall
 *       time inside model calls and the decoder's batch sizes. It runs first, in a JVM just started: the JIT is
 *       still compiling the broker's, the clients' and the service's paths (a restart's backlog meets the same);</li>
 *   <li><b>warm-up</b> (optional): frames at the paced rate for a while, latencies printed apart;</li>
 *   <li><b>saturated again</b>, after the warm-up (when there is one): the same load in a JVM that has been
 *       serving for minutes, the steady state a long-running service's backlog meets;</li>
 *   <li><b>paced</b>: frames at a fixed rate (by default half the last saturated rate), round robin over the
 *       streams; arrival-to-forecast latency percentiles, from each frame's scheduled send time to the consumer's
 *       receipt: a frame the generator sends late (it fell behind) counts its wait, so a stall is not hidden
 *       (no coordinated omission), and the generator's largest lag behind its schedule is printed;</li>
 *   <li><b>model only</b>: the same model's {@code advanceAndForecast} at the last saturated phase's mean batch
 *       size per bulk call (high-priority streams' calls left out), on a {@link BatchRunner} with the service's
 *       decoder settings (as many calls at once as it has workers), once right after that phase (the service
 *       idle) and once at the end (the service stopped), so the service's throughput shows as a ratio of its
 *       model's, against the mean of the two.</li>
 * </ol>
 *
 * <p>The RSS is the whole process's: the broker and the load generator share it with the service.
 */
public final class EndToEndBenchmark {
    private static final Instant T0 = Instant.parse("1996-01-05T00:00:00Z");
    private static final String PATTERN = "e2e/*";
    /** The names of the high-priority streams ({@code --urgent}). */
    private static final String URGENT_PREFIX = "e2e/u";
    /** A phase fails when no forecast arrives for this long. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** Distinct random frames cycled through by the load generator (the values do not change the cost). */
    private static final int FRAME_POOL = 16;

    /**
     * What to run.
     *
     * @param streams         streams, published round robin
     * @param frames          frames per stream in the saturated phase
     * @param pacedRate       frames per second of the warm-up and paced phases; 0: half the last saturated rate
     * @param pacedDuration   length of the paced phase; zero: none
     * @param warmUp          frames at the paced rate for this long before the paced phase, whose latencies are
     *                        printed apart: the JIT compiles the broker's, the clients' and the service's paths for
     *                        tens of seconds after a start (0.4 of 2 cores in C2 threads 20 s in), which a
     *                        long-running service has behind it
     * @param modelSeconds    about how long the model-only timing runs
     * @param overrides       HOCON overriding the service's settings (e.g. {@code odecast.decoder.max-batch = 32})
     * @param urgent          how many of the streams have {@code priority = high} (named {@code e2e/u<n>}, the
     *                        others {@code e2e/s<n>}); their latency is reported apart
     */
    public record Settings(int streams, int frames, double pacedRate, Duration pacedDuration, Duration warmUp,
                           Duration modelSeconds, String overrides, int urgent) {
        public Settings {
            if (streams < 1 || frames < 1) {
                throw new IllegalArgumentException("streams and frames must be positive, got " + streams + " and "
                        + frames);
            }
            if (urgent < 0 || urgent > streams) {
                throw new IllegalArgumentException("urgent streams must be between 0 and the " + streams
                        + " streams, got " + urgent);
            }
        }

        /** Settings without high-priority streams. */
        public Settings(int streams, int frames, double pacedRate, Duration pacedDuration, Duration warmUp,
                        Duration modelSeconds, String overrides) {
            this(streams, frames, pacedRate, pacedDuration, warmUp, modelSeconds, overrides, 0);
        }

        /** Frames per second of the paced phases: the set rate, or half of {@code saturated}'s (middle 80 %). */
        double pacedRate(Phase saturated) {
            return pacedRate > 0 ? pacedRate : saturated.middlePerSecond() / 2;
        }
    }

    /** Arrival-to-forecast latency in milliseconds. */
    public record Latency(double p50, double p95, double p99, double max) {
        static Latency of(long[] nanos) {
            if (nanos.length == 0) {
                return new Latency(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return new Latency(quantile(sorted, 0.50), quantile(sorted, 0.95), quantile(sorted, 0.99),
                    sorted[sorted.length - 1] * 1e-6);
        }

        private static double quantile(long[] sorted, double q) {
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] * 1e-6;
        }
    }

    /**
     * One phase's figures.
     *
     * @param perSecond       forecasts over the time from the first send to the last forecast
     * @param middlePerSecond forecasts per second between the 10 % and the 90 % forecast (no ramp, no tail)
     * @param modelShare      model-call time over the phase's wall time
     * @param batchSizes      model calls by size bucket ({@link ServiceMetrics#batchSizeHistogram()})
     * @param meanBatch       requests per model call
     * @param bulkMeanBatch   requests per bulk model call, the high-priority streams' calls left out (the same as
     *                        {@code meanBatch} without them): the batch the model-only timing runs at
     * @param commits         commits (transactions, or acknowledgements and offset commits) in the phase
     * @param commitShare     time spent producing and committing over the phase's wall time (with more than one
     *                        chunk waiting, a commit runs during the next chunk's model calls)
     * @param cpuCores        CPU time of the whole process (service, broker, load generator) over wall time
     * @param callMsPerForecast model-call time summed over calls (each worker's own, urgent workers' included) per
     *                        request served: what a forecast costs a worker in the service, against the model-only
     *                        phase's figure
     * @param workerBusy      the bulk calls' summed time over the phase's wall time and the bulk workers: how full
     *                        those workers were kept (high-priority calls run on the urgent workers beside them)
     * @param generatorLagMs  paced phases: the load generator's largest lag behind its schedule (a frame's send
     *                        after its due time), in milliseconds; NaN in saturated phases (no schedule)
     */
    public record Phase(String name, long published, double seconds, double perSecond,
                        double middlePerSecond, double modelShare, long[] batchSizes, double meanBatch,
                        double bulkMeanBatch, Latency latency, long commits, double commitShare, double cpuCores,
                        long mergedCalls, Latency urgentLatency, double callMsPerForecast, double workerBusy,
                        double generatorLagMs) {
    }

    /**
     * The run's figures.
     *
     * @param missing            published frames without a forecast when a phase ended
     * @param duplicates         forecasts for a frame that already had one
     * @param unexpected         forecasts for no published frame
     * @param wrongLeads         forecasts whose number of leads is not the 4 of the stream rule
     * @param modelOnlyBatch     requests per call of the model-only timings: the compared saturated phase's
     *                           {@link Phase#bulkMeanBatch()}, rounded
     * @param modelOnlyFirst     forecasts per second of the model alone at batch {@code modelOnlyBatch}, right after
     *                           the last saturated phase
     * @param modelOnlyLast      the same at the end of the run
     * @param saturatedWarm      the saturated phase run again after the warm-up; null without one
     * @param workers            the decoder's bulk workers (model calls at once), in the service and the model-only
     *                           timings alike
     * @param flowMsPerForecast  CPU time of one core per forecast for the flow extrapolation the model's blend mixes
     *                           in (computed by the service beside every forecast, outside the model call); NaN
     *                           when the model's card blends no flow
     * @param cores              the cores the model-only timings use between them (the machine's)
     */
    public record Report(Phase saturated, Phase paced, long missing, long duplicates, long unexpected,
                         long wrongLeads, long rssBytes, long peakRssBytes, long heapBytes, int modelOnlyBatch,
                         double modelOnlyFirst, double modelOnlyLast, Phase saturatedWarm, int workers,
                         double flowMsPerForecast, int cores) {
        /** The model alone, forecasts per second: the mean of the timings on either side of the other phases. */
        public double modelOnlyPerSecond() {
            return (modelOnlyFirst + modelOnlyLast) / 2;
        }

        /**
         * Saturated service throughput (middle 80 %) over the model-only figure: of the warm saturated phase when
         * there is one (the model-only timings are of a warm JVM too), else of the first.
         */
        public double serviceOverModel() {
            return (saturatedWarm != null ? saturatedWarm : saturated).middlePerSecond() / modelOnlyPerSecond();
        }

        /** The first (just started) saturated phase's throughput over the model-only figure. */
        public double coldServiceOverModel() {
            return saturated.middlePerSecond() / modelOnlyPerSecond();
        }

        /**
         * Forecasts per second of the model and its blend's flow on the same cores: the model-only timing keeps
         * every core busy, so a forecast costs {@code cores / modelOnlyPerSecond} core-seconds, plus the flow's
         * {@code flowMsPerForecast}. NaN without a flow blend.
         */
        public double modelWithFlowPerSecond() {
            return cores / (cores / modelOnlyPerSecond() + flowMsPerForecast * 1e-3);
        }

        /** {@link #serviceOverModel()} against {@link #modelWithFlowPerSecond()}: what the service serves. */
        public double serviceOverModelWithFlow() {
            return (saturatedWarm != null ? saturatedWarm : saturated).middlePerSecond() / modelWithFlowPerSecond();
        }
    }

    /** A frame's identity, the key a forecast is matched by. */
    record Key(String stream, Instant time) {
    }

    private final PrintStream out;

    public EndToEndBenchmark(PrintStream out) {
        this.out = out;
    }

    /** Runs the benchmark on model {@code modelName} loaded from {@code modelsDir}. */
    public Report run(Path modelsDir, String modelName, Settings settings) throws Exception {
        try (VidOdeModel model = VidOdeModel.load(modelsDir.resolve(modelName))) {
            return run(model, modelName, settings);
        }
    }

    /** Runs the benchmark on {@code model}, named {@code modelName} in the service's stream rule. */
    public Report run(VidOdeModel model, String modelName, Settings settings) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start()) {
            Path stateDir = Files.createTempDirectory("odecast-e2e-state");
            Config config = serviceConfig(kafka.bootstrapServers(), stateDir, model, modelName, settings.overrides(),
                    settings.urgent() > 0);
            Load load = new Load(model, settings.streams(), settings.urgent());
            StreamingService service = StreamingService.builder(config).models(Map.of(modelName, model)).start();
            Config full = ConfigFactory.load(config);
            // With odecast.trainer.enabled the training actor runs beside serving, as in odecast serve.
            TrainerService trainer = full.getBoolean("odecast.trainer.enabled")
                    ? TrainerService.start(full, service.settings(), service.system(),
                        service.metrics()::recentLatencyP99) : null;
            Phase saturated;
            Phase paced = null;
            Phase saturatedWarm = null;
            long rss;
            long peakRss;
            long heap;
            try (ForecastReader reader = new ForecastReader(kafka.bootstrapServers(),
                    service.settings().kafka().topics().forecasts(), new Matcher(load.sent, load.leads.length));
                 KafkaProducer<String, byte[]> producer = producer(kafka.bootstrapServers(),
                         service.settings().kafka().priorityPartitions())) {
                String frames = service.settings().kafka().topics().frames();
                load.workers = service.settings().decoder().resolvedWorkers();
                load.urgentApart = service.settings().decoder().urgentWorkers() > 0;
                out.printf("decoder: %d workers x %d intra-op threads, max batch %d, convolutions %s%n",
                        service.settings().decoder().resolvedWorkers(), service.settings().decoder().intraOpThreads(),
                        service.settings().decoder().maxBatch(),
                        VidOdeModel.availablePrecision(service.settings().decoder().precision()).label());
                out.printf("saturated: %d streams x %d frames published at once%n", settings.streams(),
                        settings.frames());
                Map<String, Long> threadsAtStart = threadCpu();
                saturated = load.saturated("saturated", producer, frames, settings.frames(), reader,
                        service.metrics());
                print(saturated);
                printThreadCpu("saturated", threadsAtStart, threadCpu(), saturated.seconds());
                rss = procStatus("VmRSS");
                peakRss = procStatus("VmHWM");
                heap = heapAfterGc();
                // With a warm-up, the saturated load again once the JVM has served for a while (the steady state a
                // long-running service's backlog meets), and the paced rate from that one.
                if (!settings.pacedDuration().isZero() && !settings.warmUp().isZero()) {
                    double rate = settings.pacedRate(saturated);
                    out.printf("warm-up: %.1f frames/s for %s%n", rate, settings.warmUp());
                    Phase warm = load.paced("warm-up", producer, frames, rate, settings.warmUp(), reader,
                            service.metrics());
                    out.printf("warm-up: arrival-to-forecast latency ms: p50 %.0f, p95 %.0f, p99 %.0f, max %.0f;"
                                    + " load generator at most %.0f ms behind its schedule%n", warm.latency().p50(),
                            warm.latency().p95(), warm.latency().p99(), warm.latency().max(), warm.generatorLagMs());
                    out.printf("saturated again, after %s of serving: %d streams x %d frames published at once%n",
                            settings.warmUp(), settings.streams(), settings.frames());
                    Map<String, Long> threadsBeforeWarm = threadCpu();
                    saturatedWarm = load.saturated("saturated again", producer, frames, settings.frames(), reader,
                            service.metrics());
                    print(saturatedWarm);
                    printThreadCpu("saturated again", threadsBeforeWarm, threadCpu(), saturatedWarm.seconds());
                }
                Phase compared = saturatedWarm != null ? saturatedWarm : saturated;
                // The model alone right after the compared saturated phase (the service idle), and again at the end:
                // this machine's speed drifts over minutes, so the ratio takes the mean of a timing on either side.
                // At the bulk calls' batch: the high-priority streams' small calls would lower it, and so the
                // model-only figure, and flatter the ratio.
                int batch = (int) Math.max(1, Math.round(compared.bulkMeanBatch()));
                double modelFirst;
                try (BatchRunner runner = new BatchRunner(service.settings().decoder(), new ServiceMetrics())) {
                    modelFirst = modelOnly(runner, model, batch, load.leads, settings.modelSeconds());
                }
                if (!settings.pacedDuration().isZero()) {
                    double rate = settings.pacedRate(compared);
                    out.printf("paced: %.1f frames/s for %s%n", rate, settings.pacedDuration());
                    Map<String, Long> threadsBefore = threadCpu();
                    long jitBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
                    paced = load.paced("paced", producer, frames, rate, settings.pacedDuration(), reader, service.metrics());
                    print(paced);
                    printThreadCpu("paced", threadsBefore, threadCpu(), paced.seconds());
                    // The JIT's compiler threads are not Java threads: their time comes from the compilation bean.
                    out.printf("paced: JIT compiling %.2f cores (broker, clients and service paths still being"
                                    + " compiled; longer --warm-up lowers it)%n",
                            (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitBefore) * 1e-3
                                    / paced.seconds());
                }
                reader.settle();
                if (trainer != null) {
                    trainer.close();
                    out.printf("training actor: %d frames recorded%n", trainer.recorded());
                }
                long missing = load.sent.keySet().stream().filter(k -> !reader.matcher.received.containsKey(k))
                        .count();
                service.drainAndShutdown().toCompletableFuture().get(2, TimeUnit.MINUTES);
                double modelLast;
                try (BatchRunner runner = new BatchRunner(service.settings().decoder(), new ServiceMetrics())) {
                    modelLast = modelOnly(runner, model, batch, load.leads, settings.modelSeconds());
                }
                Report report = new Report(saturated, paced, missing, reader.matcher.duplicates.get(),
                        reader.matcher.unexpected.get(), reader.matcher.wrongLeads.get(), rss, peakRss, heap, batch,
                        modelFirst, modelLast, saturatedWarm, load.workers,
                        flowMsPerForecast(model, load.leads, settings.modelSeconds()),
                        Runtime.getRuntime().availableProcessors());
                print(report);
                return report;
            } catch (Exception | Error e) {
                if (trainer != null) {
                    trainer.close();
                }
                service.drainAndShutdown().toCompletableFuture().get(2, TimeUnit.MINUTES);
                throw e;
            } finally {
                deleteRecursively(stateDir);
            }
        }
    }

    private static Config serviceConfig(String bootstrap, Path stateDir, VidOdeModel model, String modelName,
                                        String overrides, boolean urgent) {
        Duration unit = Duration.parse(model.card().timeUnit());
        Config base = ConfigFactory.parseString("""
                odecast {
                  instance-id = "e2e"
                  state-dir = "%2$s"
                  kafka {
                    bootstrap-servers = "%1$s"
                    group-id = "e2e"
                    topics {
                      frames = "e2e.frames", forecasts = "e2e.forecasts", regular-frames = "e2e.regular"
                      state = "e2e.state", models = "e2e.models", dead-letters = "e2e.dlq"
                    }
                  }
                  streams = [%3$s%4$s]
                }
                """.formatted(bootstrap, stateDir.toAbsolutePath().toString().replace('\\', '/'),
                urgent ? rule(URGENT_PREFIX + "*", modelName, unit, "high") + "\n" : "",
                rule(PATTERN, modelName, unit, "normal")));
        return ConfigFactory.parseString(overrides == null ? "" : overrides).withFallback(base);
    }

    /** A stream rule of the run: the model, 4 leads one model time unit apart, and the priority. */
    private static String rule(String pattern, String modelName, Duration unit, String priority) {
        return "{ pattern = \"%s\", model = \"%s\", priority = %s, forecast { step = %dms, horizon = %dms } }"
                .formatted(pattern, modelName, priority, unit.toMillis(), unit.multipliedBy(4).toMillis());
    }

    /**
     * The load's producer; with partitions reserved for high-priority streams ({@code odecast.kafka.priority-partitions})
     * it puts the {@code --urgent} streams there and the others on the rest, as {@code odecast publish --priority} does.
     */
    private static KafkaProducer<String, byte[]> producer(String bootstrap, int priorityPartitions) {
        Properties p = new Properties();
        if (priorityPartitions > 0) {
            p.putAll(io.odecast.kafka.FramePartitioner.producerConfig(priorityPartitions, List.of(URGENT_PREFIX + "*")));
        }
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(64 << 20));
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** The load generator: streams' next frame times and the start time of every frame's latency. */
    static final class Load {
        final ModelCard card;
        final int c;
        final int h;
        final int w;
        final Duration step;
        final int streams;
        final float[][] pool = new float[FRAME_POOL][];
        final long[] nextIndex;
        final double[] leads;
        /** Per frame, where its latency starts: its send (saturated phases) or its due time (paced phases). */
        final Map<Key, Long> sent = new ConcurrentHashMap<>();
        /** The first send the producer reported failed; null while none has. */
        final AtomicReference<SendFailure> sendFailure = new AtomicReference<>();
        /** Streams 0..urgent-1 are the high-priority ones. */
        final int urgent;
        private final LongSupplier clock;
        private final FramePublisher.Sleeper sleeper;
        int nextStream;
        /** The service's bulk decoder workers (model calls at once). */
        int workers = 1;
        /** Whether high-priority calls run on urgent workers of their own, beside the bulk ones. */
        boolean urgentApart;

        Load(VidOdeModel model, int streams, int urgent) {
            this(model, streams, urgent, System::nanoTime, d -> TimeUnit.NANOSECONDS.sleep(d.toNanos()));
        }

        /** A load with its own clock (nanoseconds, as {@link System#nanoTime()}) and sleeper (tests). */
        Load(VidOdeModel model, int streams, int urgent, LongSupplier clock, FramePublisher.Sleeper sleeper) {
            this.urgent = urgent;
            this.clock = clock;
            this.sleeper = sleeper;
            this.card = model.card();
            this.c = model.config().channels();
            this.h = model.config().height();
            this.w = model.config().width();
            this.step = Duration.parse(card.timeUnit());
            this.streams = streams;
            this.nextIndex = new long[streams];
            this.leads = new double[4];
            for (int k = 0; k < leads.length; k++) {
                leads[k] = card.modelDuration(step.multipliedBy(k + 1));
            }
            Random rng = new Random(1);
            for (int i = 0; i < FRAME_POOL; i++) {
                float[] data = new float[c * h * w];
                for (int k = 0; k < data.length; k++) {
                    int ch = k / (h * w);
                    data[k] = card.mean()[ch] + card.std()[ch] * (float) rng.nextGaussian();
                }
                pool[i] = data;
            }
        }

        /** The next stream's next frame, encoded, and its key. */
        Map.Entry<Key, byte[]> next() {
            int s = nextStream;
            nextStream = (nextStream + 1) % streams;
            long index = nextIndex[s]++;
            Key key = new Key((s < urgent ? URGENT_PREFIX : "e2e/s") + s, T0.plus(step.multipliedBy(index)));
            FrameMessage f = FrameMessage.of(key.stream(), key.time(), card.channels(), new GridShape(c, h, w),
                    pool[(int) ((s + index) % FRAME_POOL)]);
            return Map.entry(key, FrameCodec.encode(f));
        }

        /**
         * Sends a frame whose latency starts at {@code start}; a send the producer then reports failed is kept in
         * {@link #sendFailure}, the first of them.
         */
        void send(Producer<String, byte[]> producer, String topic, Key key, byte[] value, long start) {
            // Recorded before the send: the forecast may come back before send() returns.
            sent.put(key, start);
            producer.send(new ProducerRecord<>(topic, key.stream(), value), (meta, e) -> {
                if (e != null) {
                    sendFailure.compareAndSet(null, new SendFailure(key, e));
                }
            });
        }

        /** Fails the run when a send has failed: its frame would otherwise surface only as a stall, minutes later. */
        void throwIfSendFailed() {
            SendFailure f = sendFailure.get();
            if (f != null) {
                throw new IllegalStateException("sending the frame of stream " + f.key().stream() + " at "
                        + f.key().time() + " failed: " + f.cause().getMessage(), f.cause());
            }
        }

        Phase saturated(String name, Producer<String, byte[]> producer, String topic, int frames,
                        ForecastReader reader, ServiceMetrics metrics) throws InterruptedException {
            List<Map.Entry<Key, byte[]>> encoded = new ArrayList<>(streams * frames);
            for (int i = 0; i < streams * frames; i++) {
                encoded.add(next());
            }
            Probe probe = new Probe(metrics);
            long start = clock.getAsLong();
            for (Map.Entry<Key, byte[]> e : encoded) {
                send(producer, topic, e.getKey(), e.getValue(), clock.getAsLong());
            }
            producer.flush();
            throwIfSendFailed();
            List<Key> keys = encoded.stream().map(Map.Entry::getKey).toList();
            return reader.await(name, keys, start, this, probe, Double.NaN);
        }

        Phase paced(String name, Producer<String, byte[]> producer, String topic, double rate, Duration duration,
                    ForecastReader reader, ServiceMetrics metrics) throws InterruptedException {
            long n = Math.max(1, Math.round(rate * duration.toNanos() * 1e-9));
            Probe probe = new Probe(metrics);
            PacedSends sends = sendPaced(producer, topic, rate, n);
            producer.flush();
            throwIfSendFailed();
            return reader.await(name, sends.keys(), sends.start(), this, probe, sends.maxLagNanos() * 1e-6);
        }

        /**
         * Sends {@code n} frames, frame {@code i} due {@code i / rate} seconds after the start, each frame's latency
         * starting at its due time: a frame sent late (the generator fell behind: a pause, a slow send) counts the
         * time it waited, as a frame arriving on schedule would have (no coordinated omission). Each frame is
         * encoded before its wait, so the encoding does not delay its send.
         */
        PacedSends sendPaced(Producer<String, byte[]> producer, String topic, double rate, long n)
                throws InterruptedException {
            List<Key> keys = new ArrayList<>();
            long start = clock.getAsLong();
            long maxLag = 0;
            for (long i = 0; i < n; i++) {
                long due = start + Math.round(i * 1e9 / rate);
                Map.Entry<Key, byte[]> e = next();
                long wait = due - clock.getAsLong();
                if (wait > 0) {
                    sleeper.sleep(Duration.ofNanos(wait));
                }
                throwIfSendFailed();
                maxLag = Math.max(maxLag, clock.getAsLong() - due);
                send(producer, topic, e.getKey(), e.getValue(), due);
                keys.add(e.getKey());
            }
            return new PacedSends(keys, start, maxLag);
        }
    }

    /** A send the producer reported failed: the frame's key, and why. */
    record SendFailure(Key key, Exception cause) {
    }

    /**
     * A paced phase's sends.
     *
     * @param keys        the frames sent, in order
     * @param start       when the first was due (the phase's start)
     * @param maxLagNanos the largest lag of a send behind its due time
     */
    record PacedSends(List<Key> keys, long start, long maxLagNanos) {
    }

    /** The service's counters at the start of a phase. */
    private record Probe(ServiceMetrics metrics, double modelSeconds, long batches, long requests, long[] sizes,
                         long commits, double commitSeconds, long cpuNanos, long merged, double callSeconds,
                         double urgentSeconds, long urgentCalls, long urgentRequests) {
        Probe(ServiceMetrics metrics) {
            this(metrics, metrics.modelSeconds(), metrics.decoderBatches(), metrics.batchedRequests(),
                    metrics.batchSizeHistogram(), metrics.commits(), metrics.commitSeconds(), processCpuNanos(),
                    metrics.mergedCalls(), metrics.modelCallSeconds(), metrics.urgentCallSeconds(),
                    metrics.urgentCalls(), metrics.urgentRequests());
        }

        double callSecondsSince() {
            return metrics.modelCallSeconds() - callSeconds;
        }

        /** Call time of the bulk (not high-priority) calls, the ones the bulk workers run. */
        double bulkCallSecondsSince() {
            return callSecondsSince() - (metrics.urgentCallSeconds() - urgentSeconds);
        }

        long requestsSince() {
            return metrics.batchedRequests() - requests;
        }

        long mergedSince() {
            return metrics.mergedCalls() - merged;
        }

        double cpuSecondsSince() {
            return (processCpuNanos() - cpuNanos) * 1e-9;
        }

        long commitsSince() {
            return metrics.commits() - commits;
        }

        double commitSecondsSince() {
            return metrics.commitSeconds() - commitSeconds;
        }

        double modelSecondsSince() {
            return metrics.modelSeconds() - modelSeconds;
        }

        double meanBatchSince() {
            long b = metrics.decoderBatches() - batches;
            return b == 0 ? 0 : (double) (metrics.batchedRequests() - requests) / b;
        }

        /** Requests per bulk call: the high-priority streams' calls (smaller, run first) left out. */
        double bulkMeanBatchSince() {
            long b = metrics.decoderBatches() - batches - (metrics.urgentCalls() - urgentCalls);
            long r = metrics.batchedRequests() - requests - (metrics.urgentRequests() - urgentRequests);
            return b == 0 ? 0 : (double) r / b;
        }

        long[] sizesSince() {
            long[] now = metrics.batchSizeHistogram();
            for (int i = 0; i < now.length; i++) {
                now[i] -= sizes[i];
            }
            return now;
        }
    }

    /** Matches forecasts to the frames sent, by (stream id, based-on time), and counts those that do not fit. */
    static final class Matcher {
        final Map<Key, Long> sent;
        /** The leads every forecast has. */
        final int leads;
        /** Per frame, when its forecast was received. */
        final Map<Key, Long> received = new ConcurrentHashMap<>();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong unexpected = new AtomicLong();
        final AtomicLong wrongLeads = new AtomicLong();
        final AtomicLong lastReceipt = new AtomicLong(System.nanoTime());

        Matcher(Map<Key, Long> sent, int leads) {
            this.sent = sent;
            this.leads = leads;
        }

        /**
         * One poll's forecasts (encoded), all received at {@code now}: the time right after the poll returned, so
         * that decoding the earlier ones does not count in the later ones' latency.
         */
        void accept(List<byte[]> forecasts, long now) {
            for (byte[] value : forecasts) {
                // Decoded and checked in full: a forecast that does not fit its shape fails the run.
                ForecastMessage f = ForecastCodec.decode(value);
                Key key = new Key(f.streamId(), f.basedOnTime());
                if (f.leads().size() != leads) {
                    wrongLeads.incrementAndGet();
                }
                if (!sent.containsKey(key)) {
                    unexpected.incrementAndGet();
                } else if (received.putIfAbsent(key, now) != null) {
                    duplicates.incrementAndGet();
                }
            }
            if (!forecasts.isEmpty()) {
                lastReceipt.set(now);
            }
        }
    }

    /** Reads every forecast from the start of the topic and matches it to its frame. */
    private static final class ForecastReader implements AutoCloseable {
        final KafkaConsumer<String, byte[]> consumer;
        final Matcher matcher;
        final Thread thread;
        volatile boolean stopping;
        volatile Throwable failure;

        ForecastReader(String bootstrap, String topic, Matcher matcher) {
            this.matcher = matcher;
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            // Only committed forecasts: an aborted transaction's records are not output (exactly-once).
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(64 << 20));
            p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            thread = new Thread(this::loop, "bench-forecast-reader");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            try {
                while (!stopping) {
                    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(50));
                    long now = System.nanoTime();
                    List<byte[]> values = new ArrayList<>(records.count());
                    records.forEach(r -> values.add(r.value()));
                    matcher.accept(values, now);
                }
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                failure = e;
            }
        }

        /**
         * Waits for a forecast of every key; fails when the stream of forecasts stalls or a send has failed.
         *
         * @param generatorLagMs the load generator's largest lag behind its schedule (NaN: no schedule)
         */
        Phase await(String name, List<Key> keys, long start, Load load, Probe probe, double generatorLagMs)
                throws InterruptedException {
            Map<Key, Long> received = matcher.received;
            int done = 0;
            while (done < keys.size()) {
                if (failure != null) {
                    throw new IllegalStateException("forecast reader failed", failure);
                }
                load.throwIfSendFailed();
                if (received.containsKey(keys.get(done))) {
                    done++;
                    continue;
                }
                long quiet = System.nanoTime() - Math.max(matcher.lastReceipt.get(), start);
                if (quiet > STALL_NANOS) {
                    throw new IllegalStateException(name + ": no forecast for " + quiet / 1_000_000_000 + " s, "
                            + done + " of " + keys.size() + " frames have one");
                }
                Thread.sleep(5);
            }
            double modelSeconds = probe.modelSecondsSince();
            long[] receipts = keys.stream().mapToLong(received::get).sorted().toArray();
            long[] latencies = keys.stream().mapToLong(k -> received.get(k) - load.sent.get(k)).toArray();
            long[] urgentLatencies = java.util.stream.IntStream.range(0, keys.size())
                    .filter(i -> keys.get(i).stream().startsWith(URGENT_PREFIX)).mapToLong(i -> latencies[i]).toArray();
            double seconds = (receipts[receipts.length - 1] - start) * 1e-9;
            return new Phase(name, keys.size(), seconds, keys.size() / seconds,
                    middlePerSecond(receipts, keys.size() / seconds), modelSeconds / seconds, probe.sizesSince(),
                    probe.meanBatchSince(), probe.bulkMeanBatchSince(), Latency.of(latencies), probe.commitsSince(),
                    probe.commitSecondsSince() / seconds, probe.cpuSecondsSince() / seconds, probe.mergedSince(),
                    Latency.of(urgentLatencies), 1e3 * probe.callSecondsSince() / Math.max(1, probe.requestsSince()),
                    (load.urgentApart ? probe.bulkCallSecondsSince() : probe.callSecondsSince())
                            / (seconds * load.workers), generatorLagMs);
        }

        /** Gives late duplicates a moment to arrive before they are counted. */
        void settle() throws InterruptedException {
            Thread.sleep(1000);
        }

        @Override
        public void close() throws InterruptedException {
            stopping = true;
            consumer.wakeup();
            thread.join(10_000);
            consumer.close();
        }
    }

    /**
     * Forecasts per second between the 10 % and the 90 % forecast (of {@code receipts}, sorted, in nanoseconds):
     * the phase without its ramp and its tail; {@code whole} (the whole phase's rate) when too few forecasts, or
     * all at once, leave no span to divide by.
     */
    static double middlePerSecond(long[] receipts, double whole) {
        int lo = (int) (0.1 * receipts.length);
        int hi = Math.max(lo + 1, (int) (0.9 * receipts.length) - 1);
        return hi < receipts.length && receipts[hi] > receipts[lo]
                ? (hi - lo) / ((receipts[hi] - receipts[lo]) * 1e-9) : whole;
    }

    /**
     * Milliseconds of one core per forecast for the flow extrapolation the model's blend mixes in, as the service
     * computes it beside each forecast ({@link Blending#forecastFlows}, the previous and the new frame, the leads'
     * times); NaN when the card blends no flow. Frames are random fields, as in {@link #modelOnly} (the estimate's
     * work does not depend on what moves).
     */
    static double flowMsPerForecast(VidOdeModel model, double[] leads, Duration budget) {
        Random rng = new Random(3);
        int size = model.config().frameSize();
        double time = 0;
        long spent = 0;
        long n = 0;
        for (int i = 0; i < 3 || spent < budget.toNanos(); i++) {
            float[] a = new float[size];
            float[] b = new float[size];
            for (int k = 0; k < size; k++) {
                a[k] = (float) rng.nextGaussian();
                b[k] = a[k] + 0.1f * (float) rng.nextGaussian();
            }
            double[] times = new double[leads.length];
            for (int k = 0; k < leads.length; k++) {
                times[k] = time + leads[0] + leads[k];
            }
            long t0 = System.nanoTime();
            List<Observation> flows = Blending.forecastFlows(model, new Observation(time, a, null),
                    new Observation(time + leads[0], b, null), times);
            long t1 = System.nanoTime();
            if (flows == null) {
                return Double.NaN;
            }
            if (i >= 2) {
                spent += t1 - t0;
                n++;
            }
            time += leads[0];
        }
        return spent * 1e-6 / n;
    }

    /**
     * Forecasts per second of {@code advanceAndForecast} alone at {@code batch} per call, with 4 leads as in the
     * service, run as the decoder runs it: {@code batch} requests per worker, the workers at once.
     */
    private static double modelOnly(BatchRunner runner, VidOdeModel model, int perCall, double[] leads,
                                    Duration budget) {
        Random rng = new Random(2);
        int size = model.config().frameSize();
        int batch = perCall * runner.workers();
        List<StreamState> states = new ArrayList<>(Collections.nCopies(batch, model.emptyState()));
        double time = 0;
        List<VidOdeModel.Stepped> stepped = null;
        long calls = 0;
        long spent = 0;
        // Two untimed calls (the first absorbs into empty states), then timed ones until the budget is spent.
        for (int i = 0; i < 2 || spent < budget.toNanos() || calls < 3; i++) {
            List<Observation> frames = new ArrayList<>(batch);
            double[][] times = new double[batch][leads.length];
            for (int b = 0; b < batch; b++) {
                float[] data = new float[size];
                for (int k = 0; k < size; k++) {
                    data[k] = (float) rng.nextGaussian();
                }
                frames.add(new Observation(time, data, null));
                for (int k = 0; k < leads.length; k++) {
                    times[b][k] = time + leads[k];
                }
            }
            long t0 = System.nanoTime();
            stepped = runner.advanceAndForecast(model, states, frames, times);
            long t1 = System.nanoTime();
            if (i >= 2) {
                spent += t1 - t0;
                calls++;
            }
            states = stepped.stream().map(VidOdeModel.Stepped::state).toList();
            time += leads[0];
        }
        return batch * calls / (spent * 1e-9);
    }

    /**
     * CPU time per thread group of this process's live threads (thread names with their numbers and ids folded:
     * {@code odecast-model-1-2} counts as {@code odecast-model}); native work (libtorch) included.
     */
    private static Map<String, Long> threadCpu() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> byGroup = new java.util.TreeMap<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu > 0) {
                byGroup.merge(threadGroup(info.getThreadName()), cpu, Long::sum);
            }
        }
        return byGroup;
    }

    /** A thread's name without its numbers and instance parts, e.g. {@code kafka-producer-network-thread}. */
    static String threadGroup(String name) {
        // The service's instance id ("e2e", loops "e2e-e1", ...) first, before digits are folded: "e2e" holds one.
        String n = name.replaceAll("\\|.*", "").replaceAll("-e2e-priority$", "-priority").replaceAll("-e2e(-e\\d+)?$", "")
                .replaceAll("[-_ ]?\\d+", "");
        if (n.startsWith("kafka-producer-network-thread") || n.startsWith("kafka-coordinator-heartbeat")) {
            return n.replaceAll(" .*", "");
        }
        return n.isEmpty() ? name : n;
    }

    private void printThreadCpu(String phase, Map<String, Long> before, Map<String, Long> after, double seconds) {
        List<Map.Entry<String, Long>> spent = new ArrayList<>();
        after.forEach((group, cpu) -> spent.add(Map.entry(group, cpu - before.getOrDefault(group, 0L))));
        spent.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < Math.min(8, spent.size()); i++) {
            line.append(i == 0 ? "" : ", ").append(spent.get(i).getKey()).append(' ')
                    .append(String.format("%.2f", spent.get(i).getValue() * 1e-9 / seconds));
        }
        out.printf("%s: CPU cores by thread group (top 8): %s%n", phase, line);
    }

    /** CPU time of this process (every thread, the broker's included). */
    private static long processCpuNanos() {
        return ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime();
    }

    private void print(Phase p) {
        out.printf("%s: %d frames, each with its forecast, in %.1f s: %.1f forecasts/s (middle 80 %%: %.1f/s),"
                        + " model calls %.0f %% of wall time, mean batch %.1f (bulk calls %.1f), process CPU %.2f"
                        + " of %d cores%n", p.name(), p.published(), p.seconds(), p.perSecond(), p.middlePerSecond(),
                100 * p.modelShare(), p.meanBatch(), p.bulkMeanBatch(), p.cpuCores(),
                Runtime.getRuntime().availableProcessors());
        out.printf("%s: arrival-to-forecast latency ms: p50 %.0f, p95 %.0f, p99 %.0f, max %.0f%n", p.name(),
                p.latency().p50(), p.latency().p95(), p.latency().p99(), p.latency().max());
        if (!Double.isNaN(p.generatorLagMs())) {
            out.printf("%s: latency from each frame's due time; load generator at most %.0f ms behind its"
                    + " schedule%n", p.name(), p.generatorLagMs());
        }
        out.printf("%s: model calls %.2f ms of a worker's time per forecast, workers busy %.0f %% of the time%n",
                p.name(), p.callMsPerForecast(), 100 * p.workerBusy());
        if (!Double.isNaN(p.urgentLatency().max())) {
            out.printf("%s: of the priority = high streams: p50 %.0f, p95 %.0f, p99 %.0f, max %.0f%n", p.name(),
                    p.urgentLatency().p50(), p.urgentLatency().p95(), p.urgentLatency().p99(),
                    p.urgentLatency().max());
        }
        StringBuilder sizes = new StringBuilder();
        long[] counts = p.batchSizes();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                int lo = 1 << i;
                sizes.append(sizes.isEmpty() ? "" : ", ").append(lo == 1 ? "1" : lo + "-" + (2 * lo - 1))
                        .append(": ").append(counts[i]);
            }
        }
        out.printf("%s: model calls by batch size: %s; %d of them merged several loops' steps%n", p.name(), sizes,
                p.mergedCalls());
        out.printf("%s: %d commits, producing and committing %.0f %% of wall time (%.1f ms each)%n", p.name(),
                p.commits(), 100 * p.commitShare(), p.commits() == 0 ? 0 : 1000 * p.commitShare() * p.seconds()
                        / p.commits());
    }

    private void print(Report r) {
        out.printf("matching: %d frames without a forecast, %d duplicate forecasts, %d forecasts of no frame, %d with"
                + " the wrong number of leads%n", r.missing(), r.duplicates(), r.unexpected(), r.wrongLeads());
        out.printf("memory after the saturated phase (whole process, broker included): RSS %.0f MB (peak %.0f MB),"
                + " heap %.0f MB after GC%n", r.rssBytes() / 1e6, r.peakRssBytes() / 1e6, r.heapBytes() / 1e6);
        out.printf("model only at batch %d (the bulk calls' mean): %.1f forecasts/s (%.1f right after the last saturated phase, %.1f at the"
                + " end), %.2f ms of a worker's time per forecast%n", r.modelOnlyBatch(), r.modelOnlyPerSecond(),
                r.modelOnlyFirst(), r.modelOnlyLast(), 1e3 * r.workers() / r.modelOnlyPerSecond());
        if (r.saturatedWarm() != null) {
            out.printf("service (saturated, middle 80 %%) / model: %.2f after minutes of serving, %.2f just started%n",
                    r.serviceOverModel(), r.coldServiceOverModel());
        } else {
            out.printf("service (saturated, middle 80 %%) / model: %.2f (just started)%n", r.serviceOverModel());
        }
        if (!Double.isNaN(r.flowMsPerForecast())) {
            out.printf("the blend's flow: %.2f ms of one core per forecast; model + flow on %d cores: %.1f forecasts/s;"
                            + " service / (model + flow): %.2f%n", r.flowMsPerForecast(), r.cores(),
                    r.modelWithFlowPerSecond(), r.serviceOverModelWithFlow());
        }
    }

    /** A field of /proc/self/status in bytes (Linux), or -1 elsewhere. */
    private static long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Collections.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
