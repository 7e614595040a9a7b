package io.odecast.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.cli.Odecast;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.TopicSetup;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ucar.nc2.NetcdfFile;

/** {@code odecast render} end to end: hand-made forecasts on a real broker to files. */
class RenderCommandTest {
    @TempDir
    Path out;

    @Test
    void renderWritesPngsGifAndNetcdfPerStream() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start()) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("odecast.forecasts", 3, (short) 1)))
                        .all().get(30, TimeUnit.SECONDS);
                TopicSetup.awaitPartitionLeaders(admin, List.of("odecast.forecasts"), Duration.ofSeconds(30));
            }
            try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers",
                    kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
                for (int n = 0; n < 4; n++) {
                    producer.send(new ProducerRecord<>("odecast.forecasts", "ncar/storm",
                            RenderFixtures.forecast("ncar/storm", n).toByteArray()));
                }
                for (int n = 0; n < 2; n++) {
                    producer.send(new ProducerRecord<>("odecast.forecasts", "other",
                            RenderFixtures.forecast("other", n).toByteArray()));
                }
                producer.send(new ProducerRecord<>("odecast.forecasts", "junk", new byte[] {1, 2, 3}));
            }
            StringWriter stdout = new StringWriter();
            StringWriter stderr = new StringWriter();
            var cl = Odecast.commandLine();
            cl.setOut(new PrintWriter(stdout));
            cl.setErr(new PrintWriter(stderr));
            int rc = cl.execute("render", "--bootstrap-servers", kafka.bootstrapServers(), "--topic",
                    "odecast.forecasts", "--out", out.toString(), "--grid", "20:1.25:-140:2.5");
            assertEquals(0, rc, stderr.toString());
        }
        try (Stream<Path> pngs = Files.list(out.resolve("ncar_storm"))) {
            assertEquals(8, pngs.count(), "4 forecasts x 2 leads");
        }
        assertTrue(Files.size(out.resolve("ncar_storm.gif")) > 0);
        assertTrue(Files.exists(out.resolve("other.gif")));
        try (NetcdfFile nc = NetcdfFile.open(out.resolve("ncar_storm.nc").toString())) {
            assertEquals(4, nc.findDimension("reftime").getLength());
            assertEquals("latitude", nc.findVariable("lat").findAttribute("standard_name").getStringValue());
        }
    }

    @Test
    void aBadGridIsAUsageErrorOnOneLine() {
        StringWriter stderr = new StringWriter();
        var cl = Odecast.commandLine();
        cl.setErr(new PrintWriter(stderr));
        int rc = cl.execute("render", "--bootstrap-servers", "127.0.0.1:1", "--out", out.toString(), "--grid", "20:1");
        assertEquals(2, rc);
        assertEquals(1, stderr.toString().strip().lines().count(), stderr.toString());
        assertTrue(stderr.toString().contains("lat0:dlat:lon0:dlon"), stderr.toString());
    }
}
