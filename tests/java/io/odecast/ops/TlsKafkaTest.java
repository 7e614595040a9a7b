package io.odecast.ops;

import static io.odecast.ops.OpsFixtures.await;
import static io.odecast.ops.OpsFixtures.frame;
import static io.odecast.ops.OpsFixtures.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.StreamingService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service reaches a broker that demands SASL/PLAIN over TLS through its {@code kafka-clients} settings alone,
 * and TLS is really checked: the broker's certificate is a throwaway one made with the JDK's {@code keytool} at
 * test time, trusted only through the truststore the settings name.
 */
class TlsKafkaTest {
    private static final Config TLS = ConfigFactory.parseResources("ops/sasl-ssl.conf");
    private static final String STORE_PASSWORD = TLS.getString("broker.store-password");

    @TempDir
    static Path stores;
    private static Path truststore;
    private static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void startBrokerWithAThrowawayCertificate() throws Exception {
        Path keystore = stores.resolve("broker.p12");
        Path certificate = stores.resolve("broker.crt");
        truststore = stores.resolve("truststore.p12");
        keytool("-genkeypair", "-keyalg", "RSA", "-keysize", "2048", "-alias", "broker", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-alias", "broker", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", STORE_PASSWORD, "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-file", certificate.toString(),
                "-keystore", truststore.toString(), "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        Map<String, String> users = new LinkedHashMap<>();
        TLS.getConfig("broker.plain-users").entrySet()
                .forEach(e -> users.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
        kafka = EmbeddedKafkaBroker.builder().saslPlainUsers(users).saslSslKeystore(keystore, STORE_PASSWORD)
                .start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void serviceConnectsToASaslSslListenerUsingOnlyConfiguration() throws Exception {
        String secured = kafka.saslSslBootstrapServers();
        Config config = TLS.withFallback(ConfigFactory.parseMap(Map.of("tls.truststore", truststore.toString())))
                .withFallback(OpsFixtures.config(secured, "tls", "")).resolve();
        try (VidOdeModel model = OpsFixtures.model()) {
            StreamingService service = StreamingService.builder(config).models(Map.of("storm", model)).start();
            try {
                Random rng = new Random(7);
                List<FrameMessage> frames = new ArrayList<>();
                for (double h : new double[] {0, 6, 12}) {
                    frames.add(frame("storm/tls", h, rng));
                }
                try (KafkaProducer<String, byte[]> producer = OpsFixtures.producer(trustingClient(secured))) {
                    publish(producer, "tls.frames", frames);
                }
                await("3 forecasts over SASL_SSL", Duration.ofSeconds(60),
                        () -> service.metrics().forecastsDelivered() == 3);
                assertEquals(0, service.metrics().engineRestarts(), "no failed session");
            } finally {
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void clientWithoutTheTruststoreFailsTheTlsHandshake() {
        // Right user and password, so the refusal can only come from the certificate the JDK's default
        // trust anchors do not vouch for.
        Map<String, Object> untrusting = new HashMap<>(trustingClient(kafka.saslSslBootstrapServers()));
        untrusting.keySet().removeIf(key -> key.startsWith("ssl.truststore."));
        try (Admin client = Admin.create(untrusting)) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> client.describeCluster().nodes().get(30, TimeUnit.SECONDS));
            SslAuthenticationException tls = assertInstanceOf(SslAuthenticationException.class, refused.getCause(),
                    "refused in the TLS handshake");
            assertInstanceOf(SSLHandshakeException.class, tls.getCause(), "the handshake itself failed");
        }
    }

    /** A SASL_SSL client as the publisher user, trusting the throwaway certificate. */
    private static Map<String, Object> trustingClient(String bootstrap) {
        return Map.of("bootstrap.servers", bootstrap, "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"publisher\""
                        + " password=\"publisher-secret\";",
                "ssl.truststore.location", truststore.toString(), "ssl.truststore.type", "PKCS12",
                "ssl.truststore.password", STORE_PASSWORD);
    }

    /** Runs the JDK's own keytool, so the test needs no certificate checked in and nothing outside the JDK. */
    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }
}
