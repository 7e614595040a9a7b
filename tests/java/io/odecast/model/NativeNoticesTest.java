package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** libtorch's deprecation notice never reaches the terminal; what the program itself writes to stderr still does. */
class NativeNoticesTest {

    /** Loads the shipped forecaster in a fresh JVM (the notice is printed once per process) and runs one arrival. */
    public static void main(String[] args) throws IOException {
        try (VidOdeModel model = VidOdeModel.load(Path.of(args[0]))) {
            model.advance(List.of(model.emptyState()),
                    List.of(new Observation(1.0, new float[model.config().frameSize()], null)));
        }
        System.err.println("still heard on stderr");
        System.out.println("loaded");
    }

    @Test
    void loadingAModelPrintsNoLibtorchNotice() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dlogback.configurationFile=conf/logback.xml",
                "-cp", System.getProperty("java.class.path"), NativeNoticesTest.class.getName(), "models/storm-forecast")
                .start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertEquals("loaded", new String(out, StandardCharsets.UTF_8).strip());
        assertFalse(err.contains("AutoNonVariableTypeMode"), err);
        assertTrue(err.contains("still heard on stderr"), err);
    }
}
