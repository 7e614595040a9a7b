package io.odecast.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code odecast} command line: one subcommand per job; this package only wires. */
@Command(name = "odecast", mixinStandardHelpOptions = true, version = "odecast 0.1.0",
        description = "Continuous-time forecasting and gap filling of gridded frame streams (Vid-ODE on Kafka).",
        subcommands = {DemoCommand.class, ServeCommand.class, KafkaCommand.class, PublishCommand.class, RenderCommand.class,
            RepartitionCommand.class, DeadLettersCommand.class,
            ModelsCommand.class, TrainerCommand.class,
            io.odecast.chaos.ChaosCommand.class,
            TrainCommand.class, EvaluateCommand.class, BenchCommand.class})
public final class Odecast implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    public static void main(String[] args) {
        // JavaCV's notes ("avformat_open_input rejected some options") go through the log, not to the terminal.
        if (System.getProperty("org.bytedeco.javacpp.logger") == null) {
            System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line that is running, e.g. "odecast train --dataset storm ...", to record in what it writes. */
    static String commandText(CommandLine.Model.CommandSpec spec) {
        return "odecast " + String.join(" ", spec.root().commandLine().getParseResult().originalArgs());
    }

    /** The configured command line (shared by main and the tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Odecast());
        // Every subcommand, present and future, answers --help and --version without declaring them.
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().mixinStandardHelpOptions(true).version(cl.getCommandSpec().version());
        }
        cl.setParameterExceptionHandler(new UsageErrorHandler());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("odecast " + commandLine.getCommandName() + ": " + ex.getMessage());
            return 1;
        });
        return cl;
    }
}
