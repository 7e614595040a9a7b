package io.odecast.cli;

import io.odecast.kafka.DeadLetterReason;
import io.odecast.stream.DeadLetterReplay;
import io.odecast.stream.ServiceSettings;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code odecast dead-letters}: what was rejected and why, and the rejected frames published again once mended. */
@Command(name = "dead-letters", description = {
        "Summarise the dead-letter topic (count by reason and by stream), and with --replay publish the matching"
                + " rejected frames to the frames topic again, in their original order with their original"
                + " timestamp, keyed by their stream id, once the cause is mended (e.g. a stream rule added for"
                + " unknown_stream).",
        "A letter holding a truncated value is replayed from its original record while that is still on its topic;"
                + " the bytes must match the letter's SHA-256. A frame sent without a key or with a wrong one"
                + " (key_mismatch) goes out keyed by its stream id.",
        "Letters whose own bytes are the cause (malformed, all_invalid, and any whose bytes fail the frame's own"
                + " checks, such as a wrong_shape frame whose data does not fit its declared shape) are counted"
                + " apart and not sent unless --reason names their reason.",
        "Replaying twice is harmless: the second copies arrive out of order and are dead-lettered as such, and their"
                + " letters then mark those frames as behind their stream (never published again). Letters of one"
                + " frame count once however often it was replayed; letters of other topics are summarised, never"
                + " published. Each stream's frames go out in event-time order."})
final class DeadLettersCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ServiceConfigOptions configuration;

    @Option(names = "--reason", split = ",", paramLabel = "REASON",
            description = "Only these reasons (comma-separated, e.g. unknown_stream,out_of_range); default: all."
                    + " Naming malformed or all_invalid (or a reason whose frames fail their own checks) sends those"
                    + " too.")
    List<String> reasons = List.of();

    @Option(names = "--stream", paramLabel = "PATTERN",
            description = "Only streams matching this pattern (globs or regex:..., as in stream rules).")
    String stream;

    @Option(names = "--replay", description = "Publish the matching frames again (default: only the summary).")
    boolean replay;

    @Override
    public Integer call() throws Exception {
        Set<DeadLetterReason> wanted = EnumSet.noneOf(DeadLetterReason.class);
        for (String r : reasons) {
            try {
                wanted.add(DeadLetterReason.valueOf(r.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--reason " + r + " is not a reason; use "
                        + String.join(", ", EnumSet.allOf(DeadLetterReason.class).stream()
                        .map(x -> x.name().toLowerCase(Locale.ROOT)).toList()));
            }
        }
        ServiceSettings settings = ServiceSettings.fromConfig(configuration.load());
        DeadLetterReplay.Result result = new DeadLetterReplay(settings)
                .run(new DeadLetterReplay.Filter(wanted, stream), replay);
        System.out.println(result);
        return 0;
    }
}
