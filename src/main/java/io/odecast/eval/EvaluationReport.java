package io.odecast.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Scores of several systems (the model and its baselines) side by side, written as {@code report.json} (with what
 * was evaluated: model, data, test range, inputs, command, units) and {@code report.md} (one table per metric
 * family, systems as columns, units in the header). Every JSON row carries every metric name seen in the report
 * (null where a row has no value, or the value is not finite), so model and baseline rows always have the same keys.
 */
public final class EvaluationReport {

    /** Metric name of the pooled mean squared error. */
    public static final String MSE = "mse";
    /** Metric name of the square root of the pooled MSE. */
    public static final String RMSE = "rmse";
    /** Metric name of the pooled mean absolute error. */
    public static final String MAE = "mae";
    /** Metric name of the number of valid cells pooled. */
    public static final String COUNT = "count";
    /** Metric name of the skill against the reference system, {@code 1 - RMSE / RMSE_reference}. */
    public static final String SKILL = "skill";
    /** Lead label of rows pooled over every lead. */
    public static final String ALL_LEADS = "all";

    /**
     * One line of the report.
     *
     * @param system who made the forecast, e.g. "model", "persistence", "linear"
     * @param lead lead label, or {@link #ALL_LEADS}
     * @param channel channel name (or e.g. "grey" for video image metrics)
     * @param metrics metric name to value, in display order
     */
    public record Row(String system, String lead, String channel, Map<String, Double> metrics) {
        public Row {
            metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }
    }

    /** How each metric is named in report.md, with its unit and which way is better. */
    private static final Map<String, String> HEADINGS = Map.of(
            RMSE, "RMSE, in each channel's units (lower is better)",
            MAE, "MAE, in each channel's units (lower is better)",
            MSE, "MSE, in each channel's units squared (lower is better)",
            SKILL, "Skill against persistence, 1 - RMSE / RMSE_persistence (higher is better; 0 = persistence)",
            "psnr", "PSNR in dB, 10 log10(1 / MSE) with the MSE pooled over all frames: the Vid-ODE reference number"
                    + " (higher is better)",
            "psnr_frame_mean", "PSNR in dB, mean of each frame's PSNR (capped at " + (int) Psnr.CAP_DB
                    + " dB): the number video codecs report; higher is better",
            "ssim", "SSIM, mean over frames, 1 = identical (higher is better)");
    /** Tables in report.md come in this order, then any other metric. */
    private static final List<String> FIRST = List.of(RMSE, SKILL, MAE, MSE, "psnr", "psnr_frame_mean", "ssim");
    /** Metrics that count things; kept in report.json, not tabled. */
    private static final Set<String> COUNTS = Set.of(COUNT, "frames");

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Object> context = new LinkedHashMap<>();
    private final Map<String, String> units = new LinkedHashMap<>();
    /** Extra markdown sections (e.g. the blend's weights), after the metric tables. */
    private final List<String> sections = new ArrayList<>();

    /** Records what was evaluated ({@code model}, {@code data}, {@code test_frames}, {@code command}...). */
    public EvaluationReport describe(String key, Object value) {
        context.put(key, value);
        return this;
    }

