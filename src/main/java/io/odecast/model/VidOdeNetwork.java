package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.odecast.ode.FixedStepSolver;
import io.odecast.ode.OdeFunction;
import io.odecast.ode.OdeSolution;
import io.odecast.ode.OdeSolver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Vid-ODE generator as tensor-level blocks: conv encoder E, ODE functions f_theta and f_phi, ConvGRU, the
 * z0 head, conv decoder G and the warp/composition. Both encoders are here: the forward online one (one arrival
 * at a time: ODE solve over the gap, then the GRU update) and the reference's reverse window encoder. Every
 * method works on padded frames (see {@link #pad}) and puts its results in the manager of its first input.
 *
 * <p>Time arguments are per sample ({@code times[b][i]}), so a batch may mix streams with different gaps;
 * fixed-step solvers then give each sample exactly the steps it would take alone.
 */
public final class VidOdeNetwork implements AutoCloseable {

    private final ModelConfig config;
    private final NDManager manager;
    private final ParameterStore store;
    private final ConvEncoder encoder;
    private final OdeNetwork encoderField;
    private final OdeNetwork decoderField;
    private final ConvGruCell gru;
    private final Conv2dLayer head0;
    private final Conv2dLayer head1;
    private final ConvDecoder decoder;
    private final OdeSolver encoderSolver;
    private final OdeSolver decoderSolver;

    /** A randomly initialised network (PyTorch default initialisation, deterministic for a seed). */
    public VidOdeNetwork(ModelConfig config, long seed) {
        NativeNotices.absorb();
        this.config = config;
        this.manager = NDManager.newBaseManager();
        this.store = new ParameterStore(manager, seed);
        int base = config.latentChannels();
        encoder = new ConvEncoder(store, "gen.encoder", config);
        encoderField = new OdeNetwork(store, "gen.f_theta", config);
        decoderField = new OdeNetwork(store, "gen.f_phi", config);
        gru = new ConvGruCell(store, "gen.gru", base);
        // The reference's transform_z0 ends in 2 x base channels split into mean and std, and only the mean is
        // used; we keep only the mean half.
        head0 = new Conv2dLayer(store, "gen.head.0", base, base, 1, 1, 0, true);
        head1 = new Conv2dLayer(store, "gen.head.1", base, base, 1, 1, 0, true);
        decoder = new ConvDecoder(store, "gen.decoder", config);
        encoderSolver = OdeSolver.named(config.encoderSolver(), config.encoderMaxStep(), config.rtol(), config.atol());
        decoderSolver = OdeSolver.named(config.decoderSolver(), config.decoderMaxStep(), config.rtol(), config.atol());
    }

    public ModelConfig config() {
        return config;
    }

    public ParameterStore parameters() {
        return store;
    }

    /** The manager that owns the parameters; per-call managers should be its sub-managers. */
    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * Prepares inference: folds every BatchNorm into its convolution (fewer passes per frame). Inference
     * results are unchanged up to rounding; training mode keeps the unfolded layers. Call it only on a network
     * whose weights will not change any more (the inference API does, once).
     */
    public void prepareInference() {
        encoder.foldBatchNorm(manager);
        decoder.foldBatchNorm(manager);
    }

    /**
     * Sets the inference convolutions' number format (training always runs float32). Takes effect at the next call;
     * calls in flight finish as they started, layer by layer.
     */
    public void precision(ConvPrecision precision) {
        store.precision(precision);
    }

    public ConvPrecision precision() {
        return store.precision();
    }

    /**
     * Sets G's output layer (flow, difference and mask logits) to zero: under the residual composition every
     * rendered frame is then the warped anchor, and with a motion prior the flow extrapolation of the last frame.
     */
    public void silenceDecoderOutput() {
        for (String p : List.of("gen.decoder.out.weight", "gen.decoder.out.bias")) {
            NDArray a = store.get(p).array();
            a.set(new float[(int) a.getShape().size()]);
        }
    }

    /** Zero-pads (B, C, H, W) frames on the bottom and right to a multiple of 2^nDowns. */
    public NDArray pad(NDArray frames) {
        int ph = config.paddedHeight() - config.height();
        int pw = config.paddedWidth() - config.width();
        if (ph == 0 && pw == 0) {
            return frames;
        }
        return frames.pad(new Shape(0, pw, 0, ph), 0);
    }

    /** Crops padded (B, C, Hp, Wp) frames back to (B, C, H, W). */
    public NDArray crop(NDArray padded) {
        if (config.paddedHeight() == config.height() && config.paddedWidth() == config.width()) {
            return padded;
        }
        return padded.get(":, :, :" + config.height() + ", :" + config.width());
    }

    public NDArray zeroState(NDManager m, int batch) {
        return m.zeros(new Shape(batch, config.latentChannels(), config.latentHeight(), config.latentWidth()));
    }

    /** E on a batch of padded frames (B, C, Hp, Wp). */
    public NDArray encode(NDArray padded, boolean training) {
        return encoder.forward(padded, training);
    }

    /** The ConvGRU update; {@code mask} is (B, 1, 1, 1) of 0/1 or null for all observed. */
    public NDArray update(NDArray encoded, NDArray hidden, NDArray mask) {
        return gru.forward(encoded, hidden, mask);
    }

    /** Integrates f_theta forward over each sample's gap (0 for none); the solution's last state is the result. */
    public OdeSolution evolve(NDArray hidden, double[] gaps) {
        double[][] times = new double[gaps.length][];
        for (int b = 0; b < gaps.length; b++) {
            times[b] = new double[] {0, gaps[b]};
        }
        return integrate(encoderSolver, encoderField.field(), hidden, times);
    }

    /**
     * Forward online encoder over a window: for each index i, advance the state over the gap from the previous
     * index (none for the first), then update with frame i where observed.
     *
     * @param encoded  E of the frames, (B, T, C_lat, H_lat, W_lat)
     * @param observed 0/1 per (B, T), or null for all observed
     * @param times    per-sample increasing times, [B][T]
     */
    public NDArray encodeForward(NDArray encoded, NDArray observed, double[][] times) {
        int steps = (int) encoded.getShape().get(1);
        NDArray h = zeroState(encoded.getManager(), (int) encoded.getShape().get(0));
        for (int i = 0; i < steps; i++) {
            if (i > 0) {
                h = evolve(h, column(times, i, i - 1)).last();
            }
            h = update(at(encoded, i), h, observed == null ? null : maskAt(observed, i));
        }
        return h;
    }

    /**
     * The reference's window encoder: frames in reverse order, starting 0.01 after the last time, integrating
     * f_theta backwards in time between frames (spec 1.5), masked GRU updates. The result is the state at the
     * first time of each window.
     */
    public NDArray encodeReversed(NDArray encoded, NDArray observed, double[][] times) {
        int steps = (int) encoded.getShape().get(1);
        NDArray h = zeroState(encoded.getManager(), (int) encoded.getShape().get(0));
        double[] first = new double[times.length];
        Arrays.fill(first, 0.01);
        for (int i = steps - 1; i >= 0; i--) {
            double[] gaps = i == steps - 1 ? first : column(times, i + 1, i);
            double[][] span = new double[gaps.length][];
            for (int b = 0; b < gaps.length; b++) {
                span[b] = new double[] {0, gaps[b]};
            }
            h = integrate(encoderSolver, encoderField.reversedField(), h, span).last();
            h = update(at(encoded, i), h, observed == null ? null : maskAt(observed, i));
        }
        return h;
    }

    /** The decoder's initial state z from an encoder state (the reference's transform_z0, mean half). */
    public NDArray decoderInitial(NDArray hidden) {
        return head1.forward(head0.forward(hidden).getNDArrayInternal().relu());
    }

    /**
     * Integrates f_phi from z at each sample's {@code times[b][0]} to its later times.
     *
     * @return latents at every time, the first being z
     */
    public OdeSolution decodeLatents(NDArray z, double[][] times) {
        return integrate(decoderSolver, decoderField.field(), z, times);
    }

    /**
     * What G produced for each decoded time, all padded: (B, C, Hp, Wp) frames, (B, 2, Hp, Wp) flows, and the warped
     * images W the frames were composed from.
     */
    public record Rendered(List<NDArray> frames, List<NDArray> differences, List<NDArray> masks, List<NDArray> flows,
                           List<NDArray> warps) {
    }

    /**
     * Runs G over decoded latents with the reference's chaining (spec 1.7 to 1.10): G sees [h_k, previous latent]
     * (the first previous latent is E of the start frame), the warp chain runs on warped images only, and each
     * frame is M * W + (1 - M) * D (W + (1 - M) * D under the residual composition, whose chain warps the
     * composed frames, see {@link ModelConfig#composition()}). Used for forecasts: nothing is observed after the start frame.
     *
     * @param latents     decoded latents, one per output time (excluding the initial state)
     * @param startFrame  padded frame the warp chain starts from (last observed for forecasts)
     * @param startLatent E(startFrame)
     */
    public Rendered render(List<NDArray> latents, NDArray startFrame, NDArray startLatent, boolean training) {
        return render(latents, startFrame, startLatent, null, training);
    }

    /**
     * {@link #render(List, NDArray, NDArray, boolean)} with a motion prior ({@link ModelConfig#motionPrior()}): per
     * step, a backward-warp flow (B, 2, Hp, Wp) added to G's before the warp ({@link MotionPrior#flows}); null: none.
     * The flows returned are the sums.
     */
    public Rendered render(List<NDArray> latents, NDArray startFrame, NDArray startLatent, List<NDArray> priorFlows,
                           boolean training) {
        List<NDArray> none = java.util.Collections.nCopies(latents.size(), null);
        List<NDArray> anchors = new ArrayList<>(none);
        List<NDArray> anchorLatents = new ArrayList<>(none);
        anchors.set(0, startFrame);
        anchorLatents.set(0, startLatent);
        return render(latents, anchors, anchorLatents, none, priorFlows, training, training ? 0 : STACK_BYTES);
    }

    /**
     * Runs G over decoded latents where frames are observed inside the decoded span (interpolation): the warp
     * chain and G's previous latent restart from an observed frame wherever the previous decoded time was an
     * observation (a deliberate deviation: the reference warps every in-between frame from the window's first
     * frame, so a gap far into the window is rendered from a frame far from it).
     *
     * @param anchors       per step k, the observed frame at the previous decoded time (padded), or null when
     *                      no sample observed one there; step 0 needs one
     * @param anchorLatents E of those frames
     * @param anchorMasks   per step, (B, 1, 1, 1) 1 for the samples that observed the anchor, or null for all
     */
    public Rendered render(List<NDArray> latents, List<NDArray> anchors, List<NDArray> anchorLatents,
                           List<NDArray> anchorMasks, boolean training) {
        return render(latents, anchors, anchorLatents, anchorMasks, null, training);
    }

    /** {@link #render(List, List, List, List, boolean)} with a motion prior per step (null: none). */
    public Rendered render(List<NDArray> latents, List<NDArray> anchors, List<NDArray> anchorLatents,
                           List<NDArray> anchorMasks, List<NDArray> priorFlows, boolean training) {
        return render(latents, anchors, anchorLatents, anchorMasks, priorFlows, training,
                training ? 0 : STACK_BYTES);
    }

    /**
     * {@link #render} choosing how G runs: G's inputs depend on the latents and anchors only, never on G's outputs
     * (only the warp chain is sequential), so several steps' G can run as one call with the steps stacked in the
     * batch dimension, as many as keep G's largest activation under {@code stackBytes} (see {@link #stepsPerCall};
     * 0: one call per step). Training keeps one call per step, since BatchNorm's batch statistics would then mix
     * the steps.
     */
    Rendered render(List<NDArray> latents, List<NDArray> anchors, List<NDArray> anchorLatents,
                    List<NDArray> anchorMasks, List<NDArray> priorFlows, boolean training, long stackBytes) {
        if (anchors.get(0) == null) {
            throw new IllegalArgumentException("the first decoded step needs a frame to start the warp chain from");
        }
        int c = config.channels();
        int steps = latents.size();
        NDList inputs = new NDList(steps);
        NDArray previous = null;
        for (int k = 0; k < steps; k++) {
            if (anchors.get(k) != null) {
                NDArray m = anchorMasks.get(k);
                previous = m == null || previous == null ? anchorLatents.get(k)
                        : previous.add(anchorLatents.get(k).sub(previous).mul(m));
            }
            inputs.add(NDArrays.concat(new NDList(latents.get(k), previous), 1));
            previous = latents.get(k);
        }
        NDList outputs;
        int perCall = stepsPerCall(inputs.get(0).getShape(), steps, stackBytes);
        if (perCall > 1) {
            outputs = new NDList(steps);
            for (int from = 0; from < steps; from += perCall) {
                int n = Math.min(perCall, steps - from);
                outputs.addAll(n == 1 ? new NDList(decoder.forward(inputs.get(from), training))
                        : decoder.forward(NDArrays.concat(inputs.subNDList(from, from + n), 0), training).split(n, 0));
            }
        } else {
            outputs = new NDList(steps);
            for (NDArray input : inputs) {
                outputs.add(decoder.forward(input, training));
            }
        }
        List<NDArray> frames = new ArrayList<>(steps);
        List<NDArray> differences = new ArrayList<>(steps);
        List<NDArray> masks = new ArrayList<>(steps);
        List<NDArray> flows = new ArrayList<>(steps);
        List<NDArray> warps = new ArrayList<>(steps);
        NDArray warped = null;
        for (int k = 0; k < steps; k++) {
            NDArray anchor = anchors.get(k);
            if (anchor != null) {
                NDArray m = anchorMasks.get(k);
                warped = m == null || warped == null ? anchor : warped.add(anchor.sub(warped).mul(m));
            }
            NDList parts = outputs.get(k).split(new long[] {2, 2 + c}, 1);
            NDArray flow = parts.get(0);
            NDArray difference = parts.get(1);
            NDArray mask = parts.get(2).getNDArrayInternal().sigmoid();
            if (priorFlows != null && priorFlows.get(k) != null) {
                flow = flow.add(priorFlows.get(k));
            }
            // A motion-prior model's warp keeps to the real grid (motion across the bottom or right edge brings in
            // the edge's values, as in the flow baseline, not the zero padding's); the older compositions keep the
            // reference's clamp to the padded frame.
            warped = config.motionPrior() ? BackwardWarp.warp(warped, flow, config.height(), config.width())
                    : BackwardWarp.warp(warped, flow);
            NDArray frame = config.usesDifference() ? BackwardWarp.compose(mask, warped, difference, config.residual())
                    : warped;
            frames.add(frame);
            warps.add(warped);
            if (config.residual()) {
                // Residual: the next step warps this frame, so D is the correction of one step's warp, the
                // frame difference its loss asks for, at every lead (the reference chains warped images only).
                warped = frame;
            }
            differences.add(difference);
            masks.add(mask);
            flows.add(flow);
        }
        return new Rendered(frames, differences, masks, flows, warps);
    }

    /** Inference's bound on G's largest activation when steps are stacked into one call (see {@link #stepsPerCall}). */
    static final long STACK_BYTES = 16L << 20;

    /**
     * How many of {@code steps} decoded steps one G call stacks, given one step's G input of {@code shape}: all of
     * them while G's largest activation (the last up-sampling's output, at full resolution) stays under
     * {@code stackBytes}, else as many as fit (at least one), spread evenly over the calls. Stacking saves native
     * calls at small batches; past a few MiB per activation the convolutions and up-sampling run slower per sample
     * (measured on one core: the 4-lead forecast of 32 storm states with G as one call of 128 samples, 7.3-9.3 ms
     * per state, as four calls of 32, 6.8-7.5 ms; at a batch of 1, one call of 4 beats four calls of 1 by about
     * 10 %; docs/benchmarks.md).
     */
    int stepsPerCall(Shape shape, int steps, long stackBytes) {
        long upsampled = config.nDowns() == 0 ? shape.get(1) : shape.get(1) >> (config.nDowns() - 1);
        long perStep = shape.get(0) * upsampled * (shape.get(2) << config.nDowns()) * (shape.get(3) << config.nDowns())
                * Float.BYTES;
        int fit = (int) Math.max(1, Math.min(steps, stackBytes / Math.max(1, perStep)));
        int calls = (steps + fit - 1) / fit;
        return (steps + calls - 1) / calls;
    }

    /**
     * Integrates over per-sample times. Fixed-step solvers do it in one batched pass with per-sample steps;
     * dopri5 (whose step size is shared by a batch) solves the batch together when all samples share their
     * times, as torchdiffeq does, and one sample at a time otherwise.
     */
    static OdeSolution integrate(OdeSolver solver, OdeFunction f, NDArray y0, double[][] times) {
        if (solver instanceof FixedStepSolver fixed) {
            return fixed.solvePerSample(f, y0, times);
        }
        boolean shared = true;
        for (double[] row : times) {
            shared &= Arrays.equals(row, times[0]);
        }
        if (shared) {
            return solveSkippingEmpty(solver, f, y0, times[0]);
        }
        List<List<NDArray>> perSample = new ArrayList<>();
        int nfe = 0;
        int accepted = 0;
        int rejected = 0;
        for (int b = 0; b < times.length; b++) {
            OdeSolution s = solveSkippingEmpty(solver, f, y0.get(b + ":" + (b + 1)), times[b]);
            perSample.add(s.states());
            nfe += s.functionEvaluations();
            accepted += s.acceptedSteps();
            rejected += s.rejectedSteps();
        }
        List<NDArray> states = new ArrayList<>();
        for (int i = 0; i < times[0].length; i++) {
            NDList column = new NDList();
            for (List<NDArray> sample : perSample) {
                column.add(sample.get(i));
            }
            states.add(NDArrays.concat(column, 0));
        }
        return new OdeSolution(states, nfe, accepted, rejected);
    }

    /** An adaptive solve over times that may repeat (zero-length intervals copy the state). */
    private static OdeSolution solveSkippingEmpty(OdeSolver solver, OdeFunction f, NDArray y0, double[] times) {
        double[] distinct = Arrays.stream(times).distinct().toArray();
        if (distinct.length == 1) {
            List<NDArray> same = new ArrayList<>();
            for (int i = 0; i < times.length; i++) {
                same.add(y0);
            }
            return new OdeSolution(same, 0, 0, 0);
        }
        OdeSolution s = solver.solve(f, y0, distinct);
        List<NDArray> states = new ArrayList<>();
        for (double t : times) {
            states.add(s.states().get(Arrays.binarySearch(distinct, t)));
        }
        return new OdeSolution(states, s.functionEvaluations(), s.acceptedSteps(), s.rejectedSteps());
    }

    private static double[] column(double[][] times, int later, int earlier) {
        double[] gaps = new double[times.length];
        for (int b = 0; b < times.length; b++) {
            gaps[b] = times[b][later] - times[b][earlier];
            if (gaps[b] < 0) {
                throw new IllegalArgumentException("times of sample " + b + " decrease at index " + later);
            }
        }
        return gaps;
    }

    private static NDArray at(NDArray sequence, int i) {
        return sequence.get(":, " + i);
    }

    private static NDArray maskAt(NDArray observed, int i) {
        return observed.get(":, " + i).reshape(-1, 1, 1, 1);
    }
}
