package io.odecast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's own files, given only by path and variable names: train a tiny forecaster for a few steps and
 * evaluate it, with the time step read from the file.
 */
class OwnDataTrainEvaluateTest {

    private static final String GRIB = "tests/resources/fixtures/grib/nam212-hourly.grb2";
    private static final String[] TINY = {"--task", "extrapolate", "--inputs", "2", "--length", "4", "--steps", "3",
        "--batch", "2", "--init-dim", "4", "--n-downs", "1", "--n-layers", "1", "--lambda-adv", "0"};

    @TempDir
    Path dir;

    private static int run(String... args) {
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute(args);
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return code;
    }

    private static String[] concat(String[]... parts) {
        return Stream.of(parts).flatMap(Stream::of).toArray(String[]::new);
    }

    private JsonNode trainAndEvaluate(String name, String[] data, int trainFrames) throws Exception {
        run(concat(new String[] {"train", "--name", name, "--models-dir", dir.toString(), "--train-frames",
            Integer.toString(trainFrames)}, TINY, data));
        Path out = dir.resolve("eval-" + name);
        run(concat(new String[] {"evaluate", "--model", dir.resolve(name).toString(), "--leads", "2", "--out",
            out.toString()}, data));
        JsonNode rows = new ObjectMapper().readTree(out.resolve("report.json").toFile()).path("rows");
        Set<String> systems = new HashSet<>();
        rows.forEach(r -> systems.add(r.path("system").asText()));
        assertTrue(systems.containsAll(List.of("model", "persistence", "linear")), systems.toString());
        return new ObjectMapper().readTree(dir.resolve(name).resolve("model.json").toFile()).path("card");
    }

    @Test
    void aGrib2SequenceByVariableNamesWithItsHourlyStep() throws Exception {
        String[] data = {"--grib", GRIB + ":Temperature_isobaric:t", "--grib", GRIB + ":Geopotential_height_isobaric:gh",
            "--level-value", "500", "--crop-cells", "16:48:24:72", "--size", "24x16"};
        JsonNode card = trainAndEvaluate("nam", data, 7);
        assertEquals("PT1H", card.path("timeUnit").asText(), "the step of the GRIB reference + forecast times");
        assertEquals(List.of("t", "gh"), List.of(card.path("channels").get(0).asText(),
                card.path("channels").get(1).asText()));
        assertTrue(card.path("training").path("data").asText().contains("nam212-hourly.grb2"));
    }

    @Test
    void aNetcdfFileByPathAndVariableWithTheStepOfItsCfTimeAxis() throws Exception {
        Path hgt = Files.isRegularFile(Path.of("data/hgt.nc")) ? Path.of("data/hgt.nc")
                : Path.of("/usr/share/ncarg/data/cdf/hgt.nc");
        assumeTrue(Files.isRegularFile(hgt), "hgt.nc absent: run scripts/fetch-data.sh (libncarg-data)");
        // 21 January 500 hPa heights, "months since 1958-1-1": a year apart after the first month
        String[] data = {"--netcdf", hgt + ":HGT", "--crop", "20:70:-140:-50", "--size", "16x8"};
        JsonNode card = trainAndEvaluate("hgt", data, 15);
        Duration unit = Duration.parse(card.path("timeUnit").asText());
        assertEquals(365.2422, unit.toSeconds() / 86400.0, 1e-3, "12 udunits months: " + unit);
        assertEquals(15, card.path("training").path("test_frames").get(0).asInt());
    }

    @Test
    void evaluatingOnDataOfAnotherSizeNamesTheTrainingCommand() throws Exception {
        String[] data = {"--grib", GRIB + ":Temperature_isobaric:t", "--size", "12x8"};
        run(concat(new String[] {"train", "--name", "small", "--models-dir", dir.toString(), "--train-frames", "7"},
                TINY, data));
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                .execute("evaluate", "--model", dir.resolve("small").toString(), "--out", dir.resolve("e").toString(),
                        "--grib", GRIB + ":Temperature_isobaric:t", "--size", "16x8");
        assertEquals(2, code, "a usage error, found before the data is read");
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("--size 16x8 differs from the 12x8") && err.toString().contains("--size 12x8"),
                err.toString());
    }
}
