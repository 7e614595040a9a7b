package io.odecast.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import io.odecast.stream.StreamingService;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations HTTP server: {@code /metrics} (Prometheus text format), {@code /health/live},
 * {@code /health/ready} and, with a {@link LivePage}, the page at {@code /}. It starts before the streaming
 * service (so an orchestrator sees "live, not ready" while models load) and is given the service once it runs.
 *
 * <pre>{@code
 * PrometheusMetrics metrics = new PrometheusMetrics();
 * try (OpsServer ops = OpsServer.start(OpsSettings.fromConfig(config), config, metrics, null)) {
 *     StreamingService service = StreamingService.builder(config).observer(metrics).start();
 *     ops.attach(service);
 *     ...
 * }
 * }</pre>
 */
public final class OpsServer extends AllDirectives implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
    private static final ContentType PROMETHEUS =
            ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrometheusMetrics metrics;
    private final LivePage page;
    private final ActorSystem<Void> system;
    private volatile StreamingService service;
    private ServerBinding binding;

    private OpsServer(PrometheusMetrics metrics, LivePage page, ActorSystem<Void> system) {
        this.metrics = metrics;
        this.page = page;
        this.system = system;
    }

    /**
     * Binds the server on its own small actor system.
     *
     * @param config the application configuration (Pekko settings for the server's actor system)
     * @param page   the live page, or null to serve metrics and probes only
     * @throws IllegalStateException naming the address when it cannot be bound
     */
    public static OpsServer start(OpsSettings settings, Config config, PrometheusMetrics metrics, LivePage page) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "odecast-ops", config);
        OpsServer server = new OpsServer(metrics, page, system);
        try {
            server.binding = Http.get(system).newServerAt(settings.iface(), settings.port())
                    .bind(server.routes()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            system.terminate();
            if (page != null) {
                page.close();
            }
            throw new IllegalStateException("cannot serve HTTP on " + settings.iface() + ":" + settings.port()
                    + " (odecast.http.interface and port): " + (e.getCause() != null ? e.getCause() : e), e);
        }
        LOG.info("Operations server at {} (metrics /metrics, health /health/live and /health/ready{})", server.url(),
                page != null ? ", live page /" : "");
        return server;
    }

    /** Serves readiness and the service's counters from now on. */
    public void attach(StreamingService running) {
        metrics.bind(running);
        this.service = running;
    }

    /** The port bound (the one picked when the settings said 0). */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** The base URL, ending in {@code /}. */
    public String url() {
        InetSocketAddress address = binding.localAddress();
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
        return "http://" + host + ":" + address.getPort() + "/";
    }

    private Route routes() {
        Route ops = concat(
                path("metrics", () -> get(() -> complete(HttpResponse.create()
                        .withEntity(HttpEntities.create(PROMETHEUS, metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)))))),
                pathPrefix("health", () -> concat(
                        path("live", () -> get(() -> json(StatusCodes.OK, Map.of("live", true)))),
                        path("ready", () -> get(this::ready)))));
        return page == null ? ops : concat(ops, page.routes(system));
    }

    private Route ready() {
        StreamingService s = service;
        Map<String, Object> body = new LinkedHashMap<>();
        boolean ready;
        if (s == null) {
            ready = false;
            body.put("modelsLoaded", false);
            body.put("topicsChecked", false);
            body.put("kafkaConnected", false);
            body.put("partitionsRestored", false);
            body.put("draining", false);
        } else {
            StreamingService.Readiness r = s.readiness();
            ready = r.ready();
            body.put("modelsLoaded", r.modelsLoaded());
            body.put("topicsChecked", r.topicsChecked());
            body.put("kafkaConnected", r.kafkaConnected());
            body.put("partitionsRestored", r.partitionsRestored());
            body.put("draining", r.draining());
            body.put("partitions", r.partitions());
            body.put("loopPartitions", r.loopPartitions());
        }
        body.put("ready", ready);
        return json(ready ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body);
    }

    private Route json(StatusCode status, Object body) {
        try {
            return complete(HttpResponse.create().withStatus(status)
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(body))));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body + " as JSON", e);
        }
    }

    /** Unbinds and stops the server's actor system (and the live page's consumer). */
    @Override
    public void close() {
        try {
            binding.terminate(Duration.ofSeconds(3)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("HTTP unbind: {}", e.toString());
        }
        if (page != null) {
            page.close();
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("Operations actor system termination: {}", e.toString());
        }
    }
}
