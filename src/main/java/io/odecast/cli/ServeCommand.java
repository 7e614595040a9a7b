package io.odecast.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.ops.LivePage;
import io.odecast.ops.OpsServer;
import io.odecast.ops.OpsSettings;
import io.odecast.ops.PrometheusMetrics;
import io.odecast.stream.ServiceSettings;
import io.odecast.stream.StreamingService;
import io.odecast.train.actor.TrainerService;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code odecast serve}: the streaming service against a Kafka cluster, until Ctrl-C. */
@Command(name = "serve", description = "Consume frames from Kafka and emit forecasts and gap-filled frames until"
        + " interrupted (Ctrl-C drains the frames in flight, then stops).")
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ServiceConfigOptions configuration;

    @Option(names = "--instance-id", paramLabel = "NAME",
            description = "This instance's stable name (static group membership, transactional id); overrides"
                    + " odecast.instance-id. Give each instance of a group its own and keep it across restarts.")
    String instanceId;

    @Option(names = "--delivery", paramLabel = "MODE",
            description = "at-least-once or exactly-once; overrides odecast.delivery.")
    String delivery;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "Port of the metrics, health and live-page server; 0 picks a free one; overrides"
                    + " odecast.http.port.")
    Integer httpPort;

    @Override
    public Integer call() throws Exception {
        // libtorch's native libraries take most of a second to load: loaded beside the configuration, the operations
        // server and the service's Kafka checks instead of after them, when the first model loads (which waits for
        // this load if it is still running; a failure there is the model load's to report).
        // Logging is set up first, here: a log call from the loading thread while SLF4J initialises would be
        // replayed with a notice on the terminal.
        org.slf4j.LoggerFactory.getILoggerFactory();
        Thread natives = new Thread(() -> {
            try {
                ai.djl.engine.Engine.getInstance();
            } catch (RuntimeException | LinkageError e) {
                // reported by the model load
            }
        }, "odecast-native-load");
        natives.setDaemon(true);
        natives.start();
        Map<String, String> overrides = new HashMap<>();
        overrides.put("odecast.instance-id", instanceId);
        overrides.put("odecast.delivery", delivery);
        Config loaded = configuration.overrides(overrides);
        Config full = ConfigFactory.load(loaded);
        OpsSettings http = OpsSettings.fromConfig(full);
        if (httpPort != null) {
            http = http.withPort(httpPort);
        }
        PrometheusMetrics metrics = new PrometheusMetrics();
        // Up before the models load, so that an orchestrator sees "live, not ready" meanwhile.
        OpsServer ops = http.enabled() ? OpsServer.start(http, full, metrics, http.page().enabled()
                ? LivePage.start(http.page(), ServiceSettings.fromConfig(full).kafka()) : null) : null;
        StreamingService service;
        try {
            service = StreamingService.builder(loaded).observer(metrics).start();
        } catch (RuntimeException e) {
            if (ops != null) {
                ops.close();
            }
            throw e;
        }
        if (ops != null) {
            ops.attach(service);
            System.err.println("odecast serve: metrics at " + ops.url() + "metrics, health at " + ops.url()
                    + "health/ready" + (http.page().enabled() ? ", live page at " + ops.url() : ""));
        }
        TrainerService trainer = full.getBoolean("odecast.trainer.enabled")
                ? TrainerService.start(full, service.settings(), service.system(),
                        service.metrics()::recentLatencyP99) : null;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (trainer != null) {
                    trainer.close();
                }
                service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("odecast serve: shutdown did not finish cleanly: " + e.getMessage());
            } finally {
                if (ops != null) {
                    ops.close();
                }
                stopped.countDown();
            }
        }, "odecast-serve-shutdown"));
        System.err.println("odecast serve: consuming " + service.settings().kafka().topics().frames() + " from "
                + service.settings().kafka().bootstrapServers() + "; Ctrl-C to stop");
        try {
            service.completion().toCompletableFuture().join();
        } catch (RuntimeException e) {
            System.err.println("odecast serve: stream failed: " + e.getMessage());
            return 1;
        }
        stopped.await();
        return 0;
    }
}
