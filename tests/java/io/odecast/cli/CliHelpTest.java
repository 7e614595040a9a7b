package io.odecast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Every registered subcommand answers --help, and a bad option is one line naming it, with exit status 2. */
class CliHelpTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static List<String> subcommands() {
        return List.copyOf(Odecast.commandLine().getSubcommands().keySet());
    }

    @Test
    void everyDocumentedCommandIsRegistered() {
        assertTrue(subcommands().containsAll(List.of("demo", "serve", "kafka", "publish", "render", "train",
                "evaluate", "bench")), subcommands().toString());
    }

    @TestFactory
    Stream<DynamicTest> helpExitsZeroAndListsEveryOption() {
        return subcommands().stream().map(name -> DynamicTest.dynamicTest(name + " --help", () -> {
            Run r = run(name, "--help");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("Usage: odecast " + name), r.out());
            CommandLine sub = Odecast.commandLine().getSubcommands().get(name);
            for (OptionSpec option : sub.getCommandSpec().options()) {
                assertTrue(r.out().contains(option.longestName()), name + " --help lacks " + option.longestName());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> anUnknownOptionIsOneLineNamingItWithExitTwo() {
        return subcommands().stream().map(name -> DynamicTest.dynamicTest(name + " --no-such-option", () -> {
            Run r = run(name, "--no-such-option", "3");
            assertEquals(2, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("odecast " + name + ": Unknown option: '--no-such-option'"), r.err());
        }));
    }

    @Test
    void aMisspeltOptionIsNamedEvenWhenRequiredOptionsAreMissing() {
        Run r = run("train", "--dataset", "balls", "--stpes", "10");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Unknown option: '--stpes'"), r.err());
    }

    @Test
    void aValueOfTheWrongTypeNamesTheOption() {
        Run r = run("kafka", "--port", "many");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--port"), r.err());
    }

    @Test
    void deadLettersNamesAnUnknownReasonAndTheValidOnes() {
        Run r = run("dead-letters", "--reason", "unknown_stream,nope");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--reason nope is not a reason") && r.err().contains("out_of_range"), r.err());
    }

    @Test
    void repartitionNeedsAPositivePartitionCountAndSaysSoInOneLine() {
        Run missing = run("repartition");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--partitions"), missing.err());
        Run zero = run("repartition", "--partitions", "0");
        assertEquals(2, zero.code());
        assertEquals(1, zero.err().strip().lines().count(), zero.err());
        assertTrue(zero.err().contains("--partitions must be at least 1"), zero.err());
    }

    @Test
    void aPrecisionOtherThanFloat32OrBf16IsNamedAndBf16NeverWritesTheCard() {
        Run bad = run("bench", "--precision", "half");
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("--precision") && bad.err().contains("float32 or bf16"), bad.err());
        Run card = run("evaluate", "--model", "models/storm-forecast", "--dataset", "storm", "--out", "out/never",
                "--precision", "bf16", "--update-card");
        assertEquals(2, card.code());
        assertEquals(1, card.err().strip().lines().count(), card.err());
        assertTrue(card.err().contains("drop --update-card"), card.err());
    }

    @Test
    void aHighPriorityPublishNeedsTheReservedPartitionsAndAPriorityIsNormalOrHigh() {
        Run r = run("publish", "--bootstrap-servers", "127.0.0.1:1", "--dataset", "storm", "--priority", "high");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--priority high needs --priority-partitions"), r.err());
        Run bad = run("publish", "--bootstrap-servers", "127.0.0.1:1", "--dataset", "storm", "--priority", "urgent");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--priority must be normal or high"), bad.err());
    }

    @Test
    void absurdSizesAndCountsAreOneLineUsageErrorsNotOutOfMemory() {
        for (String[] args : List.of(
                new String[] {"evaluate", "--model", "models/storm-forecast", "--dataset", "storm", "--size", "50000x50000", "--out", "out/never"},
                new String[] {"evaluate", "--model", "models/storm-forecast", "--dataset", "storm", "--size", "99999999999x1", "--out", "out/never"},
                new String[] {"evaluate", "--model", "models/storm-forecast", "--dataset", "storm", "--size", "72x66", "--out", "out/never"},
                new String[] {"evaluate", "--model", "models/storm-forecast", "--dataset", "storm", "--leads", "-1", "--out", "out/never"},
                new String[] {"evaluate", "--model", "models/storm-forecast", "--dataset", "storm", "--crop-cells", "0.9:3.9:0:4", "--out", "out/never"},
                new String[] {"train", "--dataset", "storm", "--validation-windows", "100000", "--steps", "1", "--models-dir", "out/never"})) {
            Run r = run(args);
            String what = String.join(" ", args);
            assertEquals(2, r.code(), what + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), what + ": " + r.err());
            assertTrue(!r.err().contains("Exception") && !r.err().contains("OutOfMemory"), what + ": " + r.err());
        }
    }

    @Test
    void noSubcommandIsAUsageError() {
        Run r = run();
        assertEquals(2, r.code());
        assertTrue(r.err().contains("a subcommand is required"), r.err());
    }
}
