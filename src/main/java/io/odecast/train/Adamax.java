package io.odecast.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.odecast.model.ParameterStore;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PyTorch's Adamax (betas 0.9, 0.999, eps 1e-8, no weight decay): {@code m = b1 m + (1 - b1) g},
 * {@code u = max(b2 u, |g| + eps)}, {@code p -= lr / (1 - b1^t) * m / u}. DJL has no Adamax. Updates run with
 * autograd off and in place, so parameters keep their identity; temporaries live in a per-step manager.
 */
public final class Adamax implements AutoCloseable {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;

    private final List<ParameterStore.Entry> parameters;
    private final NDManager manager = NDManager.newBaseManager();
    private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, NDArray> infNorm = new LinkedHashMap<>();
    private long steps;

    public Adamax(List<ParameterStore.Entry> parameters) {
        this.parameters = List.copyOf(parameters);
        for (ParameterStore.Entry e : parameters) {
            firstMoment.put(e.name(), manager.zeros(e.array().getShape()));
            infNorm.put(e.name(), manager.zeros(e.array().getShape()));
        }
    }

    public long steps() {
        return steps;
    }

    /**
     * The global L2 norm of the gradients, or NaN/infinity when one is not finite. Parameters without a
     * gradient (unused in this step) count as zero.
     */
    public double gradientNorm() {
        double sum = 0;
        try (NDManager tmp = manager.newSubManager()) {
            for (ParameterStore.Entry e : parameters) {
                NDArray g = gradient(e, tmp);
                if (g != null) {
                    sum += g.square().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                }
            }
        }
        return Math.sqrt(sum);
    }

    /** One update with learning rate {@code lr}, gradients scaled by {@code gradientScale} (for clipping). */
    public void step(float lr, float gradientScale) {
        steps++;
        float correctedLr = (float) (lr / (1 - Math.pow(BETA1, steps)));
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager tmp = manager.newSubManager()) {
            for (ParameterStore.Entry e : parameters) {
                NDArray g = gradient(e, tmp);
                if (g == null) {
                    continue;
                }
                if (gradientScale != 1f) {
                    g = g.mul(gradientScale);
                }
                NDArray m = firstMoment.get(e.name());
                NDArray u = infNorm.get(e.name());
                m.muli(BETA1).addi(g.mul(1 - BETA1));
                u.muli(BETA2);
                g.abs().addi(EPS).maximum(u).copyTo(u);
                NDArray update = tmp.zeros(m.getShape()).addi(m).divi(u).muli(correctedLr);
                e.array().subi(update);
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Clears the gradients of these parameters. */
    public void zeroGradients() {
        for (ParameterStore.Entry e : parameters) {
            if (e.array().hasGradient()) {
                JniUtils.zeroGrad((PtNDArray) e.array());
            }
        }
    }

    private static NDArray gradient(ParameterStore.Entry e, NDManager tmp) {
        if (!e.array().hasGradient()) {
            return null;
        }
        NDArray g = e.array().getGradient();
        g.attach(tmp);
        return g;
    }

    /** Saves the moments and the step count. */
    public void save(Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeLong(steps);
            out.writeInt(parameters.size());
            for (ParameterStore.Entry e : parameters) {
                out.writeUTF(e.name());
                write(out, firstMoment.get(e.name()).toFloatArray());
                write(out, infNorm.get(e.name()).toFloatArray());
            }
        }
    }

    /** Restores what {@link #save} wrote for the same parameters. */
    public void load(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            steps = in.readLong();
            int count = in.readInt();
            if (count != parameters.size()) {
                throw new IOException(file + ": optimizer state for " + count + " parameters, expected " + parameters.size());
            }
            for (ParameterStore.Entry e : parameters) {
                String name = in.readUTF();
                if (!name.equals(e.name())) {
                    throw new IOException(file + ": optimizer state for " + name + " where " + e.name() + " was expected");
                }
                firstMoment.get(name).set(read(in, (int) e.array().size()));
                infNorm.get(name).set(read(in, (int) e.array().size()));
            }
        }
    }

    private static void write(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        for (float f : v) {
            out.writeFloat(f);
        }
    }

    private static float[] read(DataInputStream in, int expected) throws IOException {
        int n = in.readInt();
        if (n != expected) {
            throw new IOException("optimizer state has " + n + " values where " + expected + " were expected");
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = in.readFloat();
        }
        return v;
    }

    @Override
    public void close() {
        manager.close();
    }
}
