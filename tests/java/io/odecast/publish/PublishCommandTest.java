package io.odecast.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.cli.Odecast;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Errors of {@code odecast publish}: one line naming what is wrong, non-zero exit, no broker needed. */
class PublishCommandTest {

    private record Run(int rc, String err) {
    }

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        var cl = Odecast.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return new Run(cl.execute(args), err.toString().strip());
    }

    @Test
    void aMissingFileIsNamedOnOneLine() {
        Run r = run("publish", "--bootstrap-servers", "127.0.0.1:1", "--netcdf", "/no/such/Ustorm.cdf:u");
        assertNotEquals(0, r.rc());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("/no/such/Ustorm.cdf") && r.err().contains("not found"), r.err());
    }

    @Test
    void anUnknownVariableListsTheAvailableOnes() {
        Run r = run("publish", "--bootstrap-servers", "127.0.0.1:1", "--netcdf",
                "tests/resources/fixtures/storm/Ustorm.cdf:zz");
        assertNotEquals(0, r.rc());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("no variable 'zz'"), r.err());
    }

    @Test
    void aBadTimingIsAUsageError() {
        Run r = run("publish", "--bootstrap-servers", "127.0.0.1:1", "--timing", "slow", "--netcdf",
                "tests/resources/fixtures/storm/Ustorm.cdf:u");
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("fast, real, scaled:N"), r.err());
    }

    @Test
    void twoSourcesAreAUsageError() {
        Run r = run("publish", "--bootstrap-servers", "127.0.0.1:1", "--video", "a.avi", "--netcdf", "b.cdf");
        assertEquals(2, r.rc());
        assertEquals(1, r.err().lines().count(), r.err());
    }
}
