package io.odecast.ops;

import static io.odecast.ops.OpsFixtures.await;
import static io.odecast.ops.OpsFixtures.frame;
import static io.odecast.ops.OpsFixtures.get;
import static io.odecast.ops.OpsFixtures.publish;
import static io.odecast.ops.OpsFixtures.samples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.ServiceMetrics;
import io.odecast.stream.StreamingService;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The metrics and health endpoints of a service running against a real in-process broker. */
class OpsServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static EmbeddedKafkaBroker kafka;
    static VidOdeModel model;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaBroker.start();
        model = OpsFixtures.model();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    void scrapedCountersEqualTheServicesOwnCountsAndLatenciesAreObserved() throws Exception {
        String prefix = "metrics";
        Config config = OpsFixtures.config(kafka.bootstrapServers(), prefix, "");
        PrometheusMetrics metrics = new PrometheusMetrics();
        try (OpsServer ops = OpsServer.start(OpsSettings.fromConfig(config), config, metrics, null)) {
            StreamingService service = StreamingService.builder(config).models(Map.of("storm", model))
                    .observer(metrics).start();
            ops.attach(service);
            try {
                Random rng = new Random(3);
                List<FrameMessage> frames = new ArrayList<>();
                for (double h : new double[] {0, 6, 18, 24, 30}) {
                    frames.add(frame("storm/a", h, rng));
                }
                frames.add(frame("storm/a", 12, rng));
                frames.add(frame("elsewhere/b", 0, rng));
                try (KafkaProducer<String, byte[]> producer = OpsFixtures.producer(kafka.bootstrapServers())) {
                    publish(producer, prefix + ".frames", frames);
                    producer.send(new ProducerRecord<>(prefix + ".frames", "storm/c", new byte[] {1, 2, 3})).get();
                }
                ServiceMetrics counts = service.metrics();
                await("8 frames handled", Duration.ofSeconds(60),
                        () -> counts.framesAccepted() + counts.deadLettered() == 8
                                && counts.forecastsDelivered() == counts.forecastsEmitted());
                Map<String, Double> scraped = samples(get(ops.url() + "metrics").body());

                assertEquals(5, counts.framesAccepted());
                assertEquals(counts.framesReceived(), scraped.get("odecast_frames_received_total"));
                assertEquals(counts.framesAccepted(), scraped.get("odecast_frames_accepted_total"));
                assertEquals(counts.forecastsEmitted(), scraped.get("odecast_forecasts_emitted_total"));
                assertEquals(counts.forecastsDelivered(), scraped.get("odecast_forecasts_delivered_total"));
                assertEquals(counts.framesFilled(), scraped.get("odecast_regular_frames_total{flag=\"filled\"}"));
                assertEquals(1, counts.framesFilled(), "the 6 h to 18 h gap has one tick");
                for (DeadLetterReason reason : DeadLetterReason.values()) {
                    assertEquals(counts.deadLettered(reason), scraped.get("odecast_frames_dead_lettered_total{reason=\""
                            + reason.name().toLowerCase(Locale.ROOT) + "\"}"), reason.name());
                }
                assertEquals(1, counts.deadLettered(DeadLetterReason.OUT_OF_ORDER));
                assertEquals(1, counts.deadLettered(DeadLetterReason.UNKNOWN_STREAM));
                assertEquals(3, counts.deadLettered(), "one undecodable record besides");

                assertEquals(5.0, scraped.get("odecast_forecast_latency_seconds_count"),
                        "one arrival-to-forecast latency per forecast");
                assertTrue(scraped.get("odecast_forecast_latency_seconds_bucket{le=\"120.0\"}") == 5.0,
                        "every forecast within two minutes of its frame: " + scraped);
                assertTrue(scraped.get("odecast_model_call_seconds_count") >= 5);
                assertEquals(scraped.get("odecast_model_call_seconds_count"),
                        scraped.get("odecast_decoder_batch_requests_count"));
                assertTrue(scraped.get("odecast_commit_seconds_count") >= 1);
                assertEquals(counts.commits(), scraped.get("odecast_commits_total"));
                assertEquals(1.0, scraped.get("odecast_model_info{model=\"storm\",version=\"" + model.version()
                        + "\"}"));
                assertEquals(3.0, scraped.get("odecast_partitions_assigned"));
                assertTrue(scraped.keySet().stream().anyMatch(k -> k.startsWith("odecast_consumer_lag_records{")),
                        "lag per partition: " + scraped.keySet());
            } finally {
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void readyOnlyOnceModelsAreLoadedAndPartitionsRestoredWhileLiveThroughout() throws Exception {
        String prefix = "health";
        Config config = OpsFixtures.config(kafka.bootstrapServers(), prefix, "");
        PrometheusMetrics metrics = new PrometheusMetrics();
        try (OpsServer ops = OpsServer.start(OpsSettings.fromConfig(config), config, metrics, null)) {
            assertEquals(200, get(ops.url() + "health/live").statusCode());
            HttpResponse<String> before = get(ops.url() + "health/ready");
            assertEquals(503, before.statusCode());
            assertEquals(false, JSON.readTree(before.body()).get("modelsLoaded").asBoolean());

            StreamingService service = StreamingService.builder(config).models(Map.of("storm", model))
                    .observer(metrics).start();
            ops.attach(service);
            try {
                JsonNode ready = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline) {
                    assertEquals(200, get(ops.url() + "health/live").statusCode());
                    HttpResponse<String> r = get(ops.url() + "health/ready");
                    JsonNode body = JSON.readTree(r.body());
                    assertEquals(r.statusCode() == 200, body.get("ready").asBoolean());
                    if (r.statusCode() == 200) {
                        ready = body;
                        break;
                    }
                    assertTrue(!body.get("kafkaConnected").asBoolean() || !body.get("partitionsRestored")
                            .asBoolean(), "503 while connected and restored: " + body);
                    Thread.sleep(20);
                }
                assertTrue(ready != null, "never ready");
                assertTrue(ready.get("modelsLoaded").asBoolean() && ready.get("partitionsRestored").asBoolean());
                assertEquals(3, ready.get("partitions").asInt(), "ready with every partition restored");
                int perLoop = 0;
                for (var n : ready.get("loopPartitions")) {
                    perLoop += n.asInt();
                }
                assertEquals(3, perLoop, "the consumer loops' partitions add up: " + ready);
                assertEquals(service.settings().engineThreads(), ready.get("loopPartitions").size());
            } finally {
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
            assertEquals(503, get(ops.url() + "health/ready").statusCode(), "a stopped service is not ready");
            assertEquals(200, get(ops.url() + "health/live").statusCode());
        }
    }
}
