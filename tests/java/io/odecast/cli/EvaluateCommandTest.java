package io.odecast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code odecast evaluate} on the shipped storm forecaster and the real held-out storm frames. */
class EvaluateCommandTest {

    @TempDir
    Path out;

    @Test
    void evaluatingTheShippedForecasterWritesModelAndBaselineRows() throws Exception {
        Path model = Path.of("models/storm-forecast");
        assertTrue(Files.isRegularFile(model.resolve("model.json")), "the storm forecaster is shipped in models/");
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute("evaluate", "--model", model.toString(), "--dataset", "storm", "--data",
                        "tests/resources/fixtures/storm", "--out", out.toString());
        assertEquals(0, code, err.toString());
        JsonNode rows = new ObjectMapper().readTree(out.resolve("report.json").toFile()).path("rows");
        Set<String> systems = new HashSet<>();
        Set<String> leads = new HashSet<>();
        for (JsonNode r : rows) {
            systems.add(r.path("system").asText());
            leads.add(r.path("lead").asText());
            assertTrue(r.path("metrics").has("rmse"), r.toString());
        }
        assertTrue(io.odecast.model.Checkpoint.readMetadata(model).card().blend() != null,
                "the shipped models are calibrated (scripts/evaluate-models.sh)");
        // the card's blend is scored beside the model
        assertEquals(Set.of("model", "persistence", "linear", "flow", "blend"), systems);
        assertTrue(leads.containsAll(Set.of("+6h", "+12h", "+18h", "+24h")), leads.toString());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("### RMSE, in each channel's units (lower is better)\n\n"
                + "| lead | channel | model | persistence | linear | flow |"), md);
        assertTrue(md.contains("| +6h | p (hPa) |"), "units beside the channel: " + md);
        assertTrue(md.contains("- test frames: ["), md);
        try (var pngs = Files.list(out)) {
            assertTrue(pngs.anyMatch(p -> p.toString().endsWith(".png")), "a PNG strip is written");
        }
    }

    @Test
    void updateCardRecordsTheResultsAndTheCommandThatProducedThem() throws Exception {
        Path model = Files.createDirectories(out.resolve("model"));
        for (String f : new String[] {"model.json", "parameters.bin"}) {
            Files.copy(Path.of("models/storm-forecast").resolve(f), model.resolve(f));
        }
        String[] args = {"evaluate", "--model", model.toString(), "--dataset", "storm", "--data",
            "tests/resources/fixtures/storm", "--out", out.resolve("report").toString(), "--update-card"};
        assertEquals(0, Odecast.commandLine().setOut(new PrintWriter(new StringWriter())).execute(args));
        JsonNode evaluation = new ObjectMapper().readTree(model.resolve("model.json").toFile()).path("card")
                .path("evaluation");
        assertEquals("odecast " + String.join(" ", args), evaluation.path("command").asText());
        assertTrue(evaluation.path("rows").size() > 0);
    }

    @Test
    void calibrateFitsBlendWeightsOnTheValidationFramesScoresTheBlendAndRecordsItInTheCard() throws Exception {
        Path model = Files.createDirectories(out.resolve("model"));
        for (String f : new String[] {"model.json", "parameters.bin"}) {
            Files.copy(Path.of("models/storm-forecast").resolve(f), model.resolve(f));
        }
        io.odecast.model.Checkpoint.writeCard(model, io.odecast.model.Checkpoint.readMetadata(model).card()
                .withBlend(null));
        String[] args = {"evaluate", "--model", model.toString(), "--dataset", "storm", "--data",
            "tests/resources/fixtures/storm", "--out", out.resolve("report").toString(), "--strips", "0",
            "--calibrate", "--update-card"};
        StringWriter err = new StringWriter();
        assertEquals(0, Odecast.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute(args), err.toString());
        JsonNode card = new ObjectMapper().readTree(model.resolve("model.json").toFile()).path("card");
        JsonNode blend = card.path("blend");
        assertEquals("flow", blend.path("baseline").asText());
        assertEquals(card.path("training").path("validation_frames"), blend.path("fit").path("frames"),
                "fitted on the validation frames the card records");
        for (int k = 1; k <= 4; k++) {
            JsonNode w = blend.path("weights").path("lead " + k);
            assertEquals(3, w.size(), blend.toString());
            w.forEach(x -> assertTrue(x.asDouble() >= 0 && x.asDouble() <= 1, w.toString()));
        }
        JsonNode rows = new ObjectMapper().readTree(out.resolve("report/report.json").toFile()).path("rows");
        long blendRows = 0;
        for (JsonNode r : rows) {
            blendRows += "blend".equals(r.path("system").asText()) ? 1 : 0;
        }
        assertEquals(15, blendRows, "4 leads and all, 3 channels each");
        String md = Files.readString(out.resolve("report/report.md"));
        assertTrue(md.contains("| flow | blend |"), md);
        // the weights a person reads: a table per lead and channel, the same numbers as the card, no object dumps
        assertTrue(md.contains("### Blend weights\n\nServed = flow + w_model (model - flow), per lead and channel."), md);
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| lead 1 | u | %.3f |",
                blend.path("weights").path("lead 1").get(0).asDouble())), md);
        assertFalse(md.contains("[F@") || md.contains("{fit="), md);
        assertTrue(md.contains("- blend: the model blended into flow extrapolation; weights fitted on frames "), md);
    }

    @Test
    void calibrateWithoutValidationFramesInTheCardIsAOneLineError() throws Exception {
        Path model = Files.createDirectories(out.resolve("model"));
        for (String f : new String[] {"model.json", "parameters.bin"}) {
            Files.copy(Path.of("models/storm-forecast").resolve(f), model.resolve(f));
        }
        var card = io.odecast.model.Checkpoint.readMetadata(model).card();
        java.util.Map<String, Object> training = new java.util.LinkedHashMap<>(card.training());
        training.remove("validation_frames");
        io.odecast.model.Checkpoint.writeCard(model, card.withTraining(training));
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute("evaluate", "--model", model.toString(), "--dataset", "storm", "--data",
                        "tests/resources/fixtures/storm", "--out", out.resolve("r").toString(), "--calibrate");
        assertTrue(code != 0);
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("no validation_frames"), err.toString());
    }

    @Test
    void anUnknownDatasetIsAOneLineErrorWithNonZeroExit() {
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err)).execute("evaluate", "--model",
                "models/storm-forecast", "--dataset", "nope", "--out", out.toString());
        assertTrue(code != 0);
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("unknown dataset 'nope'"), err.toString());
    }
}
