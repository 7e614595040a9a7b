package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.odecast.ode.OdeSolution;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batched inference API the streaming layer calls: create an empty state, advance a batch of states by one
 * arrival each (each with its own gap), forecast a batch of states at their own future times, and interpolate
 * windows of irregular frames. Inputs and outputs are in physical units; normalisation, validity masks,
 * padding and the time unit come from the {@link ModelCard}.
 *
 * <p>Inference is batch-independent: BatchNorm uses running statistics and fixed-step solvers give each stream
 * exactly the steps it would take alone, so a stream's output does not depend on what else is in its batch.
 * Thread-safe: every call works in its own sub-manager and turns autograd off on its thread.
 */
public final class VidOdeModel implements AutoCloseable {

    private final VidOdeNetwork network;
    private final ModelCard card;
    private final String version;
    private final String encodingVersion;
    private final ModelConfig config;
    private final AtomicLong encoderEvaluations = new AtomicLong();
    private final AtomicLong decoderEvaluations = new AtomicLong();
    /** Whether the refusal of bf16 on this CPU was logged (once per process). */
    private static final java.util.concurrent.atomic.AtomicBoolean BF16_REFUSAL_LOGGED =
            new java.util.concurrent.atomic.AtomicBoolean();

    public VidOdeModel(VidOdeNetwork network, ModelCard card) {
        if (card.channels().size() != network.config().channels()) {
            throw new IllegalArgumentException("model card names " + card.channels().size() + " channels "
                    + card.channels() + " but the network has " + network.config().channels());
        }
        this.network = network;
        this.card = card;
        this.config = network.config();
        String weights = network.parameters().version();
        this.version = ServingVersion.of(weights, network.config(), card);
        this.encodingVersion = ServingVersion.encoding(weights, network.config(), card);
        network.prepareInference();
    }

    /**
     * Asks for the inference convolutions' number format and returns the one in effect: {@link ConvPrecision#BF16}
     * only where the CPU computes bf16 natively (elsewhere oneDNN emulates it, slower than float32, so the model
     * stays float32 and this logs why). See {@link ConvPrecision}.
     */
    public ConvPrecision usePrecision(ConvPrecision requested) {
        ConvPrecision effective = availablePrecision(requested);
        network.precision(effective);
        return effective;
    }

    /**
     * The precision a request for {@code requested} gets on this CPU: bf16 only where it is native (logged once per
     * process otherwise).
     */
    public static ConvPrecision availablePrecision(ConvPrecision requested) {
        if (requested == ConvPrecision.BF16 && !ScriptedOps.nativeOnThisCpu()) {
            if (!BF16_REFUSAL_LOGGED.getAndSet(true)) {
                org.slf4j.LoggerFactory.getLogger(VidOdeModel.class).warn("precision bf16 asked for, but this CPU "
                        + "has no native bf16 instructions (avx512_bf16 or amx_bf16 in /proc/cpuinfo): staying float32");
            }
            return ConvPrecision.FLOAT32;
        }
        return requested;
    }

    /** The inference convolutions' number format in effect. */
    public ConvPrecision precision() {
        return network.precision();
    }

    /** Loads {@code models/<name>/}. */
    public static VidOdeModel load(Path dir) throws IOException {
        Checkpoint.Loaded loaded = Checkpoint.load(dir);
        return new VidOdeModel(loaded.network(), loaded.card());
    }

    /** Writes this model as a checkpoint folder; returns the version. */
    public String save(Path dir) throws IOException {
        return Checkpoint.save(dir, network, card);
    }

    public ModelConfig config() {
        return config;
    }

    public ModelCard card() {
        return card;
    }

    /**
     * Hash of what a stream's state depends on (the version without the blend, {@link ServingVersion#encoding}):
     * versions that share it encode the same frames into the same state.
     */
    public String encodingVersion() {
        return encodingVersion;
    }

    /** The version: hash of the weights, architecture and the card's serving part ({@link ServingVersion}). */
    public String version() {
        return version;
    }

    public VidOdeNetwork network() {
        return network;
    }

