package io.odecast.chaos;

import io.odecast.data.Datasets;
import io.odecast.data.FrameSequence;
import io.odecast.kafka.DeadLetterCodec;
import io.odecast.kafka.DeadLetterMessage;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.TopicNames;
import io.odecast.model.VidOdeModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One chaos run: a broker and the service as child JVMs, the driver publishing the streams, the scenario's
 * disturbance, a drain until the consumer group has committed every frame (lag 0) and the output has settled, then
 * the verdict: the forecasts and dead letters read back
 * with {@code read_committed}, accounted against the uninterrupted run computed in process.
 *
 * <p>Throughout, a service that exits without being told to (with {@code --instances 2} the partner as well) is
 * counted as an unexpected exit, noted and restarted (unless the broker is down;
 * after {@value #MAX_CRASHES} exits in a row without a forecast the harness stops restarting it).
 */
public final class ChaosRun {
    /** The instance id of the partner service (the disturbed one keeps the configured default). */
    static final String PARTNER_ID = "chaos-partner";
    /** Consecutive exits without a forecast after which the service is no longer restarted. */
    static final int MAX_CRASHES = 4;
    /** Unexpected exits in all after which the service is no longer restarted (a crash loop). */
    static final int MAX_CRASH_RESTARTS = 8;
    private static final Duration BROKER_START = Duration.ofSeconds(120);
    private static final Duration TERM_TIMEOUT = Duration.ofSeconds(90);
    /** How long the drained state (lag 0, no new forecast) must hold before the harness stops the services. */
    static final Duration SETTLE = Duration.ofSeconds(5);

    private final ChaosSettings s;
    private final PrintWriter progress;
    private final Random random;
    private final Path out;
    private final Path logs;
    private final Path brokerDir;
    private final List<RestartTimes.Start> starts = new ArrayList<>();
    private final List<String> exitNotes = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final long began = System.nanoTime();
    private final Map<ChildJvm, Long> rssKilled = new java.util.concurrent.ConcurrentHashMap<>();

    private String bootstrap;
    private TopicNames topics;
    private String group;
    /** For the frames-topic lag of the group (kill loop, drain). */
    private Admin admin;
    private int port;
    private Path config;
    private ChildJvm broker;
    private volatile ChildJvm service;
    /** With {@code --instances 2}: a second instance in the group, never disturbed, that takes partitions over. */
    private volatile ChildJvm partner;
    private ChildJvm accountedDead;
    /** The partner process whose exit was counted already (restarts replace it). */
    private ChildJvm partnerAccountedDead;
    private long serviceStartNanos;
    private int serviceStarts;
    private int brokerStarts;
    private int kills;
    /** Kills that landed while the killed process was working: ready, frames of its own consumed, frames left. */
    private int workingKills;
    private boolean drained;
    private String drainDetail = "not reached";
    private int signals;
    private int outages;
    private int unexpectedExits;
    private int consecutiveCrashes;
    private boolean gaveUp;
    private volatile boolean brokerDown;
    private ForecastMonitor monitor;
    private FrameDriver driver;
    private RssSampler rss;

    /** @param progress where one line per step of the run goes (stderr) */
    public ChaosRun(ChaosSettings settings, PrintWriter progress) {
        this.s = settings;
        this.progress = progress;
        this.random = new Random(settings.seed());
        this.out = settings.out().toAbsolutePath().normalize();
        this.logs = out.resolve("logs");
        this.brokerDir = out.resolve("kafka");
    }

    /** Runs the scenario, writes report.md and report.json under the output folder and returns the report. */
    public ChaosReport run() throws Exception {
        Map<String, Double> phases = new LinkedHashMap<>();
        Files.createDirectories(out);
        deleteRecursively(logs);
        deleteRecursively(brokerDir);
        Files.createDirectories(logs);
        Path modelDir = s.modelsDir().resolve(ServiceConfig.MODEL);
        VidOdeModel model = VidOdeModel.load(modelDir);
        ChaosStreams streams = streams(model);
        notes.add("frames: " + streams.source());
        String prefix = String.format(Locale.ROOT, "chaos-%s-%s-%d", s.scenario().cliName(),
                s.delivery().configValue(), System.currentTimeMillis());
        topics = ServiceConfig.topics(prefix);
        group = ServiceConfig.groupId(prefix);
        port = s.brokerPort() > 0 ? s.brokerPort() : freePort();
        bootstrap = "127.0.0.1:" + port;
        Map<String, Object> settings = s.describe();
        settings.put("frames", streams.source());
        settings.put("broker", bootstrap);
        settings.put("topic prefix", prefix);
        settings.put("output", out.toString());

        ChaosFacts facts;
        try {
            long t = System.nanoTime();
            startBroker("initial");
            ChaosKafka.createTopics(bootstrap, topics, 4, Duration.ofSeconds(60));
            admin = ChaosKafka.admin(bootstrap);
            config = out.resolve("service.conf");
            Files.writeString(config, ServiceConfig.hocon(bootstrap, prefix, s.modelsDir(), s.delivery(), 4, 10,
                    s.priorityStreams()));
            monitor = new ForecastMonitor(bootstrap, topics.forecasts());
            monitor.start();
            rss = new RssSampler(this::serviceProcesses, s.rssKillMiB() * 1024, (p, kib) -> {
                rssKilled.put(p, kib);
                say(String.format(Locale.ROOT, "SIGKILL %s: RSS %d MiB over --rss-kill-mib %d", p, kib / 1024,
                        s.rssKillMiB()));
                try {
                    p.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            rss.start();
            rss.phase(s.scenario() == Scenario.BAD_INPUT ? "before bad input" : "run");
            startService("initial");
            if (s.instances() > 1) {
                startPartner("initial");
            }
            phases.put("startup", seconds(t));

            t = System.nanoTime();
            driver = new FrameDriver(ChaosKafka.producer(bootstrap, s.priorityStreams()), topics.frames(), streams, s.effectiveRate(),
                    injection(streams));
            driver.start();
            say("publishing " + streams.totalFrames() + " frames of " + s.streams() + " streams at "
                    + String.format(Locale.ROOT, "%.1f", s.effectiveRate()) + " frames/s");
            switch (s.scenario()) {
                case KILL -> kills();
                case SIGTERM -> sigterm();
                case BROKER_OUTAGE -> brokerOutage();
                case BAD_INPUT -> {
                }
            }
            // Publishing goes on whatever becomes of the service: every frame is expected to get its forecast.
            waitUntil(driver::done, Duration.ofSeconds((long) (s.streams() * (double) s.frames()
                    / s.effectiveRate() * 3) + 900), false);
            if (!driver.done()) {
                notes.add("the driver had not finished publishing when the harness stopped waiting");
            }
            if (driver.firstError() != null) {
                notes.add("driver: " + driver.firstError());
            }
            phases.put("publish and chaos", seconds(t));
            say("publishing done (" + driver.failed() + " failed); waiting for the output to stop growing");

            t = System.nanoTime();
            Map<String, List<FrameMessage>> published = published(streams);
            drained = drain();
            say("drain: " + (drained ? "" : "NOT drained: ") + drainDetail);
            phases.put("drain", seconds(t));
            boolean aliveAtEnd = service != null && service.alive() && (partner == null || partner.alive());
            accountPartnerExit();
            if (service != null) {
                say("stopping the service (SIGTERM)");
                accountedDead = service;
                service.stop(TERM_TIMEOUT);
            }
            if (partner != null && partner.alive()) {
                say("stopping the partner (SIGTERM)");
                partner.stop(TERM_TIMEOUT);
            }
            rss.close();

            t = System.nanoTime();
            ChaosKafka.Read forecastRead = ChaosKafka.readAll(bootstrap, topics.forecasts(), Duration.ofSeconds(300));
            ChaosKafka.Read deadRead = ChaosKafka.readAll(bootstrap, topics.deadLetters(), Duration.ofSeconds(300));
            say("read " + forecastRead.records().size() + " forecast records and " + deadRead.records().size()
                    + " dead letters");
            phases.put("verify read", seconds(t));
            stopBroker();

            t = System.nanoTime();
            say("computing the uninterrupted run in process");
            Map<ForecastKey, ExpectedForecast> expected = ExpectedForecasts.compute(model, published,
                    ChaosStreams.STEP, 4);
            phases.put("uninterrupted run", seconds(t));

            facts = facts(settings, phases, model, published, expected, forecastRead, deadRead, aliveAtEnd);
        } finally {
            cleanUp();
            model.close();
        }
        ChaosReport report = ChaosReport.judge(facts);
        report.write(out);
        return report;
    }

    private ChaosFacts facts(Map<String, Object> settings, Map<String, Double> phases, VidOdeModel model,
                             Map<String, List<FrameMessage>> published, Map<ForecastKey, ExpectedForecast> expected,
                             ChaosKafka.Read forecastRead, ChaosKafka.Read deadRead, boolean aliveAtEnd) {
        List<ForecastMessage> forecasts = new ArrayList<>();
        long[] timestamps = new long[forecastRead.records().size()];
        int unparsable = 0;
        int i = 0;
        for (ConsumerRecord<String, byte[]> r : forecastRead.records()) {
            timestamps[i++] = r.timestamp();
            try {
                forecasts.add(ForecastCodec.decode(r.value()));
            } catch (IllegalArgumentException e) {
                unparsable++;
            }
        }
        ForecastAccounting.Accounting accounting = ForecastAccounting.account(forecasts, expected,
                ChaosReport.TOLERANCE);
        Set<ForecastKey> issued = new HashSet<>();
        forecasts.forEach(f -> issued.add(ForecastKey.of(f)));

        Map<String, Integer> byReason = new TreeMap<>();
        long largest = 0;
        Map<String, ConsumerRecord<String, byte[]>> byPosition = new LinkedHashMap<>();
        Map<String, DeadLetterMessage> letters = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> r : deadRead.records()) {
            largest = Math.max(largest, r.value() == null ? 0 : r.value().length);
            try {
                DeadLetterMessage d = DeadLetterCodec.decode(r.value());
                byReason.merge(d.reason().name(), 1, Integer::sum);
                String position = d.position();
                byPosition.putIfAbsent(position, r);
                letters.putIfAbsent(position, d);
            } catch (IllegalArgumentException e) {
                byReason.merge("UNPARSABLE", 1, Integer::sum);
            }
        }
        List<BadInputs.Outcome> outcomes = new ArrayList<>();
        if (driver != null) {
            String framesTopic = topics.frames();
            for (FrameDriver.Sent sent : driver.badSent()) {
                String position = framesTopic + "-" + sent.partition() + "@" + sent.offset();
                DeadLetterMessage d = letters.get(position);
                ConsumerRecord<String, byte[]> r = byPosition.get(position);
                BadInputs.BadRecord bad = sent.record();
                boolean forecast = issued.contains(new ForecastKey(bad.streamId(), bad.eventTime()));
                outcomes.add(new BadInputs.Outcome(bad.label(), bad.description(), sent.partition(), sent.offset(),
                        bad.value().length, d != null, d == null ? "" : d.reason().name(),
                        d == null ? "" : shorten(d.reasonText(), 200), r == null ? -1 : r.value().length,
                        forecast));
            }
        }
        int framesPublished = published.values().stream().mapToInt(List::size).sum();
        return new ChaosFacts(s.scenario(), s.delivery(), settings, framesPublished,
                driver == null ? 0 : driver.failed(), accounting, RestartTimes.firstForecasts(starts, timestamps),
                s.scenario() == Scenario.KILL ? s.kills() : 0, kills, workingKills, signals, outages, unexpectedExits, exitNotes,
                aliveAtEnd, rss == null ? -1 : rss.peakKiB(), rss == null ? Map.of() : rss.peakByPhaseKiB(),
                s.rssLimitMiB() * 1024, outcomes, byReason, largest, seconds(began), phases, notes, drained,
                drainDetail, driver == null ? 0 : driver.total(), readState(forecastRead, deadRead), unparsable,
                rss == null ? Map.of() : rss.peakByProcessKiB());
    }

    /** "" when both topics were read to their end, else which were not. */
    private static String readState(ChaosKafka.Read forecasts, ChaosKafka.Read deadLetters) {
        List<String> short_ = new ArrayList<>();
        if (!forecasts.complete()) {
            short_.add("forecasts");
        }
        if (!deadLetters.complete()) {
            short_.add("dead letters");
        }
        return String.join(" and ", short_);
    }

    // ---- scenarios

    /**
     * SIGKILL the service at random moments while it works: each time once the current process is ready, has
     * consumed frames of its own and frames are still unprocessed, after a random wait. Only kills that land on a
     * process still working then count towards {@code --kills}; a process that never gets to work in 300 s is
     * killed anyway (noted, not counted), and once nothing is left to process the loop stops.
     */
    private void kills() throws Exception {
        int attempts = 0;
        while (workingKills < s.kills() && !gaveUp && attempts < 3 * s.kills()) {
            ChildJvm current = service;
            // Publishing over and the group caught up: nothing is left for a kill to land in.
            boolean[] nothingLeft = {false};
            boolean working = waitUntil(() -> {
                if (service != current || !current.alive()) {
                    return true;
                }
                if (driver.done() && lag() == 0) {
                    nothingLeft[0] = true;
                    return true;
                }
                return ServiceProbe.probe(current).working() && workLeft();
            }, Duration.ofSeconds(300));
            if (gaveUp || nothingLeft[0]) {
                break;
            }
            if (service != current || !current.alive()) {
                continue;
            }
            long delay = (long) (500 + random.nextDouble() * Math.max(0, s.maxKillDelay().toMillis() - 500));
            waitUntil(() -> false, Duration.ofMillis(delay));
            if (service != current || !current.alive()) {
                continue;
            }
            ServiceProbe.State state = ServiceProbe.probe(current);
            boolean publishing = !driver.done();
            long lag = publishing ? -2 : lag();
            boolean midWork = state.working() && (publishing || lag > 0);
            attempts++;
            kills++;
            if (midWork) {
                workingKills++;
            }
            String line = String.format(Locale.ROOT, "kill %d (%d/%d mid-work): SIGKILL %s %s (%s; %s)", kills,
                    workingKills, s.kills(), current, midWork ? "MID-WORK" : "NOT working", state,
                    publishing ? String.format(Locale.ROOT, "%.0f%% published", driver.progress() * 100)
                            : "publishing done, group lag " + (lag < 0 ? "unknown" : lag));
            say(line);
            notes.add(line);
            accountedDead = current;
            current.kill();
            startService("kill");
        }
        if (workingKills < s.kills()) {
            notes.add(String.format(Locale.ROOT, "kill loop: %d of %d kills landed mid-work (%d SIGKILLs in all)%s",
                    workingKills, s.kills(), kills, gaveUp ? "; the service was given up on" : driver.done()
                            && lag() == 0 ? "; nothing was left to process" : ""));
        }
    }

    /** Whether frames are left to process: publishing goes on, or the group has not committed up to the end. */
    private boolean workLeft() {
        return !driver.done() || lag() != 0;
    }

    /** The group's summed lag on the frames topic (-1: unknown). */
    private long lag() {
        return ChaosKafka.lag(admin, group, topics.frames());
    }

    /** One SIGTERM once half the frames are out and the service has issued forecasts, then a restart. */
    private void sigterm() throws Exception {
        waitUntil(() -> driver.progress() >= 0.5 && monitor.hasForecastSince(service.startedMillis()),
                Duration.ofSeconds(900));
        if (gaveUp) {
            return;
        }
        ChildJvm current = service;
        say(String.format(Locale.ROOT, "SIGTERM %s (%.0f%% published)", current, driver.progress() * 100));
        accountedDead = current;
        long t = System.nanoTime();
        boolean exited = current.terminate(TERM_TIMEOUT);
        if (exited) {
            signals++;
            notes.add(String.format(Locale.ROOT, "SIGTERM: %s stopped in %.1f s with status %d", current,
                    seconds(t), current.exitCode()));
        } else {
            notes.add("SIGTERM: " + current + " did not stop within " + TERM_TIMEOUT.toSeconds() + " s; killed");
            current.kill();
        }
        startService("sigterm");
    }

    /** SIGKILL the broker once half the frames are out, keep it down for the outage, restart it on its folder. */
    private void brokerOutage() throws Exception {
        waitUntil(() -> driver.progress() >= 0.5 && monitor.hasForecastSince(service.startedMillis()),
                Duration.ofSeconds(900));
        if (gaveUp) {
            return;
        }
        say(String.format(Locale.ROOT, "SIGKILL %s for %d s (%.0f%% published)", broker, s.outage().toSeconds(),
                driver.progress() * 100));
        brokerDown = true;
        broker.kill();
        outages++;
        waitUntil(() -> false, s.outage());
        startBroker("outage");
        brokerDown = false;
        notes.add("broker outage: killed and restarted on " + bootstrap + " after " + s.outage().toSeconds() + " s");
    }

    /** The bad records after a third of stream 0's frames (scenario bad-input), else none. */
    private FrameDriver.Injection injection(ChaosStreams streams) {
        if (s.scenario() != Scenario.BAD_INPUT) {
            return null;
        }
        String id = ChaosStreams.streamId(0);
        String other = s.streams() > 1 ? ChaosStreams.streamId(1) : "storm/chaos-other";
        int after = s.frames() / 3;
        List<BadInputs.BadRecord> records = BadInputs.build(streams.frames().get(id).get(after), other,
                s.bigFrameMiB() * 1024 * 1024, s.bigFrames());
        return new FrameDriver.Injection(id, after, records, () -> {
            rss.phase("after bad input");
            say("injecting " + records.size() + " bad records into " + id + " after its frame " + after);
        });
    }

    // ---- waiting

    /**
     * Waits until the group has processed every frame: the current service (and the partner) ready, the group's
     * committed offsets on the frames topic at the topic's end offsets (lag 0), and that held with no new forecast
     * for {@link #SETTLE}, so that the replay of the last restart has shown whatever duplicates it makes. Fails
     * (false, with a note) at the drain timeout, when the output stops growing for {@code --quiet} without the
     * group catching up, or once the harness gave up on the service.
     */
    private boolean drain() throws Exception {
        long deadline = System.nanoTime() + s.drainTimeout().toNanos();
        long caughtUpSince = -1;
        String state = "";
        while (true) {
            supervise();
            if (gaveUp) {
                drainDetail = "the service is no longer restarted";
                notes.add("drain: " + drainDetail);
                return false;
            }
            ServiceProbe.State svc = ServiceProbe.probe(service);
            ServiceProbe.State other = partner == null ? null : ServiceProbe.probe(partner);
            boolean ready = svc.ready() && (other == null || other.ready());
            long lag = ready ? lag() : -1;
            state = "service " + svc + (other == null ? "" : ", partner " + other) + ", group lag on the frames"
                    + " topic " + (lag < 0 ? "unknown" : Long.toString(lag));
            long now = System.nanoTime();
            if (ready && lag == 0) {
                if (caughtUpSince < 0) {
                    caughtUpSince = now;
                }
                long quietSince = Math.max(Math.max(monitor.lastGrowthNanos(), serviceStartNanos), caughtUpSince);
                if (now - quietSince > SETTLE.toNanos()) {
                    drainDetail = String.format(Locale.ROOT, "group lag 0 on the frames topic, %s ready, no new"
                            + " forecast for %d s after", partner == null ? "service" : "both instances",
                            SETTLE.toSeconds());
                    return true;
                }
            } else {
                caughtUpSince = -1;
            }
            if (now - Math.max(monitor.lastGrowthNanos(), serviceStartNanos) > s.quiet().toNanos() && caughtUpSince < 0) {
                drainDetail = String.format(Locale.ROOT, "output stopped growing for %d s without the group catching"
                        + " up: %s", s.quiet().toSeconds(), state);
                notes.add("drain: " + drainDetail);
                return false;
            }
            if (now > deadline) {
                drainDetail = "not drained after " + s.drainTimeout().toSeconds() + " s: " + state;
                notes.add("drain: " + drainDetail);
                return false;
            }
            Thread.sleep(500);
        }
    }

    /**
     * Waits until {@code condition} holds or the time is up, supervising the service meanwhile; stops early once
     * the harness has given up on the service.
     */
    private boolean waitUntil(BooleanSupplier condition, Duration timeout) throws Exception {
        return waitUntil(condition, timeout, true);
    }

    private boolean waitUntil(BooleanSupplier condition, Duration timeout, boolean stopOnGiveUp) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            supervise();
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline || stopOnGiveUp && gaveUp) {
                return false;
            }
            Thread.sleep(Math.max(1, Math.min(200, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    /**
     * Counts a partner that exited without being told to as an unexpected exit (once per process) and restarts it
     * (not while the broker is down, not once the harness gave up).
     */
    private void supervisePartner() throws IOException {
        ChildJvm p = partner;
        if (p == null || p.alive()) {
            return;
        }
        accountPartnerExit();
        if (gaveUp || brokerDown) {
            return;
        }
        startPartner("crash");
    }

    /** Counts and notes the partner's exit if it exited on its own and was not counted yet. */
    private void accountPartnerExit() {
        ChildJvm p = partner;
        if (p == null || p.alive() || p == partnerAccountedDead) {
            return;
        }
        partnerAccountedDead = p;
        unexpectedExits++;
        Long killedAt = rssKilled.get(p);
        String last = killedAt != null ? String.format(Locale.ROOT, "killed by the harness at RSS %d MiB (over"
                + " --rss-kill-mib %d), as the OOM killer would", killedAt / 1024, s.rssKillMiB())
                : exitReason(p.lastLines(400));
        String note = String.format(Locale.ROOT, "%s (the partner) exited with status %d %.1f s after its start: %s"
                + " (log %s)", p, p.exitCode(), (System.currentTimeMillis() - p.startedMillis()) / 1000.0,
                shorten(last, 300), out.relativize(p.log()));
        exitNotes.add(note);
        say("partner exited on its own: " + note);
        if (unexpectedExits >= MAX_CRASH_RESTARTS && !gaveUp) {
            gaveUp = true;
            notes.add("the services exited on their own " + unexpectedExits + " times (a crash loop); the harness"
                    + " stopped restarting them");
            say("giving up on the service");
        }
    }

    /** Notes a service that exited without being told to and restarts it (not while the broker is down). */
    private void supervise() throws Exception {
        supervisePartner();
        ChildJvm svc = service;
        if (svc == null || svc.alive()) {
            return;
        }
        if (svc != accountedDead) {
            accountedDead = svc;
            unexpectedExits++;
            boolean produced = monitor.hasForecastSince(svc.startedMillis());
            consecutiveCrashes = produced ? 1 : consecutiveCrashes + 1;
            Long killedAt = rssKilled.get(svc);
            String last = killedAt != null ? String.format(Locale.ROOT, "killed by the harness at RSS %d MiB (over"
                    + " --rss-kill-mib %d), as the OOM killer would", killedAt / 1024, s.rssKillMiB())
                    : exitReason(svc.lastLines(400));
            String note = String.format(Locale.ROOT, "%s exited with status %d %.1f s after its start: %s (log %s)",
                    svc, svc.exitCode(), (System.currentTimeMillis() - svc.startedMillis())
                    / 1000.0, shorten(last, 300), out.relativize(svc.log()));
            exitNotes.add(note);
            say("service exited on its own: " + note);
            if (consecutiveCrashes >= MAX_CRASHES) {
                gaveUp = true;
                notes.add("the service exited " + MAX_CRASHES + " times in a row without issuing a forecast; the"
                        + " harness stopped restarting it");
                say("giving up on the service");
            } else if (unexpectedExits >= MAX_CRASH_RESTARTS) {
                gaveUp = true;
                notes.add("the service exited on its own " + unexpectedExits + " times (a crash loop); the harness"
                        + " stopped restarting it");
                say("giving up on the service");
            }
        }
        if (gaveUp || brokerDown) {
            return;
        }
        // Back off like a process supervisor: 1 s, 2 s, 4 s, ... up to 16 s after consecutive exits.
        Thread.sleep(1000L << Math.min(4, Math.max(0, consecutiveCrashes - 1)));
        startService("crash");
    }

    // ---- processes

    private void startService(String cause) throws IOException {
        serviceStarts++;
        int httpPort = freePort();
        ChildJvm svc = ChildJvm.start("service-" + serviceStarts, ChildJvm.odecastCommand(s.serviceHeap(),
                List.of("serve", "--config", config.toString(), "--bootstrap-servers", bootstrap, "--http-port",
                        Integer.toString(httpPort))),
                logs.resolve(String.format(Locale.ROOT, "service-%02d.log", serviceStarts)), httpPort);
        serviceStartNanos = System.nanoTime();
        service = svc;
        starts.add(new RestartTimes.Start("service", cause, svc.startedMillis()));
        say("started " + svc + " (" + cause + ")");
    }

    private int partnerStarts;

    /** The service processes to sample: the current service and the partner. */
    private List<ChildJvm> serviceProcesses() {
        List<ChildJvm> list = new ArrayList<>(2);
        ChildJvm svc = service;
        ChildJvm other = partner;
        if (svc != null) {
            list.add(svc);
        }
        if (other != null) {
            list.add(other);
        }
        return list;
    }

    private void startPartner(String cause) throws IOException {
        partnerStarts++;
        int httpPort = freePort();
        partner = ChildJvm.start("partner-" + partnerStarts, ChildJvm.odecastCommand(s.serviceHeap(), List.of("serve",
                "--config", config.toString(), "--bootstrap-servers", bootstrap, "--instance-id", PARTNER_ID,
                "--http-port", Integer.toString(httpPort))), logs.resolve(partnerStarts == 1 ? "partner.log"
                : String.format(Locale.ROOT, "partner-%02d.log", partnerStarts)), httpPort);
        say("started " + partner + " (instance " + PARTNER_ID + " in the same group, " + cause + ")");
    }

    private void startBroker(String cause) throws Exception {
        brokerStarts++;
        broker = ChildJvm.start("broker-" + brokerStarts, ChildJvm.odecastCommand(s.brokerHeap(),
                List.of("kafka", "--port", Integer.toString(port), "--dir", brokerDir.toString())),
                logs.resolve(String.format(Locale.ROOT, "broker-%02d.log", brokerStarts)));
        long t = System.nanoTime();
        if (!ChaosKafka.awaitBroker(bootstrap, BROKER_START, broker::alive)) {
            throw new IllegalStateException("the broker did not answer on " + bootstrap + " within "
                    + BROKER_START.toSeconds() + " s: " + broker.lastLines(3));
        }
        if (!"initial".equals(cause)) {
            starts.add(new RestartTimes.Start("broker", cause, broker.startedMillis()));
        }
        say(String.format(Locale.ROOT, "broker %s up on %s in %.1f s (%s)", broker, bootstrap, seconds(t), cause));
    }

    private void stopBroker() throws InterruptedException {
        if (broker != null && broker.alive()) {
            broker.stop(Duration.ofSeconds(60));
        }
    }

    private void cleanUp() {
        if (driver != null) {
            driver.close();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (monitor != null) {
            monitor.close();
        }
        if (rss != null) {
            rss.close();
        }
        try {
            if (service != null && service.alive()) {
                accountedDead = service;
                service.kill();
            }
            if (partner != null && partner.alive()) {
                partner.kill();
            }
            if (broker != null && broker.alive()) {
                broker.stop(Duration.ofSeconds(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!s.keepBrokerData()) {
            deleteRecursively(brokerDir);
        }
    }

    // ---- data

    private ChaosStreams streams(VidOdeModel model) throws IOException {
        var c = model.config();
        if ("storm".equals(s.data())) {
            try {
                FrameSequence storm = Datasets.storm(Datasets.stormDir());
                if (storm.shape().channels() == c.channels() && storm.shape().height() == c.height()
                        && storm.shape().width() == c.width() && storm.channels().equals(model.card().channels())) {
                    return ChaosStreams.storm(storm, s.streams(), s.frames());
                }
                notes.add("the storm data is " + storm.shape() + " " + storm.channels() + ", not the model's;"
                        + " using synthetic frames");
            } catch (IOException | RuntimeException e) {
                notes.add("storm data unavailable (" + e.getMessage() + "); using synthetic frames (run"
                        + " scripts/fetch-data.sh for the real ones)");
            }
        }
        return ChaosStreams.synthetic(model.card(), c.height(), c.width(), s.streams(), s.frames(), s.seed());
    }

    /** The frames the broker acknowledged, per stream in order. */
    private Map<String, List<FrameMessage>> published(ChaosStreams streams) {
        Map<String, List<FrameMessage>> out = new LinkedHashMap<>();
        streams.frames().forEach((id, frames) -> {
            List<FrameMessage> acked = new ArrayList<>();
            for (int i = 0; i < frames.size(); i++) {
                if (driver.acked(id, i)) {
                    acked.add(frames.get(i));
                }
            }
            out.put(id, acked);
        });
        return out;
    }

    // ---- helpers

    private void say(String line) {
        progress.printf(Locale.ROOT, "odecast chaos [%6.1f s]: %s%n", seconds(began), line);
        progress.flush();
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    /**
     * The line of a log that best says why the process ended: the last one reporting a failure (the serve
     * command's "stream failed", an uncaught exception, an ERROR), else the last line.
     */
    static String exitReason(String log) {
        List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i);
            if (l.contains("stream failed") || l.contains("Exception in thread") || l.contains(" ERROR ")
                    || l.startsWith("odecast") && l.contains(": ") && !l.contains("consuming")) {
                return l.strip();
            }
        }
        return lines.isEmpty() ? "(empty log)" : lines.get(lines.size() - 1).strip();
    }

    private static String shorten(String text, int max) {
        String t = text.replace('\n', ' ').strip();
        return t.length() <= max ? t : t.substring(0, max) + "...";
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