    /**
     * Records the blend applied in the {@code blend} column: a one-line summary among what was evaluated, the
     * weights as a table in report.md (a row per lead or gap position and channel, a column per member) and whole in
     * report.json.
     */
    public EvaluationReport blend(io.odecast.model.Blend blend, List<String> channels) {
        Object frames = blend.fit().get("frames");
        Object samples = blend.fit().get("samples");
        context.put("blend", "the model" + (blend.blendsFlow() ? " and flow interpolation" : "") + " blended into "
                + ("flow".equals(blend.baseline()) ? "flow extrapolation" : "the straight line")
                + (frames instanceof List<?> f && f.size() == 2 && f.get(0) instanceof Number from
                        && f.get(1) instanceof Number to
                        // the record holds the half-open range [from, to)
                        ? "; weights fitted on frames " + from.intValue() + "-" + (to.intValue() - 1) : "") + (samples == null ? "" : " (" + samples + ")") + "; table below");
        StringBuilder md = new StringBuilder("### Blend weights\n\nServed = " + blend.baseline());
        for (String m : blend.members()) {
            md.append(" + w_").append(m).append(" (").append(m).append(" - ").append(blend.baseline()).append(')');
        }
        md.append(", per ").append("flow".equals(blend.baseline()) ? "lead" : "gap position").append(" and channel.\n\n")
                .append("| key | channel |");
        blend.members().forEach(m -> md.append(" w_").append(m).append(" |"));
        md.append("\n|---|---|").append("---|".repeat(blend.members().size())).append('\n');
        Map<String, Object> json = new LinkedHashMap<>();
        int m = blend.members().size();
        blend.weights().forEach((key, w) -> {
            int c = w.length / m;
            Map<String, List<Double>> perChannel = new LinkedHashMap<>();
            for (int ch = 0; ch < c; ch++) {
                String name = ch < channels.size() ? channels.get(ch) : "channel " + ch;
                md.append("| ").append(key).append(" | ").append(name).append(" |");
                List<Double> ws = new ArrayList<>();
                for (int k = 0; k < m; k++) {
                    float x = w[k * c + ch];
                    md.append(String.format(Locale.ROOT, " %.3f |", x));
                    ws.add((double) x);
                }
                md.append('\n');
                perChannel.put(name, ws);
            }
            json.put(key, perChannel);
        });
        sections.add(md.toString());
        Map<String, Object> whole = new LinkedHashMap<>();
        whole.put("baseline", blend.baseline());
        whole.put("members", blend.members());
        whole.put("weights", json);
        whole.put("fit", blend.fit());
        context.put("blend_weights", whole);
        return this;
    }

    /** Records the physical unit of {@code channel}, shown beside it in report.md. */
    public EvaluationReport unit(String channel, String unit) {
        if (unit != null && !unit.isBlank()) {
            units.put(channel, unit);
        }
        return this;
    }

    /** What was evaluated, as given to {@link #describe}. */
    public Map<String, Object> context() {
        return Collections.unmodifiableMap(context);
    }

    /** Adds one row. */
    public void add(Row row) {
        rows.add(row);
    }

    /**
     * Adds the errors of one system: a row per (lead, channel) in the accumulator, then a row per
     * channel pooled over all leads.
     */
    public void addErrors(String system, MetricAccumulator errors) {
        errors.entries().forEach((key, sums) -> add(errorRow(system, key.lead(), key.channel(), sums)));
        for (String channel : errors.channelNames()) {
            add(errorRow(system, ALL_LEADS, channel, errors.channelTotal(channel)));
        }
    }

