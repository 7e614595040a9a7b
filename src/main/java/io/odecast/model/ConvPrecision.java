package io.odecast.model;

import java.util.Locale;

/**
 * The number format of a model's inference convolutions. Everything else (the ODE state, the solver's sums, GRU
 * gates, warp and composition) stays float32 either way; so do training and every layer with fewer than 16 outputs
 * (libtorch 2.7.1's bf16 convolution was wrong there on one machine of this kind: {@code docs/reliability.md}).
 */
public enum ConvPrecision {
    /** The default: every convolution in float32. */
    FLOAT32,
    /**
     * Convolutions with 16 or more outputs in bf16 (8-bit mantissa), each layer checked against float32 at its first
     * input shape and kept in float32 if it misses {@link Conv2dLayer#BF16_LAYER_TOLERANCE}. About 1.5-2x faster on
     * CPUs with AVX-512 BF16; forecasts differ from float32 by up to 0.5 % of their range, and by up to 5e-4 of it
     * between batch sizes ({@code docs/benchmarks.md}).
     */
    BF16;

    /** Parses {@code float32} or {@code bf16} (any case); the message names the accepted values. */
    public static ConvPrecision parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "float32", "fp32" -> FLOAT32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("precision must be float32 or bf16, not '" + text + "'");
        };
    }

    /** The name the options and reports use. */
    public String label() {
        return this == FLOAT32 ? "float32" : "bf16";
    }
}
