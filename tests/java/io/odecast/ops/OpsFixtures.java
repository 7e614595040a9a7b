package io.odecast.ops;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.data.GridShape;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A small random 3 x 12 x 12 storm-like model, frames, service configuration and an HTTP client for ops tests. */
final class OpsFixtures {
    static final int C = 3;
    static final int H = 12;
    static final int W = 12;
    static final Instant T0 = Instant.parse("1996-01-05T00:00:00Z");
    static final List<String> CHANNELS = List.of("u", "v", "p");
    private static final Path STATE_DIR = Path.of("target", "test-state", "ops-" + System.nanoTime());
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private OpsFixtures() {
    }

    static VidOdeModel model() {
        ModelCard card = new ModelCard("storm", ModelCard.EXTRAPOLATE, CHANNELS, new float[] {0f, 0f, 1000f},
                new float[] {5f, 5f, 10f}, null, "PT6H", 0.1, null, null);
        return new VidOdeModel(new VidOdeNetwork(ModelConfig.of(C, H, W, 4, 1), 7), card);
    }

    /**
     * Service and ops configuration on topics prefixed {@code prefix}, HTTP on a free port: {@code storm/*} streams
     * with a 6 h cadence forecast every 6 h to +24 h; {@code extra} (HOCON) is laid over it.
     */
    static Config config(String bootstrap, String prefix, String extra) {
        return ConfigFactory.parseString(extra).withFallback(ConfigFactory.parseString("""
                odecast {
                  instance-id = "%2$s-1"
                  state-dir = "%3$s"
                  engine.restart-backoff { min = 200ms, max = 2s }
                  http { port = 0, live-page.lookback = 1h }
                  kafka {
                    bootstrap-servers = "%1$s"
                    group-id = "%2$s-group"
                    partitions = 3
                    consumer.kafka-clients { session.timeout.ms = 6000 }
                    topics {
                      frames = "%2$s.frames", forecasts = "%2$s.forecasts", regular-frames = "%2$s.regular"
                      state = "%2$s.state", models = "%2$s.models", dead-letters = "%2$s.dlq"
                    }
                  }
                  stream-defaults { model = "storm", forecast { step = 6h, horizon = 24h } }
                  streams = [ { pattern = "storm/*", cadence = 6h } ]
                }
                """.formatted(bootstrap, prefix, STATE_DIR.toAbsolutePath()))).withFallback(ConfigFactory.load())
                .resolve();
    }

    /** A frame of random physical values around the model's means, {@code hours} after {@link #T0}. */
    static FrameMessage frame(String streamId, double hours, Random rng) {
        float[] data = new float[C * H * W];
        float[] mean = {0f, 0f, 1000f};
        float[] std = {5f, 5f, 10f};
        for (int i = 0; i < data.length; i++) {
            int c = i / (H * W);
            data[i] = mean[c] + std[c] * (float) rng.nextGaussian();
        }
        return FrameMessage.of(streamId, T0.plus(Duration.ofMinutes(Math.round(hours * 60))), CHANNELS,
                new GridShape(C, H, W), data);
    }

    static KafkaProducer<String, byte[]> producer(Map<String, Object> properties) {
        Map<String, Object> p = new LinkedHashMap<>(properties);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return producer(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    static void publish(KafkaProducer<String, byte[]> producer, String topic, List<FrameMessage> frames) {
        for (FrameMessage f : frames) {
            producer.send(new ProducerRecord<>(topic, f.streamId(), FrameCodec.encode(f)));
        }
        producer.flush();
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A Prometheus text exposition as {@code name{labels}} to value (labels as written, in the order written);
     * comment lines are left out.
     */
    static Map<String, Double> samples(String exposition) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
