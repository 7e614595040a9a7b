package io.odecast.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerRestartTest {

    @Test
    void brokerRestartedOnTheSameFolderKeepsTopicsAndRecords(@TempDir Path dir) throws Exception {
        TopicNames topics = TopicNames.defaults();
        FrameMessage sent = KafkaRoundTripTest.frame("storm", 3);
        int port;
        try (var kafka = EmbeddedKafkaBroker.builder().logDir(dir).start();
             var admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            port = kafka.port();
            new TopicSetup(admin, topics, new TopicSetup.Settings(1, (short) 1, 1 << 20))
                    .ensureTopics(Duration.ofSeconds(30));
            try (var producer = KafkaRoundTripTest.frameProducer(kafka.bootstrapServers())) {
                producer.send(new ProducerRecord<>(topics.frames(), "storm", sent)).get(30, TimeUnit.SECONDS);
            }
        }
        try (var kafka = EmbeddedKafkaBroker.builder().logDir(dir).port(port).start();
             var admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            assertEquals(List.of(), new TopicSetup(admin, topics, new TopicSetup.Settings(1, (short) 1, 1 << 20))
                    .ensureTopics(Duration.ofSeconds(30)));
            var records = KafkaRoundTripTest.readAll(kafka.bootstrapServers(), topics.frames(), 1);
            assertEquals(sent, FrameCodec.decode(records.get(0).value()));
        }
    }

    @Test
    void temporaryStorageIsDeletedOnClose() {
        Path dir;
        try (var kafka = EmbeddedKafkaBroker.start()) {
            dir = kafka.logDir();
        }
        assertFalse(Files.exists(dir));
    }
}
