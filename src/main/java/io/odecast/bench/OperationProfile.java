package io.odecast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Self time per libtorch operation and input shapes, from a Chrome trace written by libtorch's profiler (DJL's
 * {@code JniUtils.startProfile}/{@code stopProfile}) or from the peer's {@code torch.profiler}: where a model's
 * time goes, operation by operation, to compare two implementations of the same layers.
 *
 * @param rows   operations by self time, largest first
 * @param totalUs the self time of every operation, microseconds
 */
public record OperationProfile(List<Row> rows, double totalUs) {

    /** One operation at one set of input shapes: calls and self time (its own, children excluded), microseconds. */
    public record Row(String name, String shapes, long calls, double selfUs) {
    }

    /**
     * Reads a Chrome trace: complete events ({@code "ph": "X"}) nested by time on each thread; an event's self time
     * is its duration less its direct children's.
     */
    public static OperationProfile ofChromeTrace(Path trace) throws IOException {
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        List<double[]> spans = new ArrayList<>();
        List<String[]> keys = new ArrayList<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText())) {
                continue;
            }
            spans.add(new double[] {e.path("tid").asDouble(), e.path("ts").asDouble(), e.path("dur").asDouble(),
                    spans.size()});
            keys.add(new String[] {e.path("name").asText(), e.has("shape") ? e.get("shape").toString()
                    : e.path("args").path("Input Dims").toString()});
        }
        spans.sort(Comparator.<double[]>comparingDouble(s -> s[0]).thenComparingDouble(s -> s[1])
                .thenComparingDouble(s -> -s[2]));
        double[] self = new double[spans.size()];
        Deque<double[]> open = new ArrayDeque<>();
        for (double[] s : spans) {
            while (!open.isEmpty() && (open.peek()[0] != s[0] || open.peek()[1] + open.peek()[2] <= s[1])) {
                open.pop();
            }
            int i = (int) s[3];
            self[i] += s[2];
            if (!open.isEmpty()) {
                self[(int) open.peek()[3]] -= s[2];
            }
            open.push(s);
        }
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            String[] k = keys.get(i);
            double us = self[i];
            byKey.merge(k[0] + "|" + k[1], new Row(k[0], k[1], 1, us),
                    (a, b) -> new Row(a.name(), a.shapes(), a.calls() + 1, a.selfUs() + b.selfUs()));
        }
        return of(new ArrayList<>(byKey.values()));
    }

    /** A profile of {@code rows}, sorted by self time. */
    public static OperationProfile of(List<Row> rows) {
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingDouble(Row::selfUs).reversed());
        return new OperationProfile(List.copyOf(sorted), sorted.stream().mapToDouble(Row::selfUs).sum());
    }

    /**
     * Prints the {@code top} operations as a table, per repetition ({@code reps}: how many times the profiled work
     * ran), with each one's share of the total.
     */
    public void print(PrintStream out, String title, int reps, int top) {
        out.printf(Locale.ROOT, "%s: %.2f ms of operations per repetition%n", title, totalUs / 1000 / reps);
        out.println("| operation | input shapes | calls per rep | self ms per rep | share |");
        out.println("|---|---|---|---|---|");
        for (Row r : rows.subList(0, Math.min(top, rows.size()))) {
            out.printf(Locale.ROOT, "| %s | %s | %.1f | %.3f | %.1f %% |%n", r.name(),
                    r.shapes().replaceAll("(,\\[\\])+\\]$", "]"),
                    (double) r.calls() / reps, r.selfUs() / 1000 / reps, 100 * r.selfUs() / Math.max(1e-9, totalUs));
        }
    }
}
