package io.odecast.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code odecast chaos}: the reliability harness. Starts a broker and the service as child JVMs, publishes
 * regular storm streams, disturbs the processes as the scenario says, then verifies the forecasts against an
 * uninterrupted run. Exit status 0 when the scenario's criteria hold, 1 when one does not (or the run failed),
 * 2 for bad arguments.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = {"Reliability harness: run the broker and the service as child JVMs, publish storm streams,"
            + " kill / stop / starve them as the scenario says, and verify every forecast (read_committed) against"
            + " an uninterrupted run computed in process. Writes report.md and report.json under --out.",
            "Exit status: 0 when the scenario's criteria hold, 1 when they do not, 2 for bad arguments."})
public final class ChaosCommand implements Callable<Integer> {
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--scenario", defaultValue = "kill", paramLabel = "NAME",
            description = "kill, sigterm, broker-outage or bad-input (default ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--delivery", defaultValue = "exactly-once", paramLabel = "MODE",
            description = "exactly-once or at-least-once: the service's odecast.delivery and the criteria"
                    + " (default ${DEFAULT-VALUE}).")
    String delivery;

    @Option(names = "--streams", defaultValue = "20", description = "Streams storm/chaos-NN (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--frames", defaultValue = "64", description = "Frames per stream, 6 h apart (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--kills", defaultValue = "10",
            description = "Scenario kill: SIGKILL the service at least this many times (default ${DEFAULT-VALUE}).")
    int kills;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the kill moments (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Output folder (default target/chaos/<scenario>-<delivery>).")
    Path out;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "FPS",
            description = "Frames per second over all streams; 0 publishes in --publish-seconds (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--publish-seconds", defaultValue = "0",
            description = "With --rate 0: how long publishing takes (0, the default: 60 s, and for --scenario kill "
                    + PUBLISH_SECONDS_PER_KILL + " s per kill, so that every kill lands while frames flow: a"
                    + " restarted service needs 6-13 s to be ready and working).")
    double publishSeconds;

    /** Publishing time per requested kill by default: a restart's time to working, and some work before the next. */
    static final int PUBLISH_SECONDS_PER_KILL = 16;

    @Option(names = "--outage", defaultValue = "30s",
            description = "Scenario broker-outage: how long the broker stays down (default ${DEFAULT-VALUE}).")
    String outage;

    @Option(names = "--max-kill-delay", defaultValue = "8s",
            description = "Scenario kill: the longest random wait after a service's first forecast before it is"
                    + " killed (default ${DEFAULT-VALUE}).")
    String maxKillDelay;

    @Option(names = "--quiet", defaultValue = "90s",
            description = "Output counts as stopped after this long without a new forecast (default ${DEFAULT-VALUE}).")
    String quiet;

    @Option(names = "--drain-timeout", defaultValue = "600s",
            description = "The longest wait for the output to stop after publishing (default ${DEFAULT-VALUE}).")
    String drainTimeout;

    @Option(names = "--service-heap", defaultValue = "2g", description = "-Xmx of the service JVM (default ${DEFAULT-VALUE}).")
    String serviceHeap;

    @Option(names = "--broker-heap", defaultValue = "1g", description = "-Xmx of the broker JVM (default ${DEFAULT-VALUE}).")
    String brokerHeap;

    @Option(names = "--broker-port", defaultValue = "0",
            description = "Broker client port; 0 picks a free one (default ${DEFAULT-VALUE}).")
    int brokerPort;

    @Option(names = "--models-dir", defaultValue = "models",
            description = "Folder holding storm-forecast/ (default ${DEFAULT-VALUE}).")
    Path modelsDir;

    @Option(names = "--data", defaultValue = "storm",
            description = "storm (real analyses from data/storm, synthetic when missing) or synthetic (default ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--rss-limit-mib", defaultValue = "3072",
            description = "Scenario bad-input: bound of the service's peak RSS (default ${DEFAULT-VALUE}).")
    long rssLimitMiB;

    @Option(names = "--rss-kill-mib", defaultValue = "6144",
            description = "Kill a service whose RSS exceeds this, as the OOM killer would, to protect a shared"
                    + " machine; counts as an exit of its own (default ${DEFAULT-VALUE}).")
    long rssKillMiB;

    @Option(names = "--big-frame-mib", defaultValue = "60",
            description = "Scenario bad-input: data size of the wrong-shape frame (default ${DEFAULT-VALUE}).")
    int bigFrameMiB;

    @Option(names = "--big-frames", defaultValue = "1",
            description = "Scenario bad-input: how many times the wrong-shape frame is sent in a row (default ${DEFAULT-VALUE}).")
    int bigFrames;

    @Option(names = "--instances", defaultValue = "1",
            description = "Service instances in the consumer group: 2 adds a partner that is never disturbed, so"
                    + " partitions move between instances as the other is killed or stopped (default ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--priority-streams", defaultValue = "0", paramLabel = "N",
            description = "The first N streams have priority = high, on the last partition reserved for them and served"
                    + " by the priority lane (odecast.kafka.priority-partitions = 1) (default ${DEFAULT-VALUE}).")
    int priorityStreams;

    @Option(names = "--keep-broker-data", description = "Keep the broker's storage (<out>/kafka) after the run.")
    boolean keepBrokerData;

    @Override
    public Integer call() throws Exception {
        ChaosSettings settings;
        try {
            Scenario sc = Scenario.parse(scenario);
            Delivery d = Delivery.parse(delivery);
            Path dir = out != null ? out : Path.of("target", "chaos", sc.cliName() + "-" + d.configValue());
            double publishing = publishSeconds > 0 ? publishSeconds
                    : sc == Scenario.KILL ? Math.max(60, PUBLISH_SECONDS_PER_KILL * kills) : 60;
            settings = new ChaosSettings(sc, d, streams, frames, kills, seed, dir, rate, publishing,
                    duration("--outage", outage), duration("--max-kill-delay", maxKillDelay), duration("--quiet", quiet),
                    duration("--drain-timeout", drainTimeout), serviceHeap, brokerHeap, brokerPort,
                    modelsDir.toAbsolutePath().normalize(), data, rssLimitMiB, keepBrokerData, bigFrameMiB,
                    rssKillMiB, instances, bigFrames, priorityStreams);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!java.nio.file.Files.isRegularFile(settings.modelsDir().resolve(ServiceConfig.MODEL).resolve("model.json"))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no model " + ServiceConfig.MODEL + " in "
                    + settings.modelsDir() + " (--models-dir)");
        }
        ChaosReport report = new ChaosRun(settings, spec.commandLine().getErr()).run();
        spec.commandLine().getOut().print(report.toTable());
        spec.commandLine().getOut().println("  report: " + settings.out().toAbsolutePath().normalize()
                .resolve("report.md"));
        spec.commandLine().getOut().flush();
        return report.passed() ? 0 : 1;
    }

    /** Parses 30s, 500ms, 2m, 1h, 1.5s or an ISO-8601 duration (PT30S). */
    static Duration duration(String option, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE_DURATION.matcher(t);
        if (m.matches()) {
            double value = Double.parseDouble(m.group(1));
            double millis = switch (m.group(2)) {
                case "ms" -> value;
                case "s" -> value * 1e3;
                case "m" -> value * 60e3;
                default -> value * 3600e3;
            };
            return Duration.ofMillis(Math.round(millis));
        }
        try {
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be a duration like 30s, 500ms, 2m or PT30S, got '"
                    + text + "'");
        }
    }
}
