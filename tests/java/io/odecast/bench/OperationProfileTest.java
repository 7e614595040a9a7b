package io.odecast.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self times from a Chrome trace: nested events on a thread, merged by name and shapes. */
class OperationProfileTest {

    @TempDir
    Path dir;

    @Test
    void anEventsSelfTimeIsItsDurationLessItsDirectChildrenPerThreadAndSameShapesMerge() throws Exception {
        // Thread 1: conv2d [0, 100) holding convolution [10, 90) holding mkldnn_convolution [20, 80); then a second
        // mkldnn_convolution of the same shapes [100, 130). Thread 2: an add [50, 60) that overlaps in time but is
        // not a child of thread 1's events.
        String trace = """
                {"traceEvents": [
                  {"ph": "X", "name": "aten::conv2d", "tid": 1, "ts": 0, "dur": 100, "shape": [[1, 2]]},
                  {"ph": "X", "name": "aten::convolution", "tid": 1, "ts": 10, "dur": 80, "shape": [[1, 2]]},
                  {"ph": "X", "name": "aten::mkldnn_convolution", "tid": 1, "ts": 20, "dur": 60, "shape": [[1, 2]]},
                  {"ph": "X", "name": "aten::mkldnn_convolution", "tid": 1, "ts": 100, "dur": 30, "shape": [[1, 2]]},
                  {"ph": "X", "name": "aten::add", "tid": 2, "ts": 50, "dur": 10, "shape": [[3]]},
                  {"ph": "i", "name": "marker", "tid": 1, "ts": 5}
                ]}""";
        Path file = dir.resolve("trace.json");
        Files.writeString(file, trace);
        OperationProfile p = OperationProfile.ofChromeTrace(file);
        assertEquals(4, p.rows().size());
        OperationProfile.Row first = p.rows().get(0);
        assertEquals("aten::mkldnn_convolution", first.name());
        assertEquals(2, first.calls());
        assertEquals(90, first.selfUs(), 1e-9);
        assertEquals(20, row(p, "aten::conv2d").selfUs(), 1e-9);
        assertEquals(20, row(p, "aten::convolution").selfUs(), 1e-9);
        assertEquals(10, row(p, "aten::add").selfUs(), 1e-9);
        assertEquals(140, p.totalUs(), 1e-9);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        p.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), "ours", 2, 2);
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("ours: 0.07 ms of operations per repetition"), table);
        assertTrue(table.contains("| aten::mkldnn_convolution | [[1,2]] | 1.0 | 0.045 | 64.3 % |"), table);
        assertEquals(2 + 2 + 1, table.split("\n").length, table);
    }

    private static OperationProfile.Row row(OperationProfile p, String name) {
        return p.rows().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }
}
