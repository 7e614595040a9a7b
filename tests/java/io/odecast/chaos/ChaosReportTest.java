package io.odecast.chaos;

import static io.odecast.chaos.ChaosFixtures.expected;
import static io.odecast.chaos.ChaosFixtures.forecast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.odecast.kafka.ForecastMessage;
import io.odecast.proto.Forecast;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosReportTest {

    private static Map<ForecastKey, ExpectedForecast> expectedTwo() {
        Map<ForecastKey, ExpectedForecast> m = new TreeMap<>();
        m.put(expected("a", 0).key(), expected("a", 0));
        m.put(expected("a", 1).key(), expected("a", 1));
        return m;
    }

    private static ChaosFacts facts(Scenario scenario, Delivery delivery, List<ForecastMessage> got, int kills,
                                    List<BadInputs.Outcome> bad, boolean alive, int exits) {
        return facts(scenario, delivery, got, kills, kills, bad, alive, exits);
    }

    /** Whether the facts say the drain reached lag 0 (a test may turn it off). */
    private static boolean drained = true;
    private static int planned = 2;
    private static String unread = "";
    private static int unparsable = 0;

    private static ChaosFacts facts(Scenario scenario, Delivery delivery, List<ForecastMessage> got, int kills,
                                    int workingKills, List<BadInputs.Outcome> bad, boolean alive, int exits) {
        ForecastAccounting.Accounting a = ForecastAccounting.account(got, expectedTwo(), ChaosReport.TOLERANCE);
        List<RestartTimes.Timing> restarts = List.of(
                new RestartTimes.Timing(new RestartTimes.Start("service", "initial", 1_000), 9_000L),
                new RestartTimes.Timing(new RestartTimes.Start("service", "kill", 20_000), 4_000L),
                new RestartTimes.Timing(new RestartTimes.Start("service", "kill", 30_000), 6_000L));
        return new ChaosFacts(scenario, delivery, Map.of("streams", 1), 2, 0, a, restarts, 2, kills, workingKills, 0, 0,
                exits,
                exits > 0 ? List.of("service-2 exited with status 1") : List.of(), alive, 1_048_576,
                Map.of("run", 1_048_576L), 3072 * 1024, bad, Map.of("WRONG_SHAPE", 1), 2048, 61.5,
                Map.of("drain", 5.0), List.of("frames: synthetic"), drained, "group lag 0",
                planned, unread, unparsable, Map.of("service-1 (pid 42)", 1_048_576L));
    }

    @Test
    void exactlyOnceFailsOnADuplicateEvenWhenFlagged() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 0, Forecast.Flag.REPLAYED), forecast("a", 1));
        ChaosReport eos = ChaosReport.judge(facts(Scenario.KILL, Delivery.EXACTLY_ONCE, got, 2, List.of(), true, 0));
        assertFalse(eos.passed());
        assertEquals(List.of("no forecast duplicated"), eos.failed().stream().map(ChaosReport.Criterion::name).toList());
        ChaosReport alo = ChaosReport.judge(facts(Scenario.KILL, Delivery.AT_LEAST_ONCE, got, 2, List.of(), true, 0));
        assertTrue(alo.passed(), alo.toTable());
    }

    @Test
    void atLeastOnceFailsOnAnUnmarkedDuplicateAndALoss() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 0));
        ChaosReport r = ChaosReport.judge(facts(Scenario.SIGTERM, Delivery.AT_LEAST_ONCE, got, 0, List.of(), true, 0));
        assertEquals(List.of("service stopped by SIGTERM mid-stream", "no forecast lost",
                "every duplicate flagged REPLAYED"), r.failed().stream().map(ChaosReport.Criterion::name).toList());
    }

    @Test
    void tooFewKillsAndAnUnexpectedExitFail() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 1));
        ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.EXACTLY_ONCE, got, 1, List.of(), true, 1));
        assertEquals(List.of("service killed 2 times", "service never exited on its own"),
                r.failed().stream().map(ChaosReport.Criterion::name).toList());
    }

    @Test
    void onlyKillsThatLandedMidWorkCount() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 0, Forecast.Flag.REPLAYED),
                forecast("a", 1));
        ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.AT_LEAST_ONCE, got, 5, 1, List.of(), true,
                0));
        assertEquals(List.of("service killed 2 times"), r.failed().stream().map(ChaosReport.Criterion::name).toList());
        assertTrue(r.failed().get(0).detail().startsWith("1 of 5 SIGKILLs landed mid-work"), r.toTable());
    }

    @Test
    void atLeastOnceWithoutAnyDuplicateLeavesTheReplayedCriteriaNotExercised(@TempDir Path dir) throws Exception {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 1));
        ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.AT_LEAST_ONCE, got, 2, List.of(), true, 0));
        assertTrue(r.passed(), r.toTable());
        ChaosReport.Criterion flagged = r.criteria().stream()
                .filter(c -> c.name().equals("every duplicate flagged REPLAYED")).findFirst().orElseThrow();
        assertFalse(flagged.exercised());
        assertTrue(r.toTable().contains("n/a  every duplicate flagged REPLAYED"), r.toTable());
        r.write(dir);
        assertTrue(Files.readString(dir.resolve("report.md")).contains("| every duplicate flagged REPLAYED |"
                + " not exercised |"));
        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        boolean any = false;
        for (JsonNode c : json.get("criteria")) {
            if (c.get("name").asText().equals("every duplicate flagged REPLAYED")) {
                assertFalse(c.get("exercised").asBoolean());
                any = true;
            }
        }
        assertTrue(any);
    }

    @Test
    void aRunStoppedBeforeTheGroupCaughtUpFails() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 1));
        drained = false;
        try {
            ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.EXACTLY_ONCE, got, 2, List.of(), true, 0));
            assertEquals(List.of("every frame processed before the stop"),
                    r.failed().stream().map(ChaosReport.Criterion::name).toList());
        } finally {
            drained = true;
        }
    }

    @Test
    void framesNeverSentAnIncompleteReadAndUnparsableRecordsFail() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 1));
        planned = 3;
        unread = "forecasts";
        unparsable = 2;
        try {
            ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.EXACTLY_ONCE, got, 2, List.of(), true, 0));
            assertEquals(List.of("every frame published", "verifier read the output to its end",
                    "every forecast record parses"), r.failed().stream().map(ChaosReport.Criterion::name).toList());
            assertEquals("2 of 3 acknowledged, 0 failed", r.failed().get(0).detail());
        } finally {
            planned = 2;
            unread = "";
            unparsable = 0;
        }
    }

    @Test
    void badInputNeedsSmallDeadLettersForEveryRecordAndALiveService() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 1));
        List<BadInputs.Outcome> bad = List.of(
                new BadInputs.Outcome("wrong-shape", "(a)", 0, 17, 62_914_941, true, "WRONG_SHAPE", "3x2048x2560",
                        62_915_200, false),
                new BadInputs.Outcome("huge-values", "(c)", 0, 18, 14_000, true, "INTERNAL", "x", 14_300, false),
                new BadInputs.Outcome("key-mismatch", "(d)", 1, 8, 17_000, false, "", "", -1, true),
                new BadInputs.Outcome("year-2100", "(b)", 0, 19, 17_000, true, "OUT_OF_ORDER", "y", 900, false));
        ChaosReport r = ChaosReport.judge(facts(Scenario.BAD_INPUT, Delivery.AT_LEAST_ONCE, got, 0, bad, true, 0));
        // huge-values dead-lettered as INTERNAL and year-2100 as OUT_OF_ORDER: dead letters, but for the wrong reason.
        assertEquals(List.of("wrong-shape dead letter under 1 MiB", "huge-values dead-lettered",
                        "key-mismatch dead-lettered", "year-2100 dead-lettered"),
                r.failed().stream().map(ChaosReport.Criterion::name).toList());
        assertTrue(r.failed().get(1).detail().endsWith("(expected OUT_OF_RANGE)"), r.toTable());
        List<BadInputs.Outcome> right = List.of(
                new BadInputs.Outcome("wrong-shape", "(a)", 0, 17, 62_914_941, true, "WRONG_SHAPE", "3x2048x2560",
                        900, false),
                new BadInputs.Outcome("wrong-shape-2", "(a)", 0, 18, 62_914_941, true, "WRONG_SHAPE", "3x2048x2560",
                        900, false),
                new BadInputs.Outcome("huge-values", "(c)", 0, 19, 14_000, true, "OUT_OF_RANGE", "x", 14_300, false),
                new BadInputs.Outcome("key-mismatch", "(d)", 1, 8, 17_000, true, "KEY_MISMATCH", "k", 900, false),
                new BadInputs.Outcome("year-2100", "(b)", 0, 20, 17_000, true, "FUTURE_TIME", "y", 900, false));
        ChaosReport ok = ChaosReport.judge(facts(Scenario.BAD_INPUT, Delivery.AT_LEAST_ONCE, got, 0, right, true, 0));
        assertTrue(ok.failed().stream().noneMatch(c -> c.name().endsWith("dead-lettered")), ok.toTable());
        ChaosReport dead = ChaosReport.judge(facts(Scenario.BAD_INPUT, Delivery.AT_LEAST_ONCE, got, 0, List.of(),
                true, 1));
        assertTrue(dead.failed().stream().anyMatch(c -> c.name().equals("service process alive throughout")));
        assertTrue(dead.failed().stream().anyMatch(c -> c.name().equals("bad records published")));
    }

    @Test
    void nothingReadBackComparesNothingAndFails() {
        ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.EXACTLY_ONCE, List.of(), 2, List.of(), true,
                0));
        assertEquals(List.of("no forecast lost", "forecasts equal the uninterrupted run"),
                r.failed().stream().map(ChaosReport.Criterion::name).toList());
    }

    @Test
    void restartSummaryLeavesTheInitialStartOut() {
        ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.EXACTLY_ONCE,
                List.of(forecast("a", 0), forecast("a", 1)), 2, List.of(), true, 0));
        assertEquals("5.0 s / 6.0 s", r.restartSummary());
    }

    @Test
    void tableMarkdownAndJsonCarryTheFiguresAndTheVerdict(@TempDir Path dir) throws Exception {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 0));
        ChaosReport r = ChaosReport.judge(facts(Scenario.KILL, Delivery.AT_LEAST_ONCE, got, 2, List.of(), true, 0));
        String table = r.toTable();
        assertTrue(table.startsWith("odecast chaos: kill, at-least-once: FAIL\n"), table);
        assertTrue(table.contains("FAIL every duplicate flagged REPLAYED"), table);
        assertTrue(table.contains("unmarked duplicates"), table);
        r.write(dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.startsWith("# odecast chaos: kill, at-least-once — FAIL"), md);
        assertTrue(md.contains("| lost | 1 |"), md);
        assertTrue(md.contains("| every duplicate flagged REPLAYED | **FAIL** |"), md);
        assertTrue(md.contains("Examples, lost: a@1996-01-05T06:00:00Z."), md);
        assertTrue(md.contains("| 2 | service | kill |"), md);
        assertTrue(md.contains("service-1 (pid 42) 1024 MiB"), md);
        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertEquals("kill", json.get("scenario").asText());
        assertFalse(json.get("passed").asBoolean());
        assertEquals(1, json.get("forecasts").get("lost").asInt());
        assertEquals(1, json.get("forecasts").get("unmarked_duplicates").asInt());
        assertEquals(4000, json.get("processes").get("starts").get(1).get("first_forecast_ms").asLong());
        assertTrue(json.get("criteria").size() >= 5);
    }
}
