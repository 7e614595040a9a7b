package io.odecast.chaos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A judged chaos run: the facts, the scenario's criteria and whether they all hold, formatted as a console table,
 * {@code report.md} and {@code report.json}.
 *
 * <p>Criteria: no forecast lost; exactly-once: none duplicated; at-least-once: every duplicate flagged REPLAYED
 * and equal in content to the first copy; both: every forecast equal to the uninterrupted run, none for a frame
 * that was never published, and the service never exited on its own. The harness must also have done what the
 * scenario says (kills, SIGTERM, broker outage) and published every frame, or the run proves nothing. Bad input:
 * each bad record is dead-lettered with a dead letter under 1 MiB, the service is alive at the end and its peak
 * RSS stays under the limit.
 */
public record ChaosReport(ChaosFacts facts, List<Criterion> criteria) {

    /** Relative tolerance of forecast data against the uninterrupted run and between copies. */
    public static final double TOLERANCE = 1e-4;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One criterion of the scenario and whether it holds. A criterion the run gave no occasion to test (no duplicate
     * to check the REPLAYED flag on) is not exercised: it fails nothing, and the report says it proved nothing.
     */
    public record Criterion(String name, boolean passed, String detail, boolean exercised) {
        public Criterion(String name, boolean passed, String detail) {
            this(name, passed, detail, true);
        }

        /** A criterion the run gave no occasion to test. */
        static Criterion notExercised(String name, String detail) {
            return new Criterion(name, true, detail, false);
        }

        /** "ok", "FAIL" or "n/a" (not exercised). */
        String status() {
            return !passed ? "FAIL" : exercised ? "ok" : "n/a";
        }
    }

    public ChaosReport {
        criteria = List.copyOf(criteria);
    }

    /** Whether every criterion holds (the command's exit status is 0 exactly then). */
    public boolean passed() {
        return criteria.stream().allMatch(Criterion::passed);
    }

    /** The criteria that do not hold. */
    public List<Criterion> failed() {
        return criteria.stream().filter(c -> !c.passed()).toList();
    }

