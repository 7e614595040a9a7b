package io.odecast.ops;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.stream.ServiceMetrics;
import io.odecast.stream.ServiceObserver;
import io.odecast.stream.StreamingService;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The service's metrics in Prometheus form (Micrometer's Prometheus registry). Counters and gauges read the
 * service's own {@link ServiceMetrics} at scrape time, so a scrape shows exactly the service's counts; timings and
 * sizes arrive one by one as a {@link ServiceObserver} and go to histograms with fixed buckets.
 *
 * <p>Names follow Prometheus conventions: {@code odecast_..._total} for counters, base units in the name
 * ({@code _seconds}, {@code _bytes}). The full list is in the README ("Operating odecast").
 */
public final class PrometheusMetrics implements ServiceObserver {
    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer latency = timer("odecast.forecast.latency",
            "Arrival to forecast: input record timestamp to the forecast's acknowledgement (or transaction commit)",
            ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500), ms(5000), ms(10_000), ms(30_000),
            ms(60_000), ms(120_000), ms(300_000));
    private final Timer modelCall = timer("odecast.model.call", "One batched model call (advance, forecast, fill)",
            ms(1), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500), ms(5000),
            ms(10_000), ms(30_000));
    private final Timer snapshot = timer("odecast.snapshot.write", "Encoding and storing one stream's state snapshot",
            Duration.ofNanos(100_000), ms(1), ms(5), ms(10), ms(50), ms(100), ms(500), ms(1000));
    private final Timer commit = timer("odecast.commit", "Producing a step's outputs and committing its offsets or"
            + " transaction", ms(1), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500),
            ms(10_000), ms(60_000));
    private final DistributionSummary batchSize = DistributionSummary.builder("odecast.decoder.batch")
            .description("Requests in one batched model call").baseUnit("requests")
            .serviceLevelObjectives(BATCH_BUCKETS).register(registry);
    private final MultiGauge lag = MultiGauge.builder("odecast.consumer.lag").baseUnit("records")
            .description("Frames not yet fetched per assigned partition of the frames topic").register(registry);
    private final MultiGauge models = MultiGauge.builder("odecast.model.info")
            .description("Models serving, by name and version (always 1)").register(registry);
    private volatile ServiceMetrics bound;
    private volatile StreamingService boundService;

    /** A registry with the JVM's memory, thread and processor metrics and the (empty) histograms. */
    public PrometheusMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /**
     * Registers the counters and gauges of a started service; until then a scrape shows the JVM and the empty
     * histograms only.
     *
     * @throws IllegalStateException when a service is bound already
     */
    public synchronized void bind(StreamingService service) {
        if (bound != null) {
            throw new IllegalStateException("metrics are bound to a service already");
        }
        ServiceMetrics m = service.metrics();
        bound = m;
        counter("odecast.frames.received", "Frames read from the frames topic (replays after a restart excluded)", m,
                ServiceMetrics::framesReceived);
        counter("odecast.frames.accepted", "Frames that passed validation and reached the model", m,
                ServiceMetrics::framesAccepted);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            FunctionCounter.builder("odecast.frames.dead.lettered", m, x -> x.deadLettered(reason))
                    .description("Frames sent to the dead-letter topic, by reason")
                    .tags("reason", reason.name().toLowerCase(Locale.ROOT)).register(registry);
        }
        counter("odecast.frames.skipped", "Frames a restored snapshot already held", m, ServiceMetrics::framesSkipped);
        counter("odecast.frames.replayed", "Frames absorbed again without output after an assignment", m,
                ServiceMetrics::framesReplayed);
        counter("odecast.forecasts.emitted", "Forecast messages made; a step that fails before its commit (e.g. its"
                + " snapshot cannot be written) is made again after the engine restarts, and counted again", m,
                ServiceMetrics::forecastsEmitted);
        counter("odecast.forecasts.delivered", "Forecast messages acknowledged by the broker (at-least-once) or"
                + " committed in their transaction (exactly-once)", m, ServiceMetrics::forecastsDelivered);
        counter("odecast.forecasts.replayed", "Forecasts produced with the REPLAYED flag", m,
                ServiceMetrics::forecastsMarkedReplayed);
        FunctionCounter.builder("odecast.regular.frames", m, ServiceMetrics::framesFilled)
                .description("Synthesised regular-cadence frames produced, by flag").tags("flag", "filled")
                .register(registry);
        FunctionCounter.builder("odecast.regular.frames", m, ServiceMetrics::framesProvisional)
                .description("Synthesised regular-cadence frames produced, by flag").tags("flag", "provisional")
                .register(registry);
        counter("odecast.snapshots.written", "State snapshots produced", m, ServiceMetrics::snapshotsWritten);
        counter("odecast.streams.restored", "Streams whose state came back from a snapshot", m,
                ServiceMetrics::streamsRestored);
        counter("odecast.streams.evicted", "Stream states dropped from memory (idle or over the limit)", m,
                ServiceMetrics::streamsEvicted);
        counter("odecast.state.records.restored", "State-topic records read to rebuild local stores at assignments",
                m, ServiceMetrics::stateRecordsRestored);
        counter("odecast.streams.forgotten", "Streams forgotten after state-retention without a frame (snapshot and"
                + " state-topic record deleted)", m, ServiceMetrics::streamsForgotten);
        counter("odecast.stream.restarts", "Stream states restarted after a gap too long to integrate", m,
                ServiceMetrics::streamRestarts);
        counter("odecast.engine.restarts", "Engine failures followed by a restart from the last commit", m,
                ServiceMetrics::engineRestarts);
        counter("odecast.partitions.lost", "Times a consumer loop found the group had moved on without it (uncommitted"
                + " work dropped, partitions taken up again from the last commit)", m, ServiceMetrics::partitionsLost);
        counter("odecast.commits", "Offset or transaction commits", m, ServiceMetrics::commits);
        counter("odecast.model.calls.merged", "Model calls that ran the waiting steps of several consumer loops together",
                m, ServiceMetrics::mergedCalls);
        counter("odecast.model.calls.urgent", "Model calls of steps taken for a high-priority stream's frame", m,
                ServiceMetrics::urgentCalls);
        Gauge.builder("odecast.streams.active", m, ServiceMetrics::activeStreams)
                .description("Streams whose state is in memory").register(registry);
        Gauge.builder("odecast.partitions.behind", m, ServiceMetrics::secondsBehind).baseUnit("seconds")
                .description("Longest time one of this instance's partitions has not been caught up (lag 0, nothing "
                        + "buffered); state-retention forgets streams only up to then").register(registry);
        Gauge.builder("odecast.state", m, ServiceMetrics::stateBytes).baseUnit("bytes")
                .description("Stream state held in memory").register(registry);
        // The engine's own count, current after every rebalance (ServiceMetrics' figure waits for maintenance).
        Gauge.builder("odecast.partitions.assigned", service, s -> s.readiness().partitions())
                .description("Partitions of the frames topic this instance owns").register(registry);
        Gauge.builder("odecast.ready", service, s -> s.readiness().ready() ? 1 : 0)
                .description("1 when /health/ready answers 200").register(registry);
        boundService = service;
        registerModels(service);
    }

    /** One row per model with the version it serves now (a swap or rollback replaces the row). */
    private void registerModels(StreamingService service) {
        models.register(service.modelVersions().entrySet().stream()
                .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(Tags.of("model", e.getKey(), "version", e.getValue()), 1))
                .toList(), true);
    }

    /** The text exposition of every metric (Prometheus text format 0.0.4). */
    public String scrape() {
        ServiceMetrics m = bound;
        if (m != null) {
            // Partitions come and go with rebalances; the rows follow the last poll's assignment.
            List<MultiGauge.Row<?>> rows = m.consumerLag().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(Tags.of("partition", e.getKey().toString()),
                            e.getValue()))
                    .toList();
            lag.register(rows, true);
        }
        StreamingService service = boundService;
        if (service != null) {
            registerModels(service);
        }
        return registry.scrape();
    }

    @Override
    public void modelCall(int size, long nanos) {
        batchSize.record(size);
        modelCall.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void forecastDelivered(long millis) {
        latency.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    @Override
    public void snapshotWritten(long nanos) {
        snapshot.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void committed(long nanos) {
        commit.record(nanos, TimeUnit.NANOSECONDS);
    }

    private void counter(String name, String description, ServiceMetrics m, ToDoubleFunction<ServiceMetrics> f) {
        FunctionCounter.builder(name, m, f).description(description).register(registry);
    }

    private Timer timer(String name, String description, Duration... buckets) {
        return Timer.builder(name).description(description).serviceLevelObjectives(buckets).register(registry);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
