package io.odecast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's main job, end to end on the embedded broker with the shipped models and real data. */
class DemoCommandTest {

    @TempDir
    Path out;

    @Test
    void theDemoRunsToCompletionAndWritesItsOutputs() throws Exception {
        StringWriter err = new StringWriter();
        int code = Odecast.commandLine().setErr(new PrintWriter(err))
                .execute("demo", "--out", out.toString(), "--video-frames", "30", "--seed", "3");
        assertEquals(0, code, err.toString());
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        JsonNode storm = summary.path(DemoCommand.STORM_STREAM);
        int sent = storm.path("frames_sent").asInt();
        assertTrue(sent > 30, "most of the 64 storm frames are published: " + sent);
        assertEquals(sent, storm.path("forecasts").asInt(), "one forecast per accepted frame");
        assertTrue(storm.path("filled_frames").asInt() > 0, "dropped storm frames are filled");
        assertTrue(summary.path(DemoCommand.VIDEO_STREAM).path("forecasts").asInt() > 0);
        assertTrue(storm.path("scored_leads").asInt() > 0);
        assertTrue(Files.size(out.resolve("forecasts/storm_blizzard-1996.nc")) > 0);
        assertTrue(Files.size(out.resolve("forecasts/storm_blizzard-1996.gif")) > 0);
        assertTrue(Files.readString(out.resolve("summary.md")).contains("persistence"));
    }
}
