package io.odecast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Choosing among training runs by validation: the validation windows must not depend on {@code --seed} (else two
 * seeds are scored on different draws of dropped inputs); a run of no steps from {@code --init-from} scores its
 * start (TrainerTest shows that a fine-tune keeps its start unless a step validates better).
 */
class TrainValidationTest {

    private static final String[] TINY = {"--dataset", "balls", "--task", "extrapolate", "--inputs", "3", "--length",
        "6", "--batch", "2", "--init-dim", "4", "--n-downs", "1", "--n-layers", "1", "--lambda-adv", "0",
        "--train-frames", "40", "--validation-frames", "12", "--validate-every", "4", "--dropout", "0.5"};

    @TempDir
    Path dir;

    private static void run(String... args) {
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute(args);
        assertEquals(0, code, String.join(" ", args) + ": " + err);
    }

    private static String[] with(String... more) {
        return Stream.concat(Stream.of(TINY), Stream.of(more)).toArray(String[]::new);
    }

    private JsonNode card(String name) throws IOException {
        return new ObjectMapper().readTree(dir.resolve(name).resolve("model.json").toFile());
    }

    private String[] train(String name, String... more) {
        return Stream.concat(Stream.of("train", "--name", name, "--models-dir", dir.toString()),
                Stream.of(with(more))).toArray(String[]::new);
    }

    @Test
    void runsWithDifferentSeedsAreScoredOnTheSameValidationWindows() throws IOException {
        run(train("parent", "--steps", "4", "--seed", "1"));
        String parent = dir.resolve("parent").toString();
        // No steps: each run only scores its start, the same weights, under two seeds.
        run(train("seed2", "--init-from", parent, "--steps", "0", "--seed", "2"));
        run(train("seed3", "--init-from", parent, "--steps", "0", "--seed", "3"));
        JsonNode a = card("seed2").path("card").path("training");
        JsonNode b = card("seed3").path("card").path("training");
        assertTrue(a.path("validation_l1").isNumber(), a.toString());
        assertEquals(a.path("validation_l1").asDouble(), b.path("validation_l1").asDouble(), 0.0,
                "the same weights on the same windows");
        assertEquals(0, a.path("kept_step").asInt());
        assertEquals(card("parent").path("weights").asText(), card("seed2").path("weights").asText(),
                "scoring the start keeps the start's weights");
        assertTrue(a.path("validation_windows").asText().contains("seed 1000"), a.toString());
    }

    @Test
    void aResumedRunKeepsItsCheckpointsNormalisationWhateverFramesItIsGiven() throws IOException {
        run(train("r", "--steps", "2", "--seed", "1"));
        JsonNode first = card("r").path("card");
        assertEquals("fitted on frames 0..28", first.path("training").path("normalization").asText(),
                "a new model's statistics come from the frames it fits on, not its validation frames");
        // Resumed on more frames: before, the normalisation was fitted again on them while the weights continued.
        String[] more = train("r", "--steps", "4", "--seed", "1", "--resume");
        for (int i = 0; i < more.length - 1; i++) {
            if (more[i].equals("--train-frames")) {
                more[i + 1] = "64";
            }
        }
        run(more);
        JsonNode resumed = card("r").path("card");
        assertEquals(first.path("mean").toString(), resumed.path("mean").toString());
        assertEquals(first.path("std").toString(), resumed.path("std").toString());
        assertEquals("the resumed checkpoint's", resumed.path("training").path("normalization").asText());
    }

    @Test
    void noValidationWindowsIsAUsageError() {
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute(train("x", "--steps", "1", "--validation-windows", "0"));
        assertEquals(2, code, err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("--validation-windows"), err.toString());
    }
}
