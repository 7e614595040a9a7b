package io.odecast.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Turns a command-line mistake into one line on stderr and exit status 2, e.g.
 * {@code odecast train: Unknown option: '--step' (see odecast train --help)}.
 *
 * <p>picocli reports missing required options before unknown ones, so {@code train --stpes 10} alone would
 * complain about {@code --dataset}; an unknown option is the likelier cause, so it is named first.
 */
final class UsageErrorHandler implements CommandLine.IParameterExceptionHandler {

    /** Exit status of a usage error. */
    static final int USAGE = 2;

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        String qualified = command.getCommandSpec().qualifiedName();
        String message = ex.getMessage();
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched) {
            message = unmatched.getUnmatched().stream().filter(a -> a.startsWith("-")).findFirst()
                    .map(o -> "Unknown option: '" + o + "'" + suggestion(unmatched)).orElse(message);
        } else if (ex instanceof CommandLine.MissingParameterException) {
            message = unknownOption(command.getCommandSpec(), args).map(o -> "Unknown option: '" + o + "'")
                    .orElse(message);
        }
        command.getErr().println(qualified + ": " + message.strip().replaceAll("\\s*\\R\\s*", " ")
                + " (see " + qualified + " --help)");
        return USAGE;
    }

    private static String suggestion(CommandLine.UnmatchedArgumentException ex) {
        List<String> similar = ex.getSuggestions();
        return similar.isEmpty() ? "" : "; did you mean " + String.join(" or ", similar.subList(0, Math.min(3, similar.size()))) + "?";
    }

    /** The first argument after the command's name that looks like an option and is not one of its options. */
    private static Optional<String> unknownOption(CommandSpec spec, String[] args) {
        List<String> list = Arrays.asList(args);
        int start = spec.parent() == null ? 0 : list.indexOf(spec.name()) + 1;
        for (int i = start; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.matches("-\\d.*")) {
                continue;
            }
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            OptionSpec option = spec.findOption(name);
            if (option == null) {
                return Optional.of(name);
            }
            if (!arg.contains("=") && option.arity().max() > 0) {
                i++;
            }
        }
        return Optional.empty();
    }
}
