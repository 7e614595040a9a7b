package io.odecast.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of one chaos run (the {@code odecast chaos} options).
 *
 * @param scenario        what to do to the processes
 * @param delivery        the service's delivery mode
 * @param streams         number of streams
 * @param frames          frames per stream
 * @param kills           SIGKILLs of the service at least (scenario kill)
 * @param seed            seed of the random kill moments and of synthetic frames
 * @param out             folder for report.md, report.json, the logs and the broker's storage
 * @param rate            frames per second over all streams; 0 picks {@code streams * frames / publishSeconds}
 * @param publishSeconds  how long publishing should take when the rate is picked
 * @param outage          how long the broker stays down (scenario broker-outage)
 * @param maxKillDelay    the longest random wait after a (re)started service's first forecast before the kill
 * @param quiet           the output counts as stopped when it has not grown for this long
 * @param drainTimeout    the longest wait for the output to stop after publishing and chaos are over
 * @param serviceHeap     -Xmx of the service JVM
 * @param brokerHeap      -Xmx of the broker JVM
 * @param brokerPort      client port of the broker; 0 picks a free one (kept across broker restarts)
 * @param modelsDir       folder of the model checkpoints
 * @param data            {@code storm} (real storm analyses, synthetic if not found) or {@code synthetic}
 * @param rssLimitMiB     bound of the service's peak RSS (scenario bad-input)
 * @param keepBrokerData  keep the broker's storage after the run
 * @param bigFrameMiB     size of the wrong-shape frame's data (scenario bad-input; 60 in the contract)
 * @param rssKillMiB      the harness kills a service whose RSS exceeds this (protects a shared machine)
 * @param instances       service instances in the consumer group (1 or 2)
 * @param bigFrames       times the wrong-shape frame is sent in a row (scenario bad-input)
 * @param priorityStreams the first this many streams have priority = high and the last partition reserved for them
 *                        ({@code odecast.kafka.priority-partitions = 1}, the lane); 0: none
 */
public record ChaosSettings(Scenario scenario, Delivery delivery, int streams, int frames, int kills, long seed,
                            Path out, double rate, double publishSeconds, Duration outage, Duration maxKillDelay,
                            Duration quiet, Duration drainTimeout, String serviceHeap, String brokerHeap,
                            int brokerPort, Path modelsDir, String data, long rssLimitMiB, boolean keepBrokerData,
                            int bigFrameMiB, long rssKillMiB, int instances, int bigFrames, int priorityStreams) {

    public ChaosSettings {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(modelsDir, "modelsDir");
        require(streams >= 1 && streams <= 1000, "--streams must be in 1..1000, got " + streams);
        require(frames >= 2 && frames <= 100_000, "--frames must be in 2..100000, got " + frames);
        require(kills >= 0, "--kills must be >= 0, got " + kills);
        require(rate >= 0 && Double.isFinite(rate), "--rate must be >= 0 (0: from --publish-seconds), got " + rate);
        require(publishSeconds > 0 && Double.isFinite(publishSeconds), "--publish-seconds must be > 0, got "
                + publishSeconds);
        require(positive(outage), "--outage must be positive, got " + outage);
        require(positive(maxKillDelay), "--max-kill-delay must be positive, got " + maxKillDelay);
        require(positive(quiet), "--quiet must be positive, got " + quiet);
        require(positive(drainTimeout), "--drain-timeout must be positive, got " + drainTimeout);
        require(heap(serviceHeap), "--service-heap must look like 2g or 1536m, got " + serviceHeap);
        require(heap(brokerHeap), "--broker-heap must look like 1g or 768m, got " + brokerHeap);
        require(brokerPort >= 0 && brokerPort <= 65535, "--broker-port must be in 0..65535, got " + brokerPort);
        require("storm".equals(data) || "synthetic".equals(data), "--data must be storm or synthetic, got " + data);
        require(rssLimitMiB > 0, "--rss-limit-mib must be positive, got " + rssLimitMiB);
        require(rssKillMiB >= rssLimitMiB, "--rss-kill-mib must be at least --rss-limit-mib (" + rssLimitMiB
                + "), got " + rssKillMiB);
        require(instances == 1 || instances == 2, "--instances must be 1 or 2, got " + instances);
        require(priorityStreams >= 0 && priorityStreams <= streams, "--priority-streams must be in 0..--streams ("
                + streams + "), got " + priorityStreams);
        require(bigFrames >= 1 && bigFrames <= 100, "--big-frames must be in 1..100, got " + bigFrames);
        require(bigFrameMiB >= 1 && bigFrameMiB <= 63, "--big-frame-mib must be in 1..63 (the topics take 64 MiB"
                + " records), got " + bigFrameMiB);
    }

    /** Frames per second over all streams: the given rate, or the one that publishes in {@code publishSeconds}. */
    public double effectiveRate() {
        return rate > 0 ? rate : streams * (double) frames / publishSeconds;
    }

    /** The settings as shown in the report. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", scenario.cliName());
        m.put("delivery", delivery.configValue());
        m.put("streams", streams);
        m.put("frames per stream", frames);
        if (scenario == Scenario.KILL) {
            m.put("kills", kills);
            m.put("max kill delay", maxKillDelay.toMillis() / 1000.0 + " s");
        }
        if (scenario == Scenario.BAD_INPUT) {
            m.put("wrong-shape frame", bigFrameMiB + " MiB" + (bigFrames > 1 ? ", sent " + bigFrames + " times" : ""));
            m.put("RSS limit", rssLimitMiB + " MiB");
        }
        if (scenario == Scenario.BROKER_OUTAGE) {
            m.put("outage", outage.toMillis() / 1000.0 + " s");
        }
        if (priorityStreams > 0) {
            m.put("high-priority streams", priorityStreams + " on the reserved partition, served by the priority lane"
                    + " (odecast.kafka.priority-partitions = 1)");
        }
        if (instances > 1) {
            m.put("instances", instances + " in one consumer group (the partner is never disturbed)");
        }
        m.put("seed", seed);
        m.put("rate", String.format(Locale.ROOT, "%.1f frames/s", effectiveRate()));
        m.put("service heap", serviceHeap);
        m.put("RSS kill cap", rssKillMiB + " MiB");
        m.put("models", modelsDir.toString());
        return m;
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static boolean heap(String s) {
        return s != null && s.matches("\\d+[kKmMgG]");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
