package io.odecast.cli;

import io.odecast.data.FrameSequence;
import io.odecast.publish.FramePublisher;
import io.odecast.publish.PublishSettings;
import io.odecast.publish.PublishSummary;
import io.odecast.publish.Timing;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code odecast publish}: NetCDF/GRIB variables, a video or images to the frames topic, optionally made irregular. */
@Command(name = "publish",
        description = "Publish NetCDF/GRIB variables, a video or images to Kafka as frames of one stream.")
final class PublishCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, host:port[,...].")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "odecast.frames", description = "Frames topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--stream-id", description = "Stream id and record key (default: the source's file name).")
    String streamId;

    @Mixin
    DataSourceOptions data;

    @Option(names = "--timing", defaultValue = "fast",
            description = "fast, real (sleep the real gaps) or scaled:N (gaps divided by N) (default ${DEFAULT-VALUE}).")
    String timing;

    @Option(names = "--dropout", defaultValue = "0",
            description = "Probability of leaving out each frame after the first (default ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the dropout draws (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rebase-now", description = "Move event times so that the first frame is now; gaps are kept.")
    boolean rebaseNow;

    @Option(names = "--time-shift", description = "Add this to every event time (PT24H or 24h; negative: -PT1H).")
    String timeShift;

    @Option(names = "--send-partial", description = "Send frames where a whole channel is missing (default: skip them).")
    boolean sendPartial;

    @Option(names = "--priority-partitions", defaultValue = "0", paramLabel = "N",
            description = "The service's odecast.kafka.priority-partitions: the last N partitions are reserved for"
                    + " high-priority streams, the others take the rest (default ${DEFAULT-VALUE}: Kafka's default"
                    + " partitioning).")
    int priorityPartitions;

    @Option(names = "--priority", defaultValue = "normal", paramLabel = "normal|high",
            description = "The stream's priority, as its stream rule says; with --priority-partitions, high puts its"
                    + " frames on the reserved partitions (default ${DEFAULT-VALUE}).")
    String priority;

    @Override
    public Integer call() throws Exception {
        if (rebaseNow && timeShift != null) {
            throw usage("--rebase-now and --time-shift exclude each other");
        }
        Timing pacing;
        try {
            pacing = Timing.parse(timing);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (!priority.equals("normal") && !priority.equals("high")) {
            throw usage("--priority must be normal or high, got '" + priority + "'");
        }
        if (priorityPartitions < 0) {
            throw usage("--priority-partitions must be 0 or more, got " + priorityPartitions);
        }
        if (priority.equals("high") && priorityPartitions == 0) {
            throw usage("--priority high needs --priority-partitions N (the service's odecast.kafka.priority-partitions)");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw usage("--dropout must be a probability in [0, 1), got " + dropout);
        }
        Duration shift = timeShift == null ? Duration.ZERO : duration("--time-shift", timeShift);
        DataSourceOptions.Loaded loaded = data.read(null);
        FrameSequence frames = loaded.frames();
        String id = streamId != null ? streamId : frames.name();
        PublishSettings settings = new PublishSettings(topic, id, pacing, dropout, seed, shift,
                rebaseNow ? Instant.now() : null, sendPartial, Map.of("source", loaded.description()));
        PublishSummary summary;
        java.util.Properties producer = FramePublisher.producerProperties(bootstrapServers);
        if (priorityPartitions > 0) {
            producer.putAll(io.odecast.kafka.FramePartitioner.producerConfig(priorityPartitions, priority.equals("high")
                    ? List.of("regex:" + java.util.regex.Pattern.quote(id)) : List.of()));
        }
        try (FramePublisher publisher = FramePublisher.connect(producer)) {
            summary = publisher.publish(frames, settings);
        }
        spec.commandLine().getOut().println("published stream " + id + " to " + topic + ": " + summary);
        return 0;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private Duration duration(String option, String text) {
        try {
            return parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw usage(option + " '" + text + "' is not a duration such as PT6H, 6h, 30m, 10s or 100ms");
        }
    }

    /** ISO-8601 ({@code PT6H}, {@code -PT1H}) or a number with a unit: {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}. */
    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.startsWith("P") || t.startsWith("-P")) {
            try {
                return Duration.parse(t);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not a duration: " + text, e);
            }
        }
        Matcher m = Pattern.compile("(-?\\d+)(ms|s|m|h|d)").matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
