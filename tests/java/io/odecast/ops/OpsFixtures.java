package io.odecast.ops;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.StreamFixtures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;

/** A small random 3 x 12 x 12 storm-like model, frames, service configuration and an HTTP client for ops tests. */
final class OpsFixtures {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private OpsFixtures() {
    }

    /** The service tests' small storm model ({@link StreamFixtures#model}). */
    static VidOdeModel model() {
        return StreamFixtures.model();
    }

    /**
     * The service tests' configuration on topics prefixed {@code prefix} ({@link StreamFixtures#config}), with the
     * operations server on a free port; {@code extra} (HOCON) is laid over it. Resolved against reference.conf.
     */
    static Config config(String bootstrap, String prefix, String extra) {
        return ConfigFactory.parseString(extra)
                .withFallback(ConfigFactory.parseString("odecast.http { port = 0, live-page.lookback = 1h }"))
                .withFallback(StreamFixtures.config(bootstrap, prefix)).withFallback(ConfigFactory.load()).resolve();
    }

    /** A frame of random physical values around the model's means, {@code hours} after the fixtures' start. */
    static FrameMessage frame(String streamId, double hours, Random rng) {
        return StreamFixtures.frame(streamId, StreamFixtures.hours(hours), rng);
    }

    static KafkaProducer<String, byte[]> producer(Map<String, Object> properties) {
        return StreamFixtures.producer(properties);
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return StreamFixtures.producer(bootstrap);
    }

    static void publish(KafkaProducer<String, byte[]> producer, String topic, List<FrameMessage> frames) {
        StreamFixtures.publish(producer, topic, frames);
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
        StreamFixtures.await(what, timeout, done);
    }
}
