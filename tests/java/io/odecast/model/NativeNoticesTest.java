package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * libtorch's deprecation notice and its per-call warnings (NNPACK's "Could not initialize" on CPUs it does not support)
 * never reach the terminal unless {@code TORCH_CPP_LOG_LEVEL} asks for them; what the program itself writes to stderr
 * still does.
 */
class NativeNoticesTest {

    /**
     * Loads the shipped forecaster in a fresh JVM (the notice is printed once per process) and runs one arrival and
     * one forecast as the service's decoder does: a lone stream on one thread (on a CPU NNPACK does not support,
     * libtorch 2.7.1 warns on each of its 1x1 convolutions there). Prints "loaded" and libtorch's log threshold.
     */
    public static void main(String[] args) throws IOException {
        try (VidOdeModel model = VidOdeModel.load(Path.of(args[0]))) {
            VidOdeModel.setIntraOpThreads(1);
            StreamState state = model.advance(List.of(model.emptyState()),
                    List.of(new Observation(1.0, new float[model.config().frameSize()], null))).get(0);
            model.forecast(List.of(state), new double[][] {{1.1, 1.2}});
        }
        System.err.println("still heard on stderr");
        System.out.println("loaded " + NativeNotices.libtorchLogLevel());
    }

    private static String[] runChild(String logLevel) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dlogback.configurationFile=conf/logback.xml",
                "-cp", System.getProperty("java.class.path"), NativeNoticesTest.class.getName(),
                "models/storm-forecast");
        builder.environment().remove("TORCH_CPP_LOG_LEVEL");
        if (logLevel != null) {
            builder.environment().put("TORCH_CPP_LOG_LEVEL", logLevel);
        }
        // stderr to a file: a child that warns a lot must not block on a full pipe while stdout is read
        Path errFile = Files.createTempFile("native-notices", ".err");
        try {
            Process p = builder.redirectError(errFile.toFile()).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            String err = Files.readString(errFile, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), err);
            return new String[] {new String(out, StandardCharsets.UTF_8).strip(), err};
        } finally {
            Files.deleteIfExists(errFile);
        }
    }

    /**
     * One child run as the decoder runs: libtorch's threshold is ERROR, neither its deprecation notice nor a
     * warning reaches stderr (on a CPU NNPACK does not support, libtorch 2.7.1 at its default prints NNPACK lines
     * here), and what the program writes to stderr still does.
     */
    @Test
    void aModelRunPrintsNoLibtorchNoticeOrWarning() throws Exception {
        String[] run = runChild(null);
        assertEquals("loaded " + NativeNotices.DEFAULT_LOG_LEVEL, run[0], run[1]);
        assertFalse(run[1].contains("AutoNonVariableTypeMode"), run[1]);
        assertFalse(run[1].contains("NNPACK"), run[1]);
        assertFalse(run[1].contains("[W"), run[1]);
        assertTrue(run[1].contains("still heard on stderr"), run[1]);
    }

    /** A level that is neither libtorch's own default (WARNING) nor odecast's (ERROR), so ignoring it shows. */
    @Test
    void torchCppLogLevelSetsLibtorchsThreshold() throws Exception {
        String[] run = runChild("fatal");
        assertEquals("loaded 3", run[0], run[1]);
        assertTrue(run[1].contains("still heard on stderr"), run[1]);
    }

    @Test
    void logLevelReadsLibtorchsNamesAndNumbers() {
        assertEquals(NativeNotices.DEFAULT_LOG_LEVEL, NativeNotices.logLevel(null));
        assertEquals(NativeNotices.DEFAULT_LOG_LEVEL, NativeNotices.logLevel(" "));
        assertEquals(0, NativeNotices.logLevel("INFO"));
        assertEquals(1, NativeNotices.logLevel("warning"));
        assertEquals(2, NativeNotices.logLevel("2"));
        assertEquals(3, NativeNotices.logLevel(" FATAL "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeNotices.logLevel("loud"));
        assertTrue(e.getMessage().startsWith("TORCH_CPP_LOG_LEVEL: 'loud'"), e.getMessage());
    }
}