    /**
     * Floating-point operations (2 per multiply-add) of all convolutions run in this process so far, every model
     * together: a benchmark divides the difference over a timed call by its time.
     */
    public static long convolutionFlops() {
        return Conv2dLayer.FLOPS.sum();
    }

    /** ODE function evaluations (each covering a whole batch) spent between arrivals so far. */
    public long encoderEvaluations() {
        return encoderEvaluations.get();
    }

    /** ODE function evaluations spent decoding forecasts and interpolations so far. */
    public long decoderEvaluations() {
        return decoderEvaluations.get();
    }

    /**
     * Sets the libtorch intra-op threads of the calling thread's model calls (OpenMP's thread count is per calling
     * thread, so each worker thread sets its own).
     */
    public static void setIntraOpThreads(int threads) {
        JniUtils.setNumThreads(threads);
    }

    public StreamState emptyState() {
        return StreamState.empty(config);
    }

    /**
     * Advances each state by one arrival: integrate f_theta from the state's last time to the observation's
     * time (nothing for a stream's first frame), then the ConvGRU update with the new frame.
     *
     * @throws IllegalArgumentException if an observation is not after its state's last time or has the wrong size
     */
    public List<StreamState> advance(List<StreamState> states, List<Observation> observations) {
        return advanceAndForecast(states, observations, new double[states.size()][0]).stream()
                .map(Stepped::state).toList();
    }

    /** A state advanced by one arrival and its forecast from there. */
    public record Stepped(StreamState state, float[][] forecast) {
    }