    /** Judges {@code facts} by the criteria of their scenario and delivery mode. */
    public static ChaosReport judge(ChaosFacts facts) {
        ForecastAccounting.Accounting a = facts.accounting();
        List<Criterion> c = new ArrayList<>();
        // Every planned frame acknowledged: a frame never sent would drop out of the expected set unnoticed.
        c.add(new Criterion("every frame published", facts.framesFailed() == 0 && facts.framesPlanned() > 0
                && facts.framesPublished() == facts.framesPlanned(), facts.framesPublished() + " of "
                + facts.framesPlanned() + " acknowledged, " + facts.framesFailed() + " failed"));
        c.add(new Criterion("every frame processed before the stop", facts.drained(), facts.drainDetail()));
        c.add(new Criterion("verifier read the output to its end", facts.unreadTopics().isEmpty(),
                facts.unreadTopics().isEmpty() ? "forecasts and dead letters read to their end offsets"
                        : "not read to the end in time: " + facts.unreadTopics()));
        c.add(new Criterion("every forecast record parses", facts.unparsableForecasts() == 0,
                facts.unparsableForecasts() + " forecast records did not parse as Forecast"));
        switch (facts.scenario()) {
            case KILL -> c.add(new Criterion("service killed " + facts.killsRequested() + " times",
                    facts.workingKills() >= facts.killsRequested(), facts.workingKills() + " of " + facts.kills()
                    + " SIGKILLs landed mid-work (process ready, frames of its own consumed, frames left)"));
            case SIGTERM -> c.add(new Criterion("service stopped by SIGTERM mid-stream", facts.signals() >= 1,
                    facts.signals() + " SIGTERMs honoured"));
            case BROKER_OUTAGE -> c.add(new Criterion("broker outage mid-stream", facts.brokerOutages() >= 1,
                    facts.brokerOutages() + " broker kills and restarts"));
            case BAD_INPUT -> {
            }
        }
        c.add(new Criterion("no forecast lost", a.lost() == 0, a.lost() + " of " + a.expected() + " lost"));
        if (facts.delivery() == Delivery.EXACTLY_ONCE) {
            c.add(new Criterion("no forecast duplicated", a.duplicated() == 0,
                    a.duplicated() + " keys repeated, " + a.extraCopies() + " extra copies"));
        } else if (a.extraCopies() == 0) {
            // No duplicate was seen: nothing to check the flag or the content on; "0 of 0" proves nothing.
            c.add(Criterion.notExercised("every duplicate flagged REPLAYED", "not exercised: no extra copy was"
                    + " read back"));
            c.add(Criterion.notExercised("duplicates equal to the first copy", "not exercised: no extra copy was"
                    + " read back"));
        } else {
            c.add(new Criterion("every duplicate flagged REPLAYED", a.unmarkedDuplicates() == 0,
                    a.unmarkedDuplicates() + " of " + a.extraCopies() + " extra copies unflagged"));
            c.add(new Criterion("duplicates equal to the first copy", a.differingCopies() == 0,
                    a.differingCopies() + " extra copies differ (max rel. diff " + num(a.maxRelDiffCopies()) + ")"));
        }
        // Vacuous truth proves nothing: with forecasts expected, some must have been compared.
        c.add(new Criterion("forecasts equal the uninterrupted run", a.differingFromReference() == 0
                && (a.compared() > 0 || a.expected() == 0), a.differingFromReference() + " of " + a.compared()
                + " compared keys differ beyond " + TOLERANCE + " (max rel. diff " + num(a.maxRelDiffReference())
                + ")"));
        c.add(new Criterion("no forecast of an unpublished frame", a.unexpected() == 0,
                a.unexpected() + " unexpected keys"));
        c.add(new Criterion("service never exited on its own", facts.unexpectedExits() == 0,
                facts.unexpectedExits() + " unexpected exits"));
        if (facts.scenario() == Scenario.BAD_INPUT) {
            if (facts.badInputs().isEmpty()) {
                c.add(new Criterion("bad records published", false, "none was published"));
            }
            for (BadInputs.Outcome o : facts.badInputs()) {
                String expected = expectedReason(o.label());
                boolean rightReason = expected != null && expected.equals(o.reason());
                c.add(new Criterion(o.label() + " dead-lettered", o.deadLettered() && rightReason, o.deadLettered()
                        ? o.reason() + ": " + o.reasonText() + (rightReason ? "" : expected == null
                        ? " (no expected reason known for this record)" : " (expected " + expected + ")")
                        : "no dead letter for offset " + o.offset()
                        + (o.forecastIssued() ? "; a forecast was issued from it" : "")));
                if (o.deadLettered()) {
                    c.add(new Criterion(o.label() + " dead letter under 1 MiB", o.smallDeadLetter(),
                            bytes(o.deadLetterBytes())));
                }
            }
            boolean survived = facts.serviceAliveAtEnd() && facts.unexpectedExits() == 0;
            c.add(new Criterion("service process alive throughout", survived, survived ? "one process, running at"
                    + " the end" : facts.unexpectedExits() + " exits; " + (facts.serviceAliveAtEnd()
                    ? "a restarted process running at the end" : "not running at the end")));
            c.add(new Criterion("peak RSS under " + mib(facts.rssLimitKiB()), facts.peakRssKiB() >= 0
                    && facts.peakRssKiB() <= facts.rssLimitKiB(), "peak " + mib(facts.peakRssKiB())));
        }
        return new ChaosReport(facts, c);
    }

    /**
     * The dead-letter reason a bad record of {@link BadInputs} must get, by its label: wrong-shape (and its
     * numbered copies) WRONG_SHAPE, huge-values OUT_OF_RANGE, key-mismatch KEY_MISMATCH, year-2100 FUTURE_TIME;
     * null for a label it does not know.
     */
    static String expectedReason(String label) {
        if (label.equals("wrong-shape") || label.startsWith("wrong-shape-")) {
            return "WRONG_SHAPE";
        }
        return switch (label) {
            case "huge-values" -> "OUT_OF_RANGE";
            case "key-mismatch" -> "KEY_MISMATCH";
            case "year-2100" -> "FUTURE_TIME";
            default -> null;
        };
    }

