package io.odecast.ops;

import static io.odecast.ops.OpsFixtures.await;
import static io.odecast.ops.OpsFixtures.frame;
import static io.odecast.ops.OpsFixtures.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.StreamingService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;

/** The service reaches a broker that demands SASL/PLAIN through its {@code kafka-clients} settings alone. */
class SecuredKafkaTest {
    private static final Config SASL = ConfigFactory.parseResources("ops/sasl-plain.conf");

    @Test
    void serviceConnectsToASaslPlainListenerUsingOnlyConfiguration() throws Exception {
        Map<String, String> users = new LinkedHashMap<>();
        SASL.getConfig("broker.plain-users").entrySet()
                .forEach(e -> users.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().saslPlainUsers(users).start();
             VidOdeModel model = OpsFixtures.model()) {
            String secured = kafka.saslBootstrapServers();
            Config config = SASL.withFallback(OpsFixtures.config(secured, "sasl", "")).resolve();
            StreamingService service = StreamingService.builder(config).models(Map.of("storm", model)).start();
            try {
                Random rng = new Random(5);
                List<FrameMessage> frames = new ArrayList<>();
                for (double h : new double[] {0, 6, 12}) {
                    frames.add(frame("storm/secured", h, rng));
                }
                try (KafkaProducer<String, byte[]> producer = OpsFixtures.producer(client(secured, "publisher",
                        "publisher-secret"))) {
                    publish(producer, "sasl.frames", frames);
                }
                await("3 forecasts over SASL", Duration.ofSeconds(60),
                        () -> service.metrics().forecastsDelivered() == 3);
                assertEquals(0, service.metrics().engineRestarts(), "no failed session");
            } finally {
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }

            try (Admin intruder = Admin.create(client(secured, "odecast", "wrong"))) {
                ExecutionException refused = assertThrows(ExecutionException.class,
                        () -> intruder.describeCluster().nodes().get(30, TimeUnit.SECONDS));
                assertTrue(refused.getCause() instanceof SaslAuthenticationException,
                        "the listener checks passwords: " + refused.getCause());
            }
        }
    }

    private static Map<String, Object> client(String bootstrap, String user, String password) {
        return Map.of("bootstrap.servers", bootstrap, "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                        + "\" password=\"" + password + "\";");
    }
}
