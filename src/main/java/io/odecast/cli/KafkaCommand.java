package io.odecast.cli;

import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.TopicNames;
import io.odecast.kafka.TopicSetup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code odecast kafka}: a standalone single-node broker with the odecast topics, for local work. */
@Command(name = "kafka", description = "Run an embedded single-node Kafka broker with the odecast topics until"
        + " interrupted; prints the bootstrap servers.")
final class KafkaCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "9092", paramLabel = "N",
            description = "Client port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Storage folder, kept between runs (default: a temporary folder deleted on exit).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder().port(port);
        if (dir != null) {
            builder.logDir(dir);
        }
        EmbeddedKafkaBroker broker = builder.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "odecast-kafka-shutdown"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers()))) {
            new TopicSetup(admin, TopicNames.defaults(), TopicSetup.Settings.defaults())
                    .ensureTopics(Duration.ofSeconds(30));
        }
        System.out.println(broker.bootstrapServers());
        System.err.println("odecast kafka: broker on " + broker.bootstrapServers() + " with storage "
                + broker.logDir() + "; topics " + TopicNames.defaults().all() + "; Ctrl-C to stop");
        stopped.await();
        return 0;
    }
}