    /** The figures of the run, name to formatted value, in display order. */
    public Map<String, String> figures() {
        ChaosFacts f = facts;
        ForecastAccounting.Accounting a = f.accounting();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("frames published", f.framesPublished() + " of " + f.framesPlanned());
        m.put("expected forecasts", Integer.toString(a.expected()));
        m.put("forecast records read", Integer.toString(a.received()));
        m.put("distinct forecasts", Integer.toString(a.distinct()));
        m.put("lost", Integer.toString(a.lost()));
        m.put("duplicated keys", Integer.toString(a.duplicated()));
        m.put("extra copies", Integer.toString(a.extraCopies()));
        m.put("extra copies flagged REPLAYED", Integer.toString(a.markedDuplicates()));
        m.put("unmarked duplicates", Integer.toString(a.unmarkedDuplicates()));
        m.put("copies differing in content", Integer.toString(a.differingCopies()));
        m.put("differing from uninterrupted run", a.differingFromReference() + " of " + a.compared());
        m.put("max rel. diff from uninterrupted run", num(a.maxRelDiffReference()));
        m.put("unexpected forecasts", Integer.toString(a.unexpected()));
        m.put("service kills (SIGKILL)", f.kills() + " (" + f.workingKills() + " mid-work)");
        m.put("SIGTERMs honoured", Integer.toString(f.signals()));
        m.put("broker outages", Integer.toString(f.brokerOutages()));
        m.put("unexpected service exits", Integer.toString(f.unexpectedExits()));
        m.put("restart to first forecast, median / max", restartSummary());
        m.put("service peak RSS", mib(f.peakRssKiB()));
        m.put("dead letters", f.deadLettersByReason().isEmpty() ? "0" : f.deadLettersByReason().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
        m.put("largest dead letter", bytes(f.largestDeadLetter()));
        m.put("wall time", String.format(Locale.ROOT, "%.1f s", f.wallSeconds()));
        return m;
    }

    /** Median and max of the restart-to-first-forecast times of restarts (the initial start left out). */
    String restartSummary() {
        List<Long> times = facts.restarts().stream().filter(t -> !"initial".equals(t.start().cause()))
                .map(RestartTimes.Timing::firstForecastMillis).filter(java.util.Objects::nonNull).sorted().toList();
        long restarts = facts.restarts().stream().filter(t -> !"initial".equals(t.start().cause())).count();
        if (restarts == 0) {
            return "no restart";
        }
        if (times.isEmpty()) {
            return "none of " + restarts + " restarts produced a forecast";
        }
        int n = times.size();
        double median = n % 2 == 1 ? times.get(n / 2) : (times.get(n / 2 - 1) + times.get(n / 2)) / 2.0;
        long max = times.get(times.size() - 1);
        String s = String.format(Locale.ROOT, "%.1f s / %.1f s", median / 1000.0, max / 1000.0);
        return times.size() < restarts ? s + " (" + (restarts - times.size()) + " of " + restarts
                + " restarts without a forecast)" : s;
    }

    /** The console summary: a header, the figures and the criteria, one per line. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("odecast chaos: ").append(facts.scenario()).append(", ").append(facts.delivery()).append(": ")
                .append(passed() ? "PASS" : "FAIL").append('\n');
        Map<String, String> figures = figures();
        int width = figures.keySet().stream().mapToInt(String::length).max().orElse(10);
        for (Criterion c : criteria) {
            width = Math.max(width, c.name().length());
        }
        String fmt = "  %-" + width + "s  %s%n";
        figures.forEach((k, v) -> sb.append(String.format(Locale.ROOT, fmt, k, v)));
        for (BadInputs.Outcome o : facts.badInputs()) {
            sb.append(String.format(Locale.ROOT, fmt, "bad record " + o.label(), o.deadLettered()
                    ? "dead-lettered " + o.reason() + ", dead letter " + bytes(o.deadLetterBytes()) + " (record "
                    + bytes(o.valueBytes()) + ")" : "NOT dead-lettered (record " + bytes(o.valueBytes()) + ")"
                    + (o.forecastIssued() ? ", forecast issued" : "")));
        }
        sb.append("  criteria:\n");
        for (Criterion c : criteria) {
            sb.append(String.format(Locale.ROOT, "  %-4s %-" + width + "s  %s%n", c.status(), c.name(),
                    c.detail()));
        }
        return sb.toString();
    }

    /** {@code report.md}. */
    public String toMarkdown() {
        ChaosFacts f = facts;
        StringBuilder sb = new StringBuilder();
        sb.append("# odecast chaos: ").append(f.scenario()).append(", ").append(f.delivery()).append(" — ")
                .append(passed() ? "PASS" : "FAIL").append("\n\n");
        sb.append("| setting | value |\n|---|---|\n");
        f.settings().forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(cell(String.valueOf(v)))
                .append(" |\n"));
        sb.append("\n## Figures\n\n| figure | value |\n|---|---|\n");
        figures().forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n"));
        if (!f.accounting().lostByStream().isEmpty()) {
            sb.append("\nLost per stream: ").append(f.accounting().lostByStream().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))).append(".\n");
        }
        f.accounting().examples().forEach((kind, keys) -> {
            if (!keys.isEmpty()) {
                sb.append("\nExamples, ").append(kind).append(": ").append(keys.stream().map(ForecastKey::toString)
                        .collect(Collectors.joining(", "))).append(".\n");
            }
        });
        if (!f.restarts().isEmpty()) {
            sb.append("\n## Starts and time to the first forecast\n\n| # | process | cause | started | first forecast"
                    + " after |\n|---|---|---|---|---|\n");
            int i = 0;
            for (RestartTimes.Timing t : f.restarts()) {
                sb.append("| ").append(++i).append(" | ").append(t.start().process()).append(" | ")
                        .append(t.start().cause()).append(" | ").append(Instant.ofEpochMilli(t.start().startedMillis()))
                        .append(" | ").append(t.firstForecastMillis() == null ? "none"
                                : String.format(Locale.ROOT, "%.1f s", t.firstForecastMillis() / 1000.0))
                        .append(" |\n");
            }
        }
        if (!f.badInputs().isEmpty()) {
            sb.append("\n## Bad records\n\n| record | what | partition@offset | size | dead-lettered | reason |"
                    + " dead letter size | forecast issued |\n|---|---|---|---|---|---|---|---|\n");
            for (BadInputs.Outcome o : f.badInputs()) {
                sb.append("| ").append(o.label()).append(" | ").append(cell(o.description())).append(" | ")
                        .append(o.partition()).append('@').append(o.offset()).append(" | ").append(bytes(o.valueBytes()))
                        .append(" | ").append(o.deadLettered() ? "yes" : "**no**").append(" | ")
                        .append(o.deadLettered() ? cell(o.reason() + ": " + o.reasonText()) : "").append(" | ")
                        .append(o.deadLettered() ? bytes(o.deadLetterBytes()) : "").append(" | ")
                        .append(o.forecastIssued() ? "**yes**" : "no").append(" |\n");
            }
        }
        if (!f.peakRssByPhase().isEmpty()) {
            sb.append("\nService peak RSS by phase: ").append(f.peakRssByPhase().entrySet().stream()
                    .map(e -> e.getKey() + " " + mib(e.getValue())).collect(Collectors.joining(", "))).append(".\n");
        }
        if (!f.peakRssByProcess().isEmpty()) {
            sb.append("\nPeak RSS per service process (VmHWM or sampled VmRSS, whichever is larger): ")
                    .append(f.peakRssByProcess().entrySet().stream().map(e -> e.getKey() + " " + mib(e.getValue()))
                            .collect(Collectors.joining(", "))).append(".\n");
        }
        if (!f.phaseSeconds().isEmpty()) {
            sb.append("\nPhases: ").append(f.phaseSeconds().entrySet().stream()
                    .map(e -> String.format(Locale.ROOT, "%s %.1f s", e.getKey(), e.getValue()))
                    .collect(Collectors.joining(", "))).append(".\n");
        }
        sb.append("\n## Criteria\n\n| criterion | result | detail |\n|---|---|---|\n");
        for (Criterion c : criteria) {
            sb.append("| ").append(cell(c.name())).append(" | ").append(!c.passed() ? "**FAIL**" : c.exercised()
                    ? "pass" : "not exercised").append(" | ")
                    .append(cell(c.detail())).append(" |\n");
        }
        if (!f.exitNotes().isEmpty() || !f.notes().isEmpty()) {
            sb.append("\n## Notes\n\n");
            f.exitNotes().forEach(n -> sb.append("- unexpected exit: ").append(n).append('\n'));
            f.notes().forEach(n -> sb.append("- ").append(n).append('\n'));
        }
        return sb.toString();
    }

    /** {@code report.json}: the same content as a JSON object. */
    public String toJson() {
        ChaosFacts f = facts;
        ForecastAccounting.Accounting a = f.accounting();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("scenario", f.scenario().cliName());
        root.put("delivery", f.delivery().configValue());
        root.put("passed", passed());
        root.put("settings", f.settings());
        Map<String, Object> acc = new LinkedHashMap<>();
        acc.put("frames_published", f.framesPublished());
        acc.put("frames_planned", f.framesPlanned());
        acc.put("frames_failed", f.framesFailed());
        acc.put("unparsable", f.unparsableForecasts());
        acc.put("unread_topics", f.unreadTopics());
        acc.put("expected", a.expected());
        acc.put("received", a.received());
        acc.put("distinct", a.distinct());
        acc.put("lost", a.lost());
        acc.put("duplicated", a.duplicated());
        acc.put("extra_copies", a.extraCopies());
        acc.put("marked_duplicates", a.markedDuplicates());
        acc.put("unmarked_duplicates", a.unmarkedDuplicates());
        acc.put("differing_copies", a.differingCopies());
        acc.put("compared", a.compared());
        acc.put("differing_from_reference", a.differingFromReference());
        acc.put("unexpected", a.unexpected());
        acc.put("max_rel_diff_reference", jsonNumber(a.maxRelDiffReference()));
        acc.put("max_rel_diff_copies", jsonNumber(a.maxRelDiffCopies()));
        acc.put("lost_by_stream", a.lostByStream());
        Map<String, List<String>> examples = new LinkedHashMap<>();
        a.examples().forEach((k, v) -> examples.put(k, v.stream().map(ForecastKey::toString).toList()));
        acc.put("examples", examples);
        root.put("forecasts", acc);
        Map<String, Object> processes = new LinkedHashMap<>();
        processes.put("kills_requested", f.killsRequested());
        processes.put("kills", f.kills());
        processes.put("working_kills", f.workingKills());
        processes.put("sigterms", f.signals());
        processes.put("broker_outages", f.brokerOutages());
        processes.put("unexpected_exits", f.unexpectedExits());
        processes.put("exit_notes", f.exitNotes());
        processes.put("service_alive_at_end", f.serviceAliveAtEnd());
        processes.put("peak_rss_kib", f.peakRssKiB());
        processes.put("peak_rss_kib_by_phase", f.peakRssByPhase());
        processes.put("peak_rss_kib_by_process", f.peakRssByProcess());
        processes.put("rss_limit_kib", f.rssLimitKiB());
        List<Map<String, Object>> starts = new ArrayList<>();
        for (RestartTimes.Timing t : f.restarts()) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("process", t.start().process());
            s.put("cause", t.start().cause());
            s.put("started", Instant.ofEpochMilli(t.start().startedMillis()).toString());
            s.put("first_forecast_ms", t.firstForecastMillis());
            starts.add(s);
        }
        processes.put("starts", starts);
        root.put("processes", processes);
        List<Map<String, Object>> bad = new ArrayList<>();
        for (BadInputs.Outcome o : f.badInputs()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("label", o.label());
            b.put("description", o.description());
            b.put("partition", o.partition());
            b.put("offset", o.offset());
            b.put("value_bytes", o.valueBytes());
            b.put("dead_lettered", o.deadLettered());
            b.put("reason", o.reason());
            b.put("reason_text", o.reasonText());
            b.put("dead_letter_bytes", o.deadLetterBytes());
            b.put("forecast_issued", o.forecastIssued());
            bad.add(b);
        }
        root.put("bad_inputs", bad);
        root.put("dead_letters_by_reason", f.deadLettersByReason());
        root.put("largest_dead_letter_bytes", f.largestDeadLetter());
        root.put("drained", f.drained());
        root.put("drain", f.drainDetail());
        root.put("wall_seconds", f.wallSeconds());
        root.put("phase_seconds", f.phaseSeconds());
        List<Map<String, Object>> crit = new ArrayList<>();
        for (Criterion c : criteria) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("passed", c.passed());
            m.put("exercised", c.exercised());
            m.put("detail", c.detail());
            crit.add(m);
        }
        root.put("criteria", crit);
        root.put("notes", f.notes());
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code report.md} and {@code report.json} into {@code dir} (created if needed). */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("report.md"), toMarkdown(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("report.json"), toJson() + "\n", StandardCharsets.UTF_8);
    }

    /** A value for JSON: finite numbers as they are, infinity as the string "inf". */
    private static Object jsonNumber(double v) {
        return Double.isFinite(v) ? v : "inf";
    }

    static String num(double v) {
        if (Double.isInfinite(v)) {
            return "inf (structure differs)";
        }
        if (Double.isNaN(v)) {
            return "NaN";
        }
        return v == 0 ? "0" : String.format(Locale.ROOT, "%.2e", v);
    }

    static String mib(long kib) {
        return kib < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
    }

    static String bytes(long b) {
        if (b < 0) {
            return "-";
        }
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024.0));
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
