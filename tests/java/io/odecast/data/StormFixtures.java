package io.odecast.data;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** Paths and the time origin of the NCAR storm fixtures ({@code tests/resources/fixtures/storm}). */
final class StormFixtures {

    static final Path DIR = Path.of("tests/resources/fixtures/storm");
    /** The files hold hour offsets (0, 6, ...) from this reference time (their {@code reftime} text). */
    static final NetcdfFrameReader.TimeOverride HOURS_SINCE_START =
            NetcdfFrameReader.TimeOverride.offsets(Instant.parse("1996-01-05T00:00:00Z"), Duration.ofHours(1));

    private StormFixtures() {
    }

    static Path file(String variable) {
        return DIR.resolve(variable.toUpperCase() + "storm.cdf");
    }

    static FrameSequence read(String... variables) throws Exception {
        NetcdfFrameReader.Builder b = NetcdfFrameReader.builder().timeOverride(HOURS_SINCE_START);
        for (String v : variables) {
            b.variable(file(v), v);
        }
        return b.build().read("storm");
    }
}
