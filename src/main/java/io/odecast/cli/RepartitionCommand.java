package io.odecast.cli;

import io.odecast.stream.ServiceSettings;
import io.odecast.stream.StateRepartitioner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code odecast repartition}: more partitions for the service's topics, every stream's state taken along. */
@Command(name = "repartition", description = {
        "Give the frames, forecasts, regular-frames, state and dead-letter topics more partitions and move every"
                + " stream's snapshot to the state partition of its new frames partition, so that streams keep their"
                + " state when their keys hash elsewhere.",
        "Stop the producers, let the service process every frame, stop every instance, run this, then start the"
                + " service with odecast.kafka.partitions set to the new count, and restart the producers (a producer"
                + " kept running sends to the old partitions until its next metadata refresh, and those frames would"
                + " start afresh there). Use the service's own configuration: the new partitions follow its"
                + " priority-partitions and its rules' priority. Refuses while the consumer group has members, frames"
                + " are unprocessed or after an unclean stop (--dry-run shows the plan and what is in the way); safe"
                + " to run again after a failure."})
final class RepartitionCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServiceConfigOptions configuration;

    @Option(names = "--partitions", required = true, paramLabel = "N",
            description = "Partitions each topic should have (at least its current count).")
    int partitions;

    @Option(names = "--dry-run", description = "Check and print the plan, change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        if (partitions < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--partitions must be at least 1, got " + partitions);
        }
        ServiceSettings settings = ServiceSettings.fromConfig(configuration.load());
        StateRepartitioner.Result result = new StateRepartitioner(settings).run(partitions, dryRun);
        System.out.println((dryRun ? "plan: " : "done: ") + result);
        return 0;
    }
}
