package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.T0;
import static io.odecast.stream.StreamFixtures.frame;
import static io.odecast.stream.StreamFixtures.model;
import static io.odecast.stream.StreamFixtures.producer;
import static io.odecast.stream.StreamFixtures.statesAlone;

import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.model.VidOdeModel;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * One real in-process broker and one small random model per test class, and a producer per test. Each test
 * uses its own topic prefix, so tests in a class do not see each other's records.
 */
abstract class BrokerTestBase {

    static EmbeddedKafkaBroker kafka;
    static VidOdeModel model;
    KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaBroker.start();
        model = model();
        // The first model call on a thread initialises the native engine; keep that out of the tests' timing.
        statesAlone(model, List.of(frame("warm", T0, new Random(0))));
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

    @BeforeEach
    void openProducer() {
        producer = producer(kafka.bootstrapServers());
    }

    @AfterEach
    void closeProducer() {
        producer.close();
    }
}
