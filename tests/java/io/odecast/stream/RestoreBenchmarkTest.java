package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code odecast bench --restore} in a short mode: the full restore reads every snapshot, the checkpointed one only the new. */
class RestoreBenchmarkTest extends BrokerTestBase {
    @TempDir
    Path dir;

    @Test
    void theFullRestoreReadsEverySnapshotAndTheCheckpointedOneOnlyThoseWrittenSince() throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        RestoreBenchmark.Result r = new RestoreBenchmark(new PrintStream(text, true, StandardCharsets.UTF_8))
                .run(kafka.bootstrapServers(), 50, 2_000, 7, dir);
        assertEquals(50, r.fullRecords());
        assertEquals(7, r.incrementalRecords());
        String printed = text.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("full (no checkpoint)") && printed.contains("from the checkpoint"), printed);
    }
}
