package io.odecast.ops;

import io.odecast.data.TimedFrame;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameDecodeException;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.RegularFrameCodec;
import io.odecast.kafka.RegularFrameMessage;
import io.odecast.kafka.TopicNames;
import io.odecast.proto.RegularFrame;
import io.odecast.render.PngRenderer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the live page shows, kept up to date by a consumer of its own (no group, every partition) of the frames,
 * forecasts and regular-frames topics: per stream its last arrival, model version, counts, the latest observed frame
 * and forecast, the latest filled and provisional frames, and the running skill against persistence (each forecast
 * lead scored against the observed frame at its valid time, persistence being the frame the forecast started from).
 *
 * <p>The view is independent of the service's engine: it shows what is on the topics, so it works beside any
 * number of instances. Reads and updates hold the view's lock; updates are a few array copies per record.
 *
 * <p>A record the view cannot read (not a message of its topic, a field that does not fit, a time out of range) is
 * skipped and counted, never a failure of the reader. After a failure (the broker gone, say) the reader connects
 * again and resumes every partition where it stopped, so no record is counted twice; only partitions new since
 * (a topic grown) start from {@code lookback} ago. At {@code max-streams} streams, a new stream takes the place of the
 * stream seen least recently.
 */
final class LiveView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveView.class);
    /** Observed frames kept per stream for scoring forecasts against them. */
    private static final int OBSERVED_KEPT = 8;
    /** Forecasts kept per stream waiting for their leads' observations. */
    private static final int FORECASTS_KEPT = 6;
    /** Skipped records are logged at most this often (each one at debug). */
    private static final Duration SKIP_LOG_INTERVAL = Duration.ofMinutes(1);

    /** What changed: a stream and the kind of record ({@code frame}, {@code forecast} or {@code regular}). */
    record Change(String streamId, String kind, long version) {
    }

    private final OpsSettings.PageSettings settings;
    private final TopicNames topics;
    private final Map<String, Object> properties;
    private final Consumer<Change> listener;
    private final Map<String, StreamView> streams = new TreeMap<>();
    /** The same streams, least recently seen (a record of theirs read) first. */
    private final Map<String, StreamView> recency = new LinkedHashMap<>(16, 0.75f, true);
    /** Streams dropped for newer ones at {@code max-streams}. */
    private long evicted;
    /** Records that could not be read. */
    private long skipped;
    /** The next offset to read of every partition read so far: where a new connection resumes. View thread only. */
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private long skippedSinceLog;
    private long lastSkipLog;
    private boolean skipLogged;
    private volatile int connections;
    private final Thread thread;
    private volatile boolean closing;
    private volatile KafkaConsumer<String, byte[]> consumer;

    /**
     * @param clientProperties Kafka consumer properties from configuration (servers, security)
     * @param listener         told about every change, on the view's thread
     */
    LiveView(OpsSettings.PageSettings settings, TopicNames topics, Map<String, Object> clientProperties,
             Consumer<Change> listener) {
        this.settings = settings;
        this.topics = topics;
        this.properties = new HashMap<>(clientProperties);
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Exactly-once outputs are visible once committed; at-least-once outputs are never in a transaction.
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Only a resumed position can be out of range: its records were deleted meanwhile (read on from what
        // remains) or the topic was made again (read it from its start). Never a record twice.
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "odecast-live-page");
        this.listener = listener;
        this.thread = new Thread(this::run, "odecast-live-page");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (!closing) {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(properties, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer = c;
                if (!assign(c)) {
                    sleep(Duration.ofSeconds(1));
                    continue;
                }
                while (!closing) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        accept(r);
                        positions.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
                    }
                }
            } catch (WakeupException e) {
                if (!closing) {
                    LOG.warn("Live page consumer woken up unexpectedly; reconnecting");
                }
            } catch (RuntimeException e) {
                if (!closing) {
                    LOG.warn("Live page consumer failed ({}); reconnecting in 5 s", e.toString());
                    sleep(Duration.ofSeconds(5));
                }
            } finally {
                consumer = null;
            }
        }
    }

    /**
     * Assigns every partition of the three topics, each where the view stopped reading it or, the first time, from
     * {@code lookback} ago; false while a topic is missing.
     */
    private boolean assign(KafkaConsumer<String, byte[]> c) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.frames(), topics.forecasts(), topics.regularFrames())) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                return false;
            }
            infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        }
        c.assign(partitions);
        long from = System.currentTimeMillis() - settings.lookback().toMillis();
        Map<TopicPartition, Long> times = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Long at = positions.get(tp);
            if (at != null) {
                // Read before this connection: what the view holds already counts every record up to here.
                c.seek(tp, at);
            } else {
                times.put(tp, from);
            }
        }
        if (!times.isEmpty()) {
            // The ends before the times: a partition with no record since `from` starts at its end as it was then,
            // so a record written while the page connects is read (a lazy seek to the end would skip it).
            Map<TopicPartition, Long> ends = c.endOffsets(times.keySet(), Duration.ofSeconds(10));
            Map<TopicPartition, OffsetAndTimestamp> offsets = c.offsetsForTimes(times, Duration.ofSeconds(10));
            for (TopicPartition tp : times.keySet()) {
                OffsetAndTimestamp o = offsets.get(tp);
                long at = o == null ? ends.get(tp) : o.offset();
                c.seek(tp, at);
                // Nothing before it will be shown: a later connection starts there too, if nothing is read before.
                positions.put(tp, at);
            }
        }
        if (times.size() == partitions.size()) {
            LOG.info("Live page reading {}, {} and {} from {} ago", topics.frames(), topics.forecasts(),
                    topics.regularFrames(), settings.lookback());
        } else {
            LOG.info("Live page reading {}, {} and {} again where it stopped{}", topics.frames(), topics.forecasts(),
                    topics.regularFrames(), times.isEmpty() ? ""
                            : " (" + times.size() + " new partitions from " + settings.lookback() + " ago)");
        }
        connections++;
        return true;
    }

    /** How often the reader has been assigned its partitions: 1 until a failure makes it connect again. */
    int connections() {
        return connections;
    }

    /**
     * Drops the reader's connection as a failure would; it connects again and resumes where it stopped (for
     * tests).
     */
    void reconnect() {
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    /** Takes one record into the view; one that cannot be read is skipped and counted, never thrown. */
    void accept(ConsumerRecord<String, byte[]> r) {
        Change change;
        try {
            if (r.topic().equals(topics.frames())) {
                change = frame(r);
            } else if (r.topic().equals(topics.forecasts())) {
                change = forecast(ForecastCodec.decode(r.value()));
            } else {
                change = regular(RegularFrameCodec.decode(r.value()));
            }
        } catch (FrameDecodeException | RuntimeException e) {
            // The service dead-letters bad frames; the page just does not show them (nor any record it cannot read).
            skip(r, e);
            return;
        }
        if (change != null) {
            try {
                listener.accept(change);
            } catch (RuntimeException e) {
                LOG.warn("Live page listener failed on {}: {}", change, e.toString());
            }
        }
    }

    /** Counts a skipped record; logs it at debug, and at most once per {@link #SKIP_LOG_INTERVAL} at info. */
    private void skip(ConsumerRecord<String, byte[]> r, Exception e) {
        long total;
        synchronized (this) {
            total = ++skipped;
        }
        skippedSinceLog++;
        long now = System.nanoTime();
        if (!skipLogged || now - lastSkipLog >= SKIP_LOG_INTERVAL.toNanos()) {
            LOG.info("Live page skips {}-{}@{}, which it cannot read ({}); {} skipped since the last such line, {} in"
                    + " all (each one is logged at debug)", r.topic(), r.partition(), r.offset(), e.toString(),
                    skippedSinceLog, total);
            skipLogged = true;
            lastSkipLog = now;
            skippedSinceLog = 0;
        } else {
            LOG.debug("Live page skips {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
        }
    }

    private Change frame(ConsumerRecord<String, byte[]> r) throws FrameDecodeException {
        FrameMessage f = FrameCodec.decode(r.value());
        synchronized (this) {
            StreamView s = view(f.streamId());
            s.frames++;
            s.lastArrival = Instant.ofEpochMilli(r.timestamp());
            if (!f.units().isEmpty()) {
                s.units = f.units();
            }
            TimedFrame grid = f.frame();
            if (s.observed == null || !f.eventTime().isBefore(s.observed.time())) {
                s.observed = grid;
            }
            s.recentObserved.put(f.eventTime(), grid);
            while (s.recentObserved.size() > OBSERVED_KEPT) {
                s.recentObserved.remove(s.recentObserved.keySet().iterator().next());
            }
            for (Scored scored : s.recentForecasts) {
                score(s, scored);
            }
            return new Change(s.id, "frame", ++s.version);
        }
    }

    private Change forecast(ForecastMessage f) {
        synchronized (this) {
            StreamView s = view(f.streamId());
            s.forecasts++;
            s.model = f.modelName();
            s.modelVersion = f.modelVersion();
            if (!f.units().isEmpty()) {
                s.units = f.units();
            }
            if (s.forecast == null || !f.basedOnTime().isBefore(s.forecast.basedOnTime())) {
                s.forecast = f;
            }
            Scored scored = new Scored(f, new boolean[f.leads().size()]);
            s.recentForecasts.addLast(scored);
            while (s.recentForecasts.size() > FORECASTS_KEPT) {
                s.recentForecasts.removeFirst();
            }
            score(s, scored);
            return new Change(s.id, "forecast", ++s.version);
        }
    }

    private Change regular(RegularFrameMessage g) {
        if (g.flag() == RegularFrame.Flag.OBSERVED) {
            // The frames topic shows observed frames, streams without a cadence included.
            return null;
        }
        synchronized (this) {
            StreamView s = view(g.streamId());
            if (g.flag() == RegularFrame.Flag.FILLED) {
                s.filled++;
            } else {
                s.provisional++;
            }
            s.synthesised.addLast(g);
            while (s.synthesised.size() > settings.history()) {
                s.synthesised.removeFirst();
            }
            return new Change(s.id, "regular", ++s.version);
        }
    }

    /** Scores the leads of {@code scored} whose observation and starting frame are both at hand, once each. */
    private static void score(StreamView s, Scored scored) {
        TimedFrame start = s.recentObserved.get(scored.forecast.basedOnTime());
        if (start == null) {
            return;
        }
        List<ForecastMessage.Lead> leads = scored.forecast.leads();
        for (int k = 0; k < leads.size(); k++) {
            TimedFrame truth = s.recentObserved.get(leads.get(k).validTime());
            if (scored.done[k] || truth == null || truth.data().length != leads.get(k).data().length
                    || start.data().length != truth.data().length) {
                continue;
            }
            scored.done[k] = true;
            float[] model = leads.get(k).data();
            boolean[] valid = leads.get(k).valid();
            for (int i = 0; i < model.length; i++) {
                if (valid[i] && truth.isValid(i) && start.isValid(i)) {
                    double e = model[i] - truth.data()[i];
                    double p = start.data()[i] - truth.data()[i];
                    s.sseModel += e * e;
                    s.ssePersistence += p * p;
                }
            }
            s.scoredLeads++;
        }
    }

    /**
     * The stream's view, made on first sight, and marked as the most recently seen. At {@code max-streams}, a new
     * stream takes the place of the one seen least recently (should it come back, it starts afresh).
     */
    private StreamView view(String id) {
        StreamView s = recency.get(id);
        if (s == null) {
            if (streams.size() >= settings.maxStreams()) {
                Iterator<StreamView> oldest = recency.values().iterator();
                streams.remove(oldest.next().id);
                oldest.remove();
                evicted++;
            }
            s = new StreamView(id);
            streams.put(id, s);
            recency.put(id, s);
        }
        return s;
    }

    /** The streams in id order, how many were dropped for newer ones, and how many records could not be read. */
    synchronized Listing listing() {
        return new Listing(streams.values().stream().map(StreamView::summary).toList(), evicted, skipped);
    }

    /**
     * Every stream's summary; {@code evicted} counts streams dropped, the least recently seen first, to make room
     * for new ones at {@code max-streams}; {@code skipped} counts records the page could not read.
     */
    record Listing(List<Summary> streams, long evicted, long skipped) {
    }

    /** One stream's detail, or empty when the page has not seen it. */
    synchronized Optional<Detail> detail(String id) {
        StreamView s = streams.get(id);
        if (s == null) {
            return Optional.empty();
        }
        List<Item> leads = new ArrayList<>();
        if (s.forecast != null) {
            List<ForecastMessage.Lead> l = s.forecast.leads();
            for (int k = 0; k < l.size(); k++) {
                leads.add(new Item(k, l.get(k).validTime().toString(), l.get(k).lead().toString(), "FORECAST"));
            }
        }
        List<Item> synthesised = new ArrayList<>();
        int i = 0;
        for (RegularFrameMessage g : s.synthesised) {
            synthesised.add(new Item(i++, g.time().toString(), "", g.flag().name()));
        }
        return Optional.of(new Detail(s.summary(), s.observed == null ? null : s.observed.time().toString(),
                s.forecast == null ? null : s.forecast.basedOnTime().toString(),
                s.forecast == null ? List.of() : s.forecast.flags().stream().map(Enum::name).toList(), leads,
                synthesised));
    }

    /**
     * A picture for the page: {@code observed}, forecast lead {@code index} of the latest forecast, or synthesised
     * frame {@code index} (oldest first); empty when there is none.
     */
    synchronized Optional<PngRenderer.Picture> picture(String id, String kind, int index) {
        StreamView s = streams.get(id);
        if (s == null) {
            return Optional.empty();
        }
        switch (kind) {
            case "observed" -> {
                TimedFrame g = s.observed;
                return g == null ? Optional.empty()
                        : Optional.of(new PngRenderer.Picture(s.id + "  observed", "", g, s.units(g)));
            }
            case "lead" -> {
                ForecastMessage f = s.forecast;
                if (f == null || index < 0 || index >= f.leads().size()) {
                    return Optional.empty();
                }
                ForecastMessage.Lead l = f.leads().get(index);
                StringBuilder title = new StringBuilder(s.id + "  " + f.modelName() + " " + f.modelVersion());
                f.flags().forEach(flag -> title.append("  ").append(flag.name()));
                return Optional.of(new PngRenderer.Picture(title.toString(), PngRenderer.from(f.basedOnTime(),
                        l.lead()), l.frame(), s.units(l.frame())));
            }
            case "regular" -> {
                if (index < 0 || index >= s.synthesised.size()) {
                    return Optional.empty();
                }
                RegularFrameMessage g = new ArrayList<>(s.synthesised).get(index);
                return Optional.of(new PngRenderer.Picture(s.id + "  " + g.flag().name() + "  " + g.modelVersion(),
                        "", g.frame(), s.units(g.frame())));
            }
            default -> throw new IllegalArgumentException("picture kind must be observed, lead or regular, got \""
                    + kind + "\"");
        }
    }

    /** One stream as the page lists it; times are ISO-8601, skill is null until a lead has been scored. */
    record Summary(String id, String lastArrival, String model, String modelVersion, long frames, long forecasts,
                   long filled, long provisional, long scoredLeads, Double rmseOverPersistence, long version) {
    }

    /** A picture's place on the page. */
    record Item(int index, String time, String lead, String flag) {
    }

    /** One stream's page: its summary, the latest observed time and forecast with its leads, synthesised frames. */
    record Detail(Summary summary, String observedTime, String forecastBasedOn, List<String> forecastFlags,
                  List<Item> leads, List<Item> synthesised) {
    }

    private record Scored(ForecastMessage forecast, boolean[] done) {
    }

    /** Mutable state of one stream, guarded by the view's lock. */
    private static final class StreamView {
        final String id;
        Instant lastArrival;
        String model = "";
        String modelVersion = "";
        long frames;
        long forecasts;
        long filled;
        long provisional;
        List<String> units = List.of();
        TimedFrame observed;
        final Map<Instant, TimedFrame> recentObserved = new LinkedHashMap<>();
        ForecastMessage forecast;
        final Deque<Scored> recentForecasts = new ArrayDeque<>();
        final Deque<RegularFrameMessage> synthesised = new ArrayDeque<>();
        double sseModel;
        double ssePersistence;
        long scoredLeads;
        long version;

        StreamView(String id) {
            this.id = id;
        }

        /** The stream's units (from its frames or forecasts) when they fit {@code frame}, else none. */
        List<String> units(TimedFrame frame) {
            return units.size() == frame.shape().channels() ? units : List.of();
        }

        Summary summary() {
            Double skill = scoredLeads == 0 || ssePersistence == 0 ? null : Math.sqrt(sseModel / ssePersistence);
            return new Summary(id, lastArrival == null ? null : lastArrival.toString(), model, modelVersion, frames,
                    forecasts, filled, provisional, scoredLeads, skill, version);
        }
    }

    /** Waits, in short slices so that a close is not held up (a consumer's thread must not be interrupted). */
    private void sleep(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (!closing && System.nanoTime() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops the consumer and waits for its thread. */
    @Override
    public void close() {
        closing = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
