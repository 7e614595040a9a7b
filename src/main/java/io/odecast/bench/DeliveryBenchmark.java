package io.odecast.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.StreamingService;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Saturated throughput of the streaming service in both delivery modes, in one run on one embedded broker: a
 * backlog of {@code streams x frames} frames of a shipped model's shape is published, then a service in each mode
 * consumes it from the start and the time to the last forecast's delivery (acknowledged, or committed in its
 * transaction) is measured. Prints forecasts per second, commits
 * and the share of wall time spent inside model calls, so the cost of transactions shows as a ratio. The modes
 * alternate over several rounds; the first round also pays the native engine's warm-up.
 */
public final class DeliveryBenchmark {

    /** One mode's figures. */
    public record Result(String mode, long forecasts, double seconds, long commits, double modelSeconds) {
        public double perSecond() {
            return forecasts / seconds;
        }
    }

    private final PrintStream out;

    public DeliveryBenchmark(PrintStream out) {
        this.out = out;
    }

    /** Runs both modes on a backlog of frames for model {@code modelName} in {@code modelsDir}. */
    public List<Result> run(Path modelsDir, String modelName, int streams, int frames, int rounds) throws Exception {
        List<Result> results = new ArrayList<>();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start();
             VidOdeModel model = VidOdeModel.load(modelsDir.resolve(modelName))) {
            List<String> modes = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                modes.add("at-least-once");
                modes.add("exactly-once");
            }
            for (int run = 0; run < modes.size(); run++) {
                String mode = modes.get(run);
                String prefix = "bench-" + run + "-" + mode;
                Config config = ConfigFactory.parseString("""
                        odecast {
                          instance-id = "%1$s"
                          delivery = "%7$s"
                          state-dir = "%3$s"
                          kafka {
                            bootstrap-servers = "%2$s"
                            group-id = "%1$s"
                            partitions = 4
                            topics {
                              frames = "%1$s.frames", forecasts = "%1$s.forecasts", regular-frames = "%1$s.regular"
                              state = "%1$s.state", models = "%1$s.models", dead-letters = "%1$s.dlq"
                            }
                          }
                          streams = [{ pattern = "bench/*", model = "%4$s", forecast { step = %5$s, horizon = %6$s } }]
                        }
                        """.formatted(prefix, kafka.bootstrapServers(),
                        kafka.logDir().resolveSibling("bench-state").toString().replace('\\', '/'), modelName,
                        Duration.parse(model.card().timeUnit()).toMillis() + "ms",
                        Duration.parse(model.card().timeUnit()).multipliedBy(4).toMillis() + "ms", mode));
                // Topics exist once a service has started; publish the backlog before it consumes.
                StreamingService service = StreamingService.builder(config).models(Map.of(modelName, model)).start();
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
                publish(kafka.bootstrapServers(), prefix + ".frames", model, streams, frames);
                long total = (long) streams * frames;
                long start = System.nanoTime();
                service = StreamingService.builder(config).models(Map.of(modelName, model)).start();
                // Delivered, not emitted: a forecast counts once acknowledged (at-least-once) or committed in its
                // transaction (exactly-once), so the clock includes producing and committing the last ones.
                while (service.metrics().forecastsDelivered() < total) {
                    Thread.sleep(20);
                    if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(20)) {
                        throw new IllegalStateException(mode + ": only " + service.metrics().forecastsDelivered()
                                + " of " + total + " forecasts delivered after 20 minutes");
                    }
                }
                double seconds = (System.nanoTime() - start) * 1e-9;
                // Maintenance runs every second and measures the states in memory.
                Thread.sleep(1500);
                long streamsInMemory = service.metrics().activeStreams();
                long stateBytes = service.metrics().stateBytes();
                Result r = new Result(mode, total, seconds, service.metrics().commits(),
                        service.metrics().modelSeconds());
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
                results.add(r);
                out.printf("round %d %-14s %6d forecasts in %6.1f s: %6.1f forecasts/s, %4d commits, model calls %4.0f %% of wall"
                        + " time, %d streams in memory, %.1f KB of state each%n", run / 2 + 1, mode, r.forecasts(), r.seconds(),
                        r.perSecond(), r.commits(), 100 * r.modelSeconds() / r.seconds(), streamsInMemory,
                        streamsInMemory == 0 ? 0.0 : stateBytes / 1024.0 / streamsInMemory);
            }
        }
        for (int round = 0; round < rounds; round++) {
            out.printf("round %d: exactly-once / at-least-once throughput: %.2f%n", round + 1,
                    results.get(2 * round + 1).perSecond() / results.get(2 * round).perSecond());
        }
        return results;
    }

    private static void publish(String bootstrap, String topic, VidOdeModel model, int streams, int frames) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(64 << 20));
        ModelCard card = model.card();
        int c = model.config().channels();
        int h = model.config().height();
        int w = model.config().width();
        Duration step = Duration.parse(card.timeUnit());
        Random rng = new Random(1);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < frames; i++) {
                for (int s = 0; s < streams; s++) {
                    float[] data = new float[c * h * w];
                    for (int k = 0; k < data.length; k++) {
                        int ch = k / (h * w);
                        data[k] = card.mean()[ch] + card.std()[ch] * (float) rng.nextGaussian();
                    }
                    String id = "bench/s" + s;
                    FrameMessage f = FrameMessage.of(id, Instant.parse("1996-01-05T00:00:00Z").plus(step.multipliedBy(i)),
                            card.channels(), new io.odecast.data.GridShape(c, h, w), data);
                    producer.send(new ProducerRecord<>(topic, id, FrameCodec.encode(f)));
                }
            }
            producer.flush();
        }
    }
}
