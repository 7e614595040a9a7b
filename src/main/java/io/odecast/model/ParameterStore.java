package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Named parameters (trainable) and buffers (BatchNorm running statistics) of a network, in the network's
 * long-lived manager, in declaration order. Loading copies values into the existing arrays, so blocks keep
 * their references. The file format is ours: a magic, then per entry its name, kind, shape and float32 data.
 */
public final class ParameterStore {

    private static final int MAGIC = 0x4F444350; // "ODCP"
    private static final int FORMAT = 1;

    /** One named array; {@code trainable} is false for buffers. */
    public record Entry(String name, NDArray array, boolean trainable) {
    }

    private final NDManager manager;
    private final Random rng;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    /** The inference convolutions' number format, read by every layer of this network on every call. */
    private volatile ConvPrecision precision = ConvPrecision.FLOAT32;

    ParameterStore(NDManager manager, long seed) {
        this.manager = manager;
        this.rng = new Random(seed);
    }

    ConvPrecision precision() {
        return precision;
    }

    void precision(ConvPrecision value) {
        precision = value;
    }

    /** A trainable array drawn from U(-bound, bound), PyTorch's default for convolution weights and biases. */
    NDArray uniform(String name, Shape shape, double bound) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return add(name, manager.create(v, shape), true);
    }

    NDArray constant(String name, Shape shape, float value, boolean trainable) {
        float[] v = new float[Math.toIntExact(shape.size())];
        Arrays.fill(v, value);
        return add(name, manager.create(v, shape), trainable);
    }

    private NDArray add(String name, NDArray array, boolean trainable) {
        if (entries.containsKey(name)) {
            throw new IllegalStateException("parameter declared twice: " + name);
        }
        array.setName(name);
        entries.put(name, new Entry(name, array, trainable));
        return array;
    }

    public List<Entry> entries() {
        return Collections.unmodifiableList(new ArrayList<>(entries.values()));
    }

    /** Trainable entries whose name starts with {@code prefix} (e.g. "gen." or "disc."). */
    public List<Entry> trainable(String prefix) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.trainable && e.name.startsWith(prefix)) {
                out.add(e);
            }
        }
        return out;
    }

    public Entry get(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return e;
    }

    /** Total number of trainable scalars whose name starts with {@code prefix}. */
    public long count(String prefix) {
        long n = 0;
        for (Entry e : trainable(prefix)) {
            n += e.array.size();
        }
        return n;
    }

    /**
     * Copies every entry's values from {@code source}, a store of the same architecture (in memory, as {@link #save}
     * then {@link #load} would, without the file).
     *
     * @throws IllegalArgumentException when {@code source} lacks an entry or holds it in another shape
     */
    public void copyFrom(ParameterStore source) {
        for (Entry e : entries.values()) {
            Entry from = source.entries.get(e.name);
            if (from == null || !from.array.getShape().equals(e.array.getShape())) {
                throw new IllegalArgumentException("cannot copy parameter " + e.name + " " + e.array.getShape()
                        + " from " + (from == null ? "a store without it" : "shape " + from.array.getShape()));
            }
            e.array.set(from.array.toFloatArray());
        }
    }

    /** Writes every entry (parameters and buffers). */
    public void save(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(os, 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeInt(entries.size());
            for (Entry e : entries.values()) {
                out.writeUTF(e.name);
                out.writeBoolean(e.trainable);
                long[] dims = e.array.getShape().getShape();
                out.writeInt(dims.length);
                for (long d : dims) {
                    out.writeLong(d);
                }
                out.write(e.array.toByteArray());
            }
        }
    }

    /**
     * Reads a file written by {@link #save} into the existing arrays. Every entry must be present with the
     * declared shape; the error names the file and the parameter otherwise.
     */
    public void load(Path file) throws IOException {
        Map<String, Entry> missing = new LinkedHashMap<>(entries);
        try (InputStream is = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(is, 1 << 16))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(file + ": not an odecast parameter file (bad magic)");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IOException(file + ": parameter file format " + format + ", this build reads " + FORMAT);
            }
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                in.readBoolean();
                long[] dims = new long[in.readInt()];
                for (int d = 0; d < dims.length; d++) {
                    dims[d] = in.readLong();
                }
                Shape shape = new Shape(dims);
                Entry e = missing.remove(name);
                if (e == null) {
                    throw new IOException(file + ": parameter " + name + " " + shape
                            + " is not part of a model with this configuration");
                }
                if (!e.array.getShape().equals(shape)) {
                    throw new IOException(file + ": parameter " + name + " has shape " + shape
                            + " in the checkpoint but the configuration expects " + e.array.getShape());
                }
                byte[] bytes = new byte[Math.toIntExact(shape.size() * 4)];
                in.readFully(bytes);
                float[] values = new float[bytes.length / 4];
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
                e.array.set(values);
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(file + ": checkpoint lacks parameter " + missing.keySet().iterator().next()
                    + " (" + missing.size() + " missing in all)");
        }
    }

    /** A short content hash of every entry's name, shape and values: the model version. */
    public String version() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Entry e : entries.values()) {
                sha.update(e.name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update(e.array.getShape().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update(e.array.toByteArray());
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
