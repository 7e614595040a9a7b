package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.odecast.data.GridShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationReportTest {

    private static final GridShape SHAPE = new GridShape(1, 1, 2);

    private static MetricAccumulator errors(float error) {
        MetricAccumulator acc = new MetricAccumulator(SHAPE, List.of("pressure"));
        acc.add(1, new float[2], new float[] {error, error}, null);
        return acc;
    }

    private static Set<String> keys(JsonNode metrics) {
        Set<String> keys = new HashSet<>();
        metrics.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    @Test
    void modelAndBaselineRowsHaveTheSameKeys(@TempDir Path dir) throws Exception {
        EvaluationReport report = new EvaluationReport();
        report.addErrors("model", errors(1f));
        report.addErrors("persistence", errors(2f));
        report.add(new EvaluationReport.Row("model", EvaluationReport.ALL_LEADS, "grey", Map.of("ssim", 0.9)));
        report.write(dir);

        JsonNode root = new ObjectMapper().readTree(Files.readString(dir.resolve("report.json")));
        Set<String> expected = Set.of("mse", "rmse", "mae", "count", "ssim");
        assertEquals(5, root.get("rows").size());
        for (JsonNode row : root.get("rows")) {
            assertEquals(expected, keys(row.get("metrics")));
        }
        JsonNode persistenceLead1 = root.get("rows").get(2);
        assertEquals("persistence", persistenceLead1.get("system").asText());
        assertEquals(4.0, persistenceLead1.get("metrics").get("mse").asDouble());
        assertTrue(persistenceLead1.get("metrics").get("ssim").isNull());
    }

    @Test
    void markdownHasOneTablePerMetricFamilyWithSystemsAsColumnsAndUnits() {
        EvaluationReport report = new EvaluationReport().unit("pressure", "hPa");
        report.addErrors("linear", errors(0.5f));
        report.addErrors("persistence", errors(1f));
        String md = report.toMarkdown();
        assertTrue(md.startsWith("### RMSE"), md);
        assertTrue(md.contains("### RMSE, in each channel's units (lower is better)\n\n"
                + "| lead | channel | linear | persistence |\n|---|---|---:|---:|\n"
                + "| 1 | pressure (hPa) | 0.5000 | 1 |\n"), md);
        assertTrue(!md.contains("count"), "counts stay in the JSON");
    }

    @Test
    void theJsonSaysWhatWasEvaluated(@TempDir Path dir) throws Exception {
        EvaluationReport report = new EvaluationReport().describe("model", "storm-forecast abc")
                .describe("test_frames", List.of(60, 80)).describe("command", "odecast evaluate ...")
                .unit("pressure", "hPa");
        report.addErrors("model", errors(1f));
        report.write(dir);
        JsonNode root = new ObjectMapper().readTree(Files.readString(dir.resolve("report.json")));
        assertEquals("storm-forecast abc", root.get("context").get("model").asText());
        assertEquals(80, root.get("context").get("test_frames").get(1).asInt());
        assertEquals("hPa", root.get("units").get("pressure").asText());
        assertTrue(Files.readString(dir.resolve("report.md")).contains("- test frames: [60, 80]"));
    }

    @Test
    void skillIsOneMinusTheRmseRatioToTheReferenceAtTheSameLeadAndChannel() {
        EvaluationReport report = new EvaluationReport();
        report.add(new EvaluationReport.Row("persistence", "+6h", "u", java.util.Map.of(EvaluationReport.RMSE, 4.0)));
        report.add(new EvaluationReport.Row("flow", "+6h", "u", java.util.Map.of(EvaluationReport.RMSE, 3.0)));
        report.add(new EvaluationReport.Row("flow", "+12h", "u", java.util.Map.of(EvaluationReport.RMSE, 3.0)));
        report.addSkill("persistence");
        assertEquals(0.25, report.rows().get(1).metrics().get(EvaluationReport.SKILL), 1e-12);
        assertNull(report.rows().get(0).metrics().get(EvaluationReport.SKILL), "no skill of the reference itself");
        assertNull(report.rows().get(2).metrics().get(EvaluationReport.SKILL), "no reference at +12h");
        String md = report.toMarkdown(List.of(EvaluationReport.RMSE, EvaluationReport.SKILL));
        assertTrue(md.startsWith("### RMSE, in each channel's units (lower is better)\n\n"
                + "| lead | channel | persistence | flow |\n|---|---|---:|---:|\n| +6h | u | 4 | 3 |\n"
                + "| +12h | u |  | 3 |\n"), md);
        assertTrue(md.contains("| lead | channel | flow |\n|---|---|---:|\n| +6h | u | +0.250 |\n\n"),
                "the skill table has no empty persistence column and no +12h row: " + md);
    }
}
