package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.cli.Odecast;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line only: a real run needs child JVMs and is not a unit test (see scripts/chaos.sh). */
class ChaosCommandTest {

    private record Result(int status, String out, String err) {
    }

    private static Result run(String... args) {
        CommandLine cl = Odecast.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void helpListsTheScenarios() {
        Result r = run("chaos", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("--scenario") && r.out().contains("broker-outage"), r.out());
    }

    @Test
    void badArgumentsGiveOneLineAndStatusTwo() {
        for (List<String> args : List.of(List.of("--scenario", "flood"), List.of("--delivery", "maybe"),
                List.of("--streams", "0"), List.of("--frames", "1"), List.of("--outage", "soon"),
                List.of("--big-frame-mib", "64"), List.of("--rss-kill-mib", "100"), List.of("--service-heap", "lots"),
                List.of("--models-dir", "no/such/dir"))) {
            String[] argv = java.util.stream.Stream.concat(java.util.stream.Stream.of("chaos"), args.stream())
                    .toArray(String[]::new);
            Result r = run(argv);
            assertEquals(2, r.status(), args + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), args + ": " + r.err());
            assertTrue(r.err().startsWith("odecast chaos: "), r.err());
        }
    }

    @Test
    void durationsTakeShortAndIsoForms() {
        assertEquals(Duration.ofSeconds(30), ChaosCommand.duration("--x", "30s"));
        assertEquals(Duration.ofMillis(500), ChaosCommand.duration("--x", "500ms"));
        assertEquals(Duration.ofMillis(1500), ChaosCommand.duration("--x", "1.5s"));
        assertEquals(Duration.ofMinutes(2), ChaosCommand.duration("--x", "2m"));
        assertEquals(Duration.ofSeconds(45), ChaosCommand.duration("--x", "PT45S"));
        assertThrows(IllegalArgumentException.class, () -> ChaosCommand.duration("--x", "30 parsecs"));
    }

    @Test
    void vmRssIsReadInKibibytes() {
        assertEquals(123456, RssSampler.parseVmRss(List.of("Name:\tjava", "VmPeak:\t 9 kB", "VmRSS:\t  123456 kB")));
        assertEquals(-1, RssSampler.parseVmRss(List.of("Name:\tjava")));
    }

    @Test
    void theExitReasonIsTheLastFailureLine() {
        String log = """
                odecast serve: consuming t.frames from 127.0.0.1:1; Ctrl-C to stop
                12:00:01 WARN  i.o.s.StreamStateStage - Dead-lettered t-0@3 (WRONG_SHAPE): ...
                odecast serve: stream failed: org.apache.kafka.common.errors.RecordTooLargeException: too big
                12:00:02 WARN  i.o.s.StreamingService - Stream ended with a failure while draining
                12:00:03 INFO  i.o.s.StreamingService - Streaming service stopped
                """;
        assertEquals("odecast serve: stream failed: org.apache.kafka.common.errors.RecordTooLargeException: too big",
                ChaosRun.exitReason(log));
        assertEquals("12:00:03 last", ChaosRun.exitReason("odecast serve: consuming x\n12:00:03 last\n"));
    }
}