    /**
     * {@link #advance} then {@link #forecast} from the new states in one native session, so a state crosses between
     * the JVM and native memory once per arrival: the results equal the two calls made one after the other.
     *
     * @param times per state, increasing model times after its observation, the same count for every state; a
     *              count of 0 only advances (the forecasts are then empty)
     * @throws IllegalArgumentException as {@link #advance} and {@link #forecast}
     */
    public List<Stepped> advanceAndForecast(List<StreamState> states, List<Observation> observations,
                                            double[][] times) {
        int batch = states.size();
        if (observations.size() != batch || times.length != batch) {
            throw new IllegalArgumentException(batch + " states but " + observations.size() + " observations and "
                    + times.length + " time lists");
        }
        int count = batch == 0 ? 0 : times[0].length;
        double[] gaps = new double[batch];
        double[][] spans = new double[batch][];
        for (int b = 0; b < batch; b++) {
            StreamState s = states.get(b);
            Observation o = observations.get(b);
            checkFrame(o, "observation " + b);
            if (!s.isEmpty()) {
                gaps[b] = o.time() - s.lastTime();
                if (!(gaps[b] > 0)) {
                    throw new IllegalArgumentException("observation " + b + " at model time " + o.time()
                            + " is not after the stream's last time " + s.lastTime());
                }
            }
            if (times[b].length != count) {
                throw new IllegalArgumentException("every state needs the same number of forecast times");
            }
            spans[b] = leadSpans(times[b], o.time(), "forecast times of state " + b
                    + " must increase and follow its observation's time " + o.time());
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = network.manager().newSubManager()) {
            NDArray hidden = stack(m, states, StreamState::hidden, latentShape(batch));
            OdeSolution evolved = network.evolve(hidden, gaps);
            encoderEvaluations.addAndGet(evolved.functionEvaluations());
            float[][] frames = new float[batch][];
            for (int b = 0; b < batch; b++) {
                frames[b] = normalise(observations.get(b));
            }
            NDArray x = network.pad(m.create(concat(frames), new Shape(batch, config.channels(), config.height(),
                    config.width())));
            NDArray encoded = network.encode(x, false);
            NDArray next = network.update(encoded, evolved.last(), null);
            List<boolean[]> valid = new ArrayList<>(batch);
            for (Observation o : observations) {
                valid.add(validity(o));
            }
            List<float[]> motions = new ArrayList<>(java.util.Collections.nCopies(batch, (float[]) null));
            if (config.motionPrior()) {
                for (int b = 0; b < batch; b++) {
                    StreamState s = states.get(b);
                    if (!s.isEmpty()) {
                        motions.set(b, MotionPrior.velocity(config, MotionPrior.crop(config, s.lastFrame()),
                                s.lastValid(), frames[b], valid.get(b), gaps[b]));
                    }
                }
            }
            List<float[][]> forecasts;
            if (count > 0) {
                OdeSolution latents = network.decodeLatents(network.decoderInitial(next), spans);
                decoderEvaluations.addAndGet(latents.functionEvaluations());
                VidOdeNetwork.Rendered r = network.render(latents.states().subList(1, count + 1), x, encoded,
                        MotionPrior.flows(m, config, motions, spans), false);
                forecasts = toPhysical(r.frames(), valid, batch);
            } else {
                forecasts = new ArrayList<>(batch);
                for (int b = 0; b < batch; b++) {
                    forecasts.add(new float[0][]);
                }
            }
            float[] h = next.toFloatArray();
            float[] padded = x.toFloatArray();
            float[] e = encoded.toFloatArray();
            int latent = config.latentSize();
            int frame = config.channels() * config.paddedHeight() * config.paddedWidth();
            List<Stepped> out = new ArrayList<>(batch);
            for (int b = 0; b < batch; b++) {
                Observation o = observations.get(b);
                out.add(new Stepped(new StreamState(slice(h, b, latent), slice(padded, b, frame), slice(e, b, latent),
                        valid.get(b), o.time(), states.get(b).frames() + 1, motions.get(b)), forecasts.get(b)));
            }
            return out;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Sub-steps the encoder's solver takes over a gap of {@code gap} model time ({@link #substeps}).
     */
    public long encoderSubsteps(double gap) {
        return substeps(gap, config.encoderMaxStep());
    }

    /** Sub-steps the decoder's solver takes over {@code span} model time ({@link #substeps}). */
    public long decoderSubsteps(double span) {
        return substeps(span, config.decoderMaxStep());
    }

    /**
     * Sub-steps a solver with maximum step {@code max} takes over {@code span} model time: ceil(span / max) for the
     * fixed-step solvers (within {@link io.odecast.ode.FixedStepSolver#STEP_TOLERANCE}, as they count them), the
     * same estimate for an adaptive one with a maximum step, 1 without one, 0 for no span.
     */
    static long substeps(double span, double max) {
        if (!(span > 0)) {
            return 0;
        }
        if (!(max > 0) || Double.isInfinite(max)) {
            return 1;
        }
        double steps = io.odecast.ode.FixedStepSolver.subSteps(span, max);
        return steps >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) steps;
    }

    /**
     * Forecasts each state at its own model times, all after its last arrival (the same count for every
     * state): decode f_phi from z = head(h) at the last arrival, then G, warp and composition.
     *
     * @return per state, per time, C x H x W values in physical units (invalid cells of the last arrival get
     *     the fill value)
     */
    public List<float[][]> forecast(List<StreamState> states, double[][] times) {
        int batch = states.size();
        if (times.length != batch) {
            throw new IllegalArgumentException(batch + " states but " + times.length + " time lists");
        }
        int count = batch == 0 ? 0 : times[0].length;
        double[][] spans = new double[batch][];
        for (int b = 0; b < batch; b++) {
            StreamState s = states.get(b);
            if (s.isEmpty()) {
                throw new IllegalArgumentException("state " + b + " has seen no frame yet; nothing to forecast from");
            }
            if (times[b].length != count || count == 0) {
                throw new IllegalArgumentException("every state needs the same number (> 0) of forecast times");
            }
            spans[b] = leadSpans(times[b], s.lastTime(), "forecast times of state " + b
                    + " must increase and follow its last time " + s.lastTime());
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = network.manager().newSubManager()) {
            NDArray hidden = stack(m, states, StreamState::hidden, latentShape(batch));
            NDArray start = stack(m, states, StreamState::lastFrame,
                    new Shape(batch, config.channels(), config.paddedHeight(), config.paddedWidth()));
            NDArray startLatent = stack(m, states, StreamState::lastEncoded, latentShape(batch));
            OdeSolution latents = network.decodeLatents(network.decoderInitial(hidden), spans);
            decoderEvaluations.addAndGet(latents.functionEvaluations());
            List<NDArray> priors = config.motionPrior()
                    ? MotionPrior.flows(m, config, states.stream().map(StreamState::motion).toList(), spans) : null;
            VidOdeNetwork.Rendered r = network.render(latents.states().subList(1, count + 1), start, startLatent,
                    priors, false);
            List<boolean[]> valid = new ArrayList<>(batch);
            for (StreamState s : states) {
                valid.add(s.lastValid());
            }
            return toPhysical(r.frames(), valid, batch);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Fills in frames inside windows of irregular observations with the reference's window encoder (reverse
     * order) and decoder (forward from the window's first time), one batch of equally long windows at a time.
     * The decoder renders at every window time and query time in order, as in training, so the warp chain
     * passes through the observed frames' times too; only the query times are returned. For each window whose
     * queries all lie inside it, a second pass over the window reversed in time is blended in by each query's
     * position between its neighbours, so a gap is rendered from both sides ({@link #interpolateForward} is one
     * pass). A pass is only as good as the frame it renders a gap from (the forward pass the frame before the gap,
     * the reversed pass the frame after it): a cell invalid in one of them takes the other pass's value alone, and
     * a cell invalid in both is the card's fill value (NaN without one); {@link #fillValidity} says which cells are
     * valid.
     *
     * @param windows observations in increasing time, the same count per window
     * @param times   per window, increasing query times at or after the window's first time, none equal to a
     *                frame time
     * @return per window, per query time, C x H x W values in physical units
     */
    public List<float[][]> interpolate(List<List<Observation>> windows, double[][] times) {
        List<float[][]> forward = interpolateForward(windows, times);
        // Per window, not per batch: a window's fill does not depend on what else is in its batch.
        List<Integer> inside = new ArrayList<>();
        for (int b = 0; b < windows.size(); b++) {
            if (bothSides(windows.get(b), times[b])) {
                inside.add(b);
            }
        }
        if (inside.isEmpty()) {
            return forward;
        }
        // The same model on the window run backwards in time (frames reversed, times negated), so that a query
        // is also rendered from its right neighbour; the two are blended by the query's position in its gap.
        List<List<Observation>> reversed = new ArrayList<>(inside.size());
        double[][] reversedTimes = new double[inside.size()][];
        for (int n = 0; n < inside.size(); n++) {
            int b = inside.get(n);
            List<Observation> w = new ArrayList<>(windows.get(b));
            java.util.Collections.reverse(w);
            reversed.add(w.stream().map(o -> new Observation(-o.time(), o.data(), o.valid())).toList());
            reversedTimes[n] = new double[times[b].length];
            for (int k = 0; k < times[b].length; k++) {
                reversedTimes[n][k] = -times[b][times[b].length - 1 - k];
            }
        }
        List<float[][]> backward = interpolateForward(reversed, reversedTimes);
        List<float[][]> out = new ArrayList<>(forward);
        for (int n = 0; n < inside.size(); n++) {
            int b = inside.get(n);
            List<Observation> w = windows.get(b);
            int count = times[b].length;
            float[][] blended = new float[count][];
            int right = 0;
            boolean[] leftValid = null;
            boolean[] rightValid = null;
            for (int k = 0; k < count; k++) {
                double t = times[b][k];
                if (k == 0 || w.get(right).time() < t) {
                    while (w.get(right).time() < t) {
                        right++;
                    }
                    leftValid = validity(w.get(right - 1));
                    rightValid = validity(w.get(right));
                }
                double t0 = w.get(right - 1).time();
                double x = (t - t0) / (w.get(right).time() - t0);
                // The forward pass renders the query from frame right - 1 (and writes the fill value where that
                // frame is invalid), the reversed pass from frame right.
                float[] f = forward.get(b)[k];
                float[] r = backward.get(n)[count - 1 - k];
                float[] mix = new float[f.length];
                for (int i = 0; i < mix.length; i++) {
                    boolean fromLeft = leftValid == null || leftValid[i];
                    boolean fromRight = rightValid == null || rightValid[i];
                    mix[i] = fromLeft && fromRight ? (float) ((1 - x) * f[i] + x * r[i]) : fromRight ? r[i] : f[i];
                }
                blended[k] = mix;
            }
            out.set(b, blended);
        }
        return out;
    }

    /**
     * Per query time, the cells {@link #interpolate} gives a value for in this window (null: every cell): those
     * valid in the frame before the query or, when the window is filled from both sides (every query inside it),
     * in the frame after it. Elsewhere its output is the card's fill value (NaN without one). A frame's cells are
     * invalid where its mask says so or its value is not finite.
     */
    public boolean[][] fillValidity(List<Observation> window, double[] times) {
        boolean both = bothSides(window, times);
        boolean[][] out = new boolean[times.length][];
        int right = 0;
        for (int k = 0; k < times.length; k++) {
            while (right < window.size() && window.get(right).time() < times[k]) {
                right++;
            }
            if (right == 0) {
                throw new IllegalArgumentException("query time " + times[k] + " is before the window's first frame");
            }
            boolean[] left = validity(window.get(right - 1));
            out[k] = both ? either(left, validity(window.get(right))) : left;
        }
        return out;
    }

    /** Whether {@link #interpolate} blends a reversed pass into this window's fill: every query is inside it. */
    private static boolean bothSides(List<Observation> window, double[] times) {
        return times.length > 0 && times[times.length - 1] < window.get(window.size() - 1).time();
    }

    /** Cell-wise or of two validity masks (null: every cell valid). */
    private static boolean[] either(boolean[] a, boolean[] b) {
        if (a == null || b == null) {
            return null;
        }
        boolean[] out = new boolean[a.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] || b[i];
        }
        return out;
    }

    /**
     * The forward pass of {@link #interpolate} alone: every query rendered from the observed frames before it
     * (the reference's direction), and the card's fill value (NaN without one) where the frame just before it is
     * invalid. Kept public to compare with the bidirectional blend.
     */
    public List<float[][]> interpolateForward(List<List<Observation>> windows, double[][] times) {
        int batch = windows.size();
        if (times.length != batch || batch == 0) {
            throw new IllegalArgumentException(batch + " windows but " + times.length + " time lists");
        }
        int length = windows.get(0).size();
        int count = times[0].length;
        double[][] frameTimes = new double[batch][length];
        double[][] spans = new double[batch][length + count];
        int[][] queryAt = new int[batch][count];
        int[][] frameAt = new int[batch][length + count];
        // Per window and decode step, the cells a query's render is valid at: those of the frame before it (the
        // warp chain restarts there); null at the frames' own steps, whose renders are discarded.
        boolean[][][] stepValid = new boolean[batch][length + count][];
        float[][] frames = new float[batch * length][];
        for (int b = 0; b < batch; b++) {
            List<Observation> w = windows.get(b);
            if (w.size() != length || length == 0 || times[b].length != count || count == 0) {
                throw new IllegalArgumentException("windows in one batch need the same (non-zero) number of frames and"
                        + " of query times");
            }
            for (int i = 0; i < length; i++) {
                checkFrame(w.get(i), "window " + b + " frame " + i);
                frameTimes[b][i] = w.get(i).time();
                if (i > 0 && !(frameTimes[b][i] > frameTimes[b][i - 1])) {
                    throw new IllegalArgumentException("window " + b + ": frame times must increase");
                }
                frames[b * length + i] = normalise(w.get(i));
            }
            boolean[][] frameValid = new boolean[length][];
            for (int i = 0; i < length; i++) {
                frameValid[i] = validity(w.get(i));
            }
            // Merge frame times and query times into one increasing decode grid.
            int i = 0;
            int k = 0;
            for (int j = 0; j < length + count; j++) {
                boolean takeQuery = k < count && (i >= length || times[b][k] < frameTimes[b][i]);
                double t;
                if (takeQuery) {
                    t = times[b][k];
                    if (t < frameTimes[b][0] || (k > 0 && !(t > times[b][k - 1])) || (i > 0 && t == frameTimes[b][i - 1])) {
                        throw new IllegalArgumentException("window " + b + ": query times must increase, start at the"
                                + " first frame's time and differ from the frame times");
                    }
                    frameAt[b][j] = -1;
                    queryAt[b][k++] = j;
                    stepValid[b][j] = frameValid[i - 1];
                } else {
                    frameAt[b][j] = i;
                    t = frameTimes[b][i++];
                }
                spans[b][j] = t - frameTimes[b][0];
            }
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = network.manager().newSubManager()) {
            NDArray x = network.pad(m.create(concat(frames),
                    new Shape((long) batch * length, config.channels(), config.height(), config.width())));
            NDArray encoded = network.encode(x, false);
            NDArray sequence = encoded.reshape(new Shape(batch, length).addAll(encoded.getShape().slice(1)));
            NDArray h = network.encodeReversed(sequence, null, frameTimes);
            OdeSolution latents = network.decodeLatents(network.decoderInitial(h), spans);
            decoderEvaluations.addAndGet(latents.functionEvaluations());
            NDArray padded = x.reshape(new Shape(batch, length).addAll(x.getShape().slice(1)));
            int steps = length + count;
            List<NDArray> anchors = new ArrayList<>(steps);
            List<NDArray> anchorLatents = new ArrayList<>(steps);
            List<NDArray> anchorMasks = new ArrayList<>(steps);
            anchors.add(padded.get(":, 0"));
            anchorLatents.add(sequence.get(":, 0"));
            anchorMasks.add(null);
            for (int j = 1; j < steps; j++) {
                // The previous decoded time of each window: an observed frame (restart the chain) or a query.
                NDList frameList = new NDList();
                NDList latentList = new NDList();
                float[] observed = new float[batch];
                boolean any = false;
                for (int b = 0; b < batch; b++) {
                    int i = frameAt[b][j - 1];
                    observed[b] = i >= 0 ? 1f : 0f;
                    any |= i >= 0;
                    frameList.add(padded.get(new NDIndex(b, Math.max(i, 0))));
                    latentList.add(sequence.get(new NDIndex(b, Math.max(i, 0))));
                }
                anchors.add(any ? NDArrays.stack(frameList) : null);
                anchorLatents.add(any ? NDArrays.stack(latentList) : null);
                anchorMasks.add(any ? m.create(observed, new Shape(batch, 1, 1, 1)) : null);
            }
            List<NDArray> priors = null;
            if (config.motionPrior()) {
                // Each query moves along the motion from the frame before it to the next frame (as windowVelocities;
                // every window frame is observed here), estimated only for the frames before a query.
                java.util.Map<Long, float[]> memo = new java.util.HashMap<>();
                MotionPrior.VelocityAfter after = (b, i) -> memo.computeIfAbsent(((long) b << 32) | i, key -> {
                    int from = i + 1 < length ? i : i - 1;
                    List<Observation> w = windows.get(b);
                    return from < 0 ? null : MotionPrior.velocity(config, frames[b * length + from],
                            validity(w.get(from)), frames[b * length + from + 1], validity(w.get(from + 1)),
                            frameTimes[b][from + 1] - frameTimes[b][from]);
                });
                priors = MotionPrior.windowFlows(m, config, after, frameAt, spans, true);
            }
            VidOdeNetwork.Rendered r = network.render(latents.states(), anchors, anchorLatents, anchorMasks, priors,
                    false);
            List<float[][]> all = toPhysical(r.frames(), (b, j) -> stepValid[b][j], batch);
            List<float[][]> out = new ArrayList<>(batch);
            for (int b = 0; b < batch; b++) {
                float[][] picked = new float[count][];
                for (int k = 0; k < count; k++) {
                    picked[k] = all.get(b)[queryAt[b][k]];
                }
                out.add(picked);
            }
            return out;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Override
    public void close() {
        network.close();
    }

    /** 0 then each time's lead after {@code from}; the times must increase and follow {@code from}. */
    private static double[] leadSpans(double[] times, double from, String error) {
        double[] spans = new double[times.length + 1];
        for (int k = 0; k < times.length; k++) {
            double lead = times[k] - from;
            if (!(lead > 0) || (k > 0 && !(times[k] > times[k - 1]))) {
                throw new IllegalArgumentException(error);
            }
            spans[k + 1] = lead;
        }
        return spans;
    }

    private Shape latentShape(int batch) {
        return new Shape(batch, config.latentChannels(), config.latentHeight(), config.latentWidth());
    }

    private void checkFrame(Observation o, String what) {
        if (o.data().length != config.frameSize()) {
            throw new IllegalArgumentException(what + " has " + o.data().length + " values, the model expects "
                    + config.channels() + "x" + config.height() + "x" + config.width() + " = " + config.frameSize());
        }
        if (o.valid() != null && o.valid().length != config.frameSize()) {
            throw new IllegalArgumentException(what + " has a validity mask of " + o.valid().length
                    + " cells, expected " + config.frameSize());
        }
    }

    /** (x - mean) / std per channel; invalid or non-finite cells become 0 (the mean). */
    float[] normalise(Observation o) {
        int plane = config.height() * config.width();
        float[] out = new float[o.data().length];
        for (int c = 0; c < config.channels(); c++) {
            float mean = card.mean()[c];
            float inv = 1f / card.std()[c];
            for (int i = c * plane, end = i + plane; i < end; i++) {
                float v = o.data()[i];
                boolean ok = Float.isFinite(v) && (o.valid() == null || o.valid()[i]);
                out[i] = ok ? (v - mean) * inv : 0f;
            }
        }
        return out;
    }

    private boolean[] validity(Observation o) {
        boolean[] valid = o.valid() == null ? null : o.valid().clone();
        for (int i = 0; i < o.data().length; i++) {
            if (!Float.isFinite(o.data()[i])) {
                if (valid == null) {
                    valid = new boolean[o.data().length];
                    java.util.Arrays.fill(valid, true);
                }
                valid[i] = false;
            }
        }
        return valid;
    }

    /** Which cells of batch row {@code b}'s {@code k}-th rendered frame are valid (null: all). */
    private interface MaskAt {
        boolean[] at(int b, int k);
    }

    private List<float[][]> toPhysical(List<NDArray> padded, List<boolean[]> valid, int batch) {
        return toPhysical(padded, (b, k) -> valid.get(b), batch);
    }

    private List<float[][]> toPhysical(List<NDArray> padded, MaskAt valid, int batch) {
        int count = padded.size();
        int plane = config.height() * config.width();
        float fill = card.fillValue() == null ? Float.NaN : card.fillValue().floatValue();
        List<float[][]> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            out.add(new float[count][]);
        }
        for (int k = 0; k < count; k++) {
            float[] values = network.crop(padded.get(k)).toFloatArray();
            for (int b = 0; b < batch; b++) {
                float[] frame = slice(values, b, config.frameSize());
                boolean[] ok = valid.at(b, k);
                for (int c = 0; c < config.channels(); c++) {
                    float mean = card.mean()[c];
                    float std = card.std()[c];
                    for (int i = c * plane, end = i + plane; i < end; i++) {
                        frame[i] = ok != null && !ok[i] ? fill : frame[i] * std + mean;
                    }
                }
                out.get(b)[k] = frame;
            }
        }
        return out;
    }

    private static NDArray stack(NDManager m, List<StreamState> states, java.util.function.Function<StreamState, float[]> field,
                                 Shape shape) {
        float[][] parts = new float[states.size()][];
        for (int b = 0; b < parts.length; b++) {
            parts[b] = field.apply(states.get(b));
        }
        return m.create(concat(parts), shape);
    }

    private static float[] concat(float[][] parts) {
        int size = 0;
        for (float[] p : parts) {
            size += p.length;
        }
        float[] out = new float[size];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static float[] slice(float[] all, int index, int size) {
        float[] out = new float[size];
        System.arraycopy(all, index * size, out, 0, size);
        return out;
    }
}