    /**
     * Adds {@link #SKILL} against {@code reference} to every error row of another system that has a reference
     * row of the same lead and channel: 1 - RMSE / RMSE_reference (positive: better than the reference).
     */
    public void addSkill(String reference) {
        Map<String, Double> referenceRmse = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.system().equals(reference) && r.metrics().get(RMSE) != null) {
                referenceRmse.put(r.lead() + "\u0000" + r.channel(), r.metrics().get(RMSE));
            }
        }
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            Double ref = referenceRmse.get(r.lead() + "\u0000" + r.channel());
            Double rmse = r.metrics().get(RMSE);
            if (r.system().equals(reference) || ref == null || rmse == null) {
                continue;
            }
            Map<String, Double> m = new LinkedHashMap<>(r.metrics());
            m.put(SKILL, ref > 0 ? 1 - rmse / ref : Double.NaN);
            rows.set(i, new Row(r.system(), r.lead(), r.channel(), m));
        }
    }

    /** All rows in insertion order. */
    public List<Row> rows() {
        return List.copyOf(rows);
    }

    /** Union of metric names over all rows, in first-seen order. */
    public List<String> metricNames() {
        Set<String> names = new LinkedHashSet<>();
        rows.forEach(r -> names.addAll(r.metrics().keySet()));
        return List.copyOf(names);
    }

    /** The report as JSON: {@code {"metrics": [...], "rows": [{system, lead, channel, metrics}]}}. */
    public String toJson() {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        List<String> names = metricNames();
        ObjectNode root = mapper.createObjectNode();
        root.set("context", mapper.valueToTree(context));
        root.set("units", mapper.valueToTree(units));
        ArrayNode nameArray = root.putArray("metrics");
        names.forEach(nameArray::add);
        ArrayNode rowArray = root.putArray("rows");
        for (Row row : rows) {
            ObjectNode node = rowArray.addObject();
            node.put("system", row.system());
            node.put("lead", row.lead());
            node.put("channel", row.channel());
            ObjectNode metrics = node.putObject("metrics");
            for (String name : names) {
                Double v = row.metrics().get(name);
                if (v == null || !Double.isFinite(v)) {
                    metrics.putNull(name);
                } else {
                    metrics.put(name, v);
                }
            }
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The report as markdown: one table per metric family (counts excepted), rows of lead and channel (with its
     * unit), one column per system, four significant digits.
     */
    public String toMarkdown() {
        List<String> metrics = new ArrayList<>(metricNames());
        metrics.removeAll(COUNTS);
        // The table to read first, then the rest as they came.
        metrics.sort(java.util.Comparator.comparingInt(m -> FIRST.contains(m) ? FIRST.indexOf(m) : FIRST.size()));
        return toMarkdown(metrics);
    }

    /** The tables of {@code metrics} only, in that order (e.g. RMSE and skill for a terminal). */
    public String toMarkdown(List<String> metrics) {
        List<String> systems = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (Row r : rows) {
            if (!systems.contains(r.system())) {
                systems.add(r.system());
            }
            String key = r.lead() + "\u0000" + r.channel();
            if (!keys.contains(key)) {
                keys.add(key);
            }
            byKey.put(r.system() + "\u0000" + key, r);
        }
        StringBuilder md = new StringBuilder();
        for (String metric : metrics) {
            // Only the systems that have this metric (no empty persistence column in the skill table).
            List<String> columns = systems.stream().filter(s -> keys.stream().map(k -> byKey.get(s + "\u0000" + k))
                    .anyMatch(r -> r != null && r.metrics().get(metric) != null)).toList();
            md.append("### ").append(HEADINGS.getOrDefault(metric, metric)).append("\n\n| lead | channel |");
            columns.forEach(s -> md.append(' ').append(s).append(" |"));
            md.append("\n|---|---|").append("---:|".repeat(columns.size())).append('\n');
            for (String key : keys) {
                if (columns.stream().map(s -> byKey.get(s + "\u0000" + key))
                        .noneMatch(r -> r != null && r.metrics().get(metric) != null)) {
                    continue;
                }
                String[] lc = key.split("\u0000", 2);
                String unit = units.get(lc[1]);
                md.append("| ").append(lc[0]).append(" | ").append(lc[1]).append(unit == null ? "" : " (" + unit + ")")
                        .append(" |");
                for (String s : columns) {
                    Row r = byKey.get(s + "\u0000" + key);
                    Double v = r == null ? null : r.metrics().get(metric);
                    md.append(' ').append(v == null ? "" : SKILL.equals(metric)
                            ? String.format(Locale.ROOT, "%+.3f", v) : format(v)).append(" |");
                }
                md.append('\n');
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** Writes {@code report.json} and {@code report.md} into {@code directory}, creating it if needed. */
    public void write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("report.json"), toJson());
        StringBuilder md = new StringBuilder("# Evaluation\n\n");
        context.forEach((k, v) -> {
            if (!"blend_weights".equals(k)) {
                md.append("- ").append(k.replace('_', ' ')).append(": ").append(v).append('\n');
            }
        });
        md.append(context.isEmpty() ? "" : "\n");
        md.append("Leads are counted from the last input; \"all\" pools every lead. Skill = 1 - RMSE / RMSE_persistence"
                + " (positive: better than repeating the last frame).\n\n").append(toMarkdown());
        sections.forEach(section -> md.append(section).append('\n'));
        Files.writeString(directory.resolve("report.md"), md.toString());
    }

    private static Row errorRow(String system, String lead, String channel, ErrorSums sums) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(MSE, sums.mse());
        m.put(RMSE, sums.rmse());
        m.put(MAE, sums.mae());
        m.put(COUNT, (double) sums.count());
        return new Row(system, lead, channel, m);
    }

    private static String format(double v) {
        if (!Double.isFinite(v)) {
            return "n/a";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
