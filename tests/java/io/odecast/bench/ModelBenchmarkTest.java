package io.odecast.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.odecast.model.ConvPrecision;
import io.odecast.model.VidOdeModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The model benchmark's decoder-path timing runs in the precision of the row it fills. */
class ModelBenchmarkTest {
    private static final ModelBenchmark.Case TINY = new ModelBenchmark.Case("tiny", 1, 12, 12, 4, 1);

    @Test
    void theDecoderPathOfABf16RowRunsInBf16() {
        assumeTrue(VidOdeModel.availablePrecision(ConvPrecision.BF16) == ConvPrecision.BF16,
                "this CPU has no native bf16 (avx512_bf16 or amx_bf16)");
        ModelBenchmark bench = new ModelBenchmark(1, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).precision(ConvPrecision.BF16);
        ModelBenchmark.DecoderPath path = bench.timeDecoderPath(TINY, 2, 2);
        assertEquals(ConvPrecision.BF16, path.precision());
        assertTrue(path.msPerStream() > 0);
    }

    @Test
    void theDecoderPathOfAFloat32RowRunsInFloat32() {
        ModelBenchmark bench = new ModelBenchmark(1, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).precision(ConvPrecision.FLOAT32);
        assertEquals(ConvPrecision.FLOAT32, bench.timeDecoderPath(TINY, 2, 2).precision());
    }
}
