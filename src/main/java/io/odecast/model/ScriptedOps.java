package io.odecast.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Inference operations run as shipped TorchScript functions ({@code scripted-ops.pt}, written by
 * {@code scripts/make-scripted-ops.py}) where DJL's own operations fall short:
 * <ul>
 *   <li>{@link #upsampleBilinear2x}: DJL 0.35.1's bilinear interpolation reaches libtorch's anti-aliased kernel
 *   ({@code _upsample_bilinear2d_aa}), which for up-sampling gives the same values (4.8e-7 apart) at several times
 *   the cost of the plain one: 20-32 % of a storm forecast at batch 32 (docs/benchmarks.md). Autograd stays with
 *   DJL's kernel (a scripted call here runs with gradients off).</li>
 *   <li>{@link #conv2dBf16}: float32 in and out, the convolution itself in bf16. DJL's PyTorch engine
 * cannot hold a bf16 tensor (its JNI maps no bf16 type; {@code toType(BFLOAT16)} aborts the JVM), so the casts have
 * to happen inside libtorch. The module holds no weights: each call passes the layer's float32 weights, so model
 * swaps and BatchNorm folding need nothing new, at the cost of casting the weights on every call (under 1 % of a
 * call at the shapes this path is used for).</li>
 * </ul>
 *
 * <p>One module serves every thread: it is called through DJL's IValue path, which runs the scripted method with
 * training off and keeps no state between calls (PtSymbolBlock's NDList path flips a shared training flag).
 */
final class ScriptedOps {

    /** The CPU flags of an x86 processor with native bf16 dot products (AVX-512 BF16 or AMX). */
    private static final Set<String> NATIVE_FLAGS = Set.of("avx512_bf16", "amx_bf16");

    private static volatile PtSymbolBlock block;
    /** The loaded module's model: referenced for the life of the process (closing it releases the module). */
    private static Model model;

    private ScriptedOps() {
    }

    /**
     * Whether the calling thread may take a scripted path: only with autograd off, since a scripted call through DJL
     * records no gradient (training keeps DJL's operations).
     */
    static boolean usable() {
        return !ai.djl.pytorch.jni.JniUtils.isGradMode();
    }

    /** {@code conv2d(x, weight, bias)} with the product in bf16; the result is in x's manager. */
    static NDArray conv2dBf16(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return convolution("forward", x, weight, bias, stride, padding);
    }

    /**
     * One stage of the decoder G in inference: bilinear x2, 3x3 convolution (padding 1; bf16 if asked), ReLU, computed
     * and returned in the channels-last layout; the result is in x's manager.
     */
    static NDArray decoderStage(NDArray x, NDArray weight, NDArray bias, boolean bf16) {
        return call("decoder_stage", (PtNDManager) x.getManager(), IValue.from((PtNDArray) x),
                IValue.from((PtNDArray) weight), IValue.from((PtNDArray) bias), IValue.from(bf16));
    }

    /**
     * The ODE vector field in inference: conv, then tanh and conv for each further layer (3x3, padding 1), one call in
     * the channels-last layout, convolution i in bf16 where {@code bf16[i]}; the result is in the plain layout, in h's
     * manager.
     */
    static NDArray odeField(NDArray h, NDArray[] weights, NDArray[] biases, boolean[] bf16) {
        PtNDArray[] w = new PtNDArray[weights.length];
        PtNDArray[] b = new PtNDArray[biases.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (PtNDArray) weights[i];
            b[i] = (PtNDArray) biases[i];
        }
        return call("ode_field", (PtNDManager) h.getManager(), IValue.from((PtNDArray) h), IValue.listFrom(w),
                IValue.listFrom(b), IValue.listFrom(bf16));
    }

    /**
     * Convolution then ReLU in the channels-last layout (bf16 if asked); the result in the plain layout if
     * {@code plain}, else channels-last; in x's manager.
     */
    static NDArray convRelu(NDArray x, NDArray weight, NDArray bias, int stride, int padding, boolean bf16,
                            boolean plain) {
        return call("conv_relu", (PtNDManager) x.getManager(), IValue.from((PtNDArray) x),
                IValue.from((PtNDArray) weight), IValue.from((PtNDArray) bias), IValue.from((long) stride),
                IValue.from((long) padding), IValue.from(bf16), IValue.from(plain));
    }

    /**
     * A float32 convolution by oneDNN whatever the batch, the result in x's layout and manager. libtorch sends a lone
     * sample's 3x3 convolution on an input of at most 20480 values to its native im2col kernel, which at the models'
     * latent grid is slower than oneDNN (docs/benchmarks.md, "A lone sample's convolutions by oneDNN"); from two
     * samples on libtorch picks oneDNN itself for kernels larger than 1x1 (1x1 ones stay on its own kernel below a
     * batch of 16 on one thread, on purpose, and are not sent here).
     */
    static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return convolution("conv2d", x, weight, bias, stride, padding);
    }

    /** A scripted convolution method taking (x, weight, bias, stride, padding); a missing bias as zeros. */
    private static NDArray convolution(String method, NDArray x, NDArray weight, NDArray bias, int stride,
                                       int padding) {
        PtNDManager m = (PtNDManager) x.getManager();
        NDArray b = bias != null ? bias : m.zeros(new Shape(weight.getShape().get(0)));
        // IValues, not an NDList: DJL turns NDList inputs whose names hold a dot (our parameters' names) into dicts.
        return call(method, m, IValue.from((PtNDArray) x), IValue.from((PtNDArray) weight),
                IValue.from((PtNDArray) b), IValue.from((long) stride), IValue.from((long) padding));
    }

    /** A float32 convolution, stride 1, result in the plain layout whatever x's. */
    static NDArray conv2dContiguous(NDArray x, NDArray weight, NDArray bias, int padding) {
        return call("conv2d_contiguous", (PtNDManager) x.getManager(), IValue.from((PtNDArray) x),
                IValue.from((PtNDArray) weight), IValue.from((PtNDArray) bias), IValue.from((long) padding));
    }

    /** Bilinear x2 up-sampling of (B, C, H, W), {@code align_corners=False}; the result is in x's manager. */
    static NDArray upsampleBilinear2x(NDArray x) {
        return call("upsample_bilinear2x", (PtNDManager) x.getManager(), IValue.from((PtNDArray) x));
    }

    private static NDArray call(String method, PtNDManager m, IValue... in) {
        try {
            IValue out = IValueUtils.runMethod(block(), method, in);
            try {
                return out.toTensor(m);
            } finally {
                out.close();
            }
        } finally {
            for (IValue v : in) {
                v.close();
            }
        }
    }

    private static PtSymbolBlock block() {
        PtSymbolBlock b = block;
        if (b == null) {
            synchronized (ScriptedOps.class) {
                b = block;
                if (b == null) {
                    b = load();
                    block = b;
                }
            }
        }
        return b;
    }

    private static PtSymbolBlock load() {
        NativeNotices.absorb();
        try {
            Path dir = Files.createTempDirectory("odecast-ops-");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve("scripted-ops.pt");
            try (InputStream in = ScriptedOps.class.getResourceAsStream("scripted-ops.pt")) {
                if (in == null) {
                    throw new IllegalStateException("scripted-ops.pt missing from the classpath (io/odecast/model)");
                }
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            file.toFile().deleteOnExit();
            // Kept for the life of the process: the module is shared by every model and thread.
            Model loadedModel = Model.newInstance("scripted-ops", "PyTorch");
            loadedModel.load(dir, "scripted-ops");
            model = loadedModel;
            return (PtSymbolBlock) loadedModel.getBlock();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the scripted operations", e);
        } catch (ai.djl.MalformedModelException e) {
            throw new IllegalStateException("cannot load the scripted operations: " + e.getMessage(), e);
        }
    }

    /**
     * Whether this CPU computes bf16 products natively; elsewhere oneDNN emulates them, correctly but slower than
     * float32. Reads {@code /proc/cpuinfo}; false where it cannot be read.
     */
    static boolean nativeOnThisCpu() {
        return NativeBf16.PRESENT;
    }

    /** {@link #nativeOnThisCpu}, read once per process. */
    private static final class NativeBf16 {
        static final boolean PRESENT = cpuFlags().stream().anyMatch(NATIVE_FLAGS::contains);
    }

    private static Set<String> cpuFlags() {
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.toLowerCase(Locale.ROOT).startsWith("flags")) {
                    int colon = line.indexOf(':');
                    for (String f : line.substring(colon + 1).trim().split("\\s+")) {
                        flags.add(f);
                    }
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
        return flags;
    }
}
