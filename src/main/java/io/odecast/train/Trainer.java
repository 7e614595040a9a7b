package io.odecast.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.odecast.data.ChannelNormalization;
import io.odecast.data.GridShape;
import io.odecast.model.Checkpoint;
import io.odecast.model.Critics;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.ParameterStore;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a Vid-ODE generator with the reference's losses and update order (spec 2.1 to 2.3): masked L1
 * reconstruction + L1 difference + 0.003 x LSGAN (image and sequence critics); per step the critics are
 * updated first (on detached predictions), then the generator. Adamax for both, learning rate decayed by 0.99
 * at the start of every epoch down to a tenth, gradients clipped by global norm, steps with non-finite
 * gradients skipped. Checkpoints every N steps into {@code options.output()}, with the critics and optimiser
 * state under {@code trainer/} so that a run resumes where it stopped.
 */
public final class Trainer implements AutoCloseable {

    /**
     * Losses of one step.
     *
     * @param flow mean absolute difference in pixels between G's warp flows and the optical flow of the true frames
     *             (flow supervision), NaN without it
     */
    public record StepLosses(double reconstruction, double difference, double generatorAdversarial,
                             double critic, boolean skipped, double flow) {

        public double generator() {
            return reconstruction + difference + generatorAdversarial;
        }
    }

    /** What a run did. */
    /**
     * What a run did.
     *
     * @param keptStep the step whose weights are the model checkpoint (the best validation score, or the last step
     *                 without validation); -1 when no checkpoint was written in this run
     * @param minutes  wall-clock minutes of this run
     */
    public record Result(int firstStep, int lastStep, List<StepLosses> losses, int skippedSteps, String version,
                         int keptStep, double minutes) {
    }

    /**
     * The folder, inside a run's output, of what only resuming needs (optimiser and critic state, latest weights); a
     * checkpoint serves and fine-tunes without it.
     */
    public static final String STATE_DIR = "trainer";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ModelConfig config;
    private final ModelCard card;
    private final TrainingWindows windows;
    private final List<TrainingWindows.Sample> validation;
    /** SHA-256 of the validation windows: a saved best score is restored only for the same windows. */
    private final String validationFingerprint;
    /** Per interpolation validation window, the cells its score counts ({@link #scoredCells}); empty otherwise. */
    private final List<boolean[][]> validationCells;
    private boolean scoreStart;
    private final TrainingOptions options;
    private final PrintStream progress;
    private final VidOdeNetwork network;
    private final Critics critics;
    private final Adamax generatorOptimizer;
    private final Adamax criticOptimizer;
    private int step;
    private double bestValidation = Double.POSITIVE_INFINITY;
    private int keptStep = -1;
    /** Minutes spent by earlier runs of this checkpoint (from the trainer state when resuming). */
    private double earlierMinutes;
    private long runStarted = System.nanoTime();
    private java.util.function.BooleanSupplier holdBack = () -> false;

    public Trainer(ModelConfig config, ModelCard card, TrainingWindows windows, TrainingOptions options,
                   PrintStream progress) {
        this(config, card, windows, List.of(), options, progress);
    }

    /**
     * A trainer that also scores {@code validation} windows every {@code options.validateEvery()} steps and
     * keeps the best-scoring weights as the model checkpoint (early stopping on data it does not train on).
     */
    public Trainer(ModelConfig config, ModelCard card, TrainingWindows windows, List<TrainingWindows.Sample> validation,
                   TrainingOptions options, PrintStream progress) {
        this.config = config;
        this.card = card;
        this.windows = windows;
        this.validation = List.copyOf(validation);
        this.options = options;
        this.progress = progress;
        this.validationCells = "extrapolate".equals(options.task()) ? List.of()
                : this.validation.stream().map(Trainer::scoredCells).toList();
        if (!this.validation.isEmpty() && !"extrapolate".equals(options.task())
                && validationCells.stream().flatMap(java.util.Arrays::stream).allMatch(m -> m == null)) {
            throw new IllegalArgumentException("the validation windows have no hidden cell to score (every hidden"
                    + " frame missing, or invalid where the window's ends are); use more validation frames or none");
        }
        this.validationFingerprint = fingerprint(this.validation);
        this.network = new VidOdeNetwork(config, options.seed());
        this.critics = new Critics(config.channels(), options.sequenceFrames(), config.discWidth(), options.seed() + 1);
        List<ParameterStore.Entry> gen = network.parameters().trainable("gen.");
        List<ParameterStore.Entry> disc = critics.parameters().trainable("disc.");
        gen.forEach(e -> e.array().setRequiresGradient(true));
        disc.forEach(e -> e.array().setRequiresGradient(true));
        this.generatorOptimizer = new Adamax(gen);
        this.criticOptimizer = new Adamax(disc);
    }

    public VidOdeNetwork network() {
        return network;
    }

    public int step() {
        return step;
    }

    /**
     * Before each step the run waits while {@code holdBack} says so (checked every 250 ms, never past the time
     * budget): how a co-located training actor yields the cores to serving when serving is slow.
     */
    public void holdBackWhile(java.util.function.BooleanSupplier holdBack) {
        this.holdBack = holdBack;
    }

    /**
     * Scores the starting weights before the first step (a run that starts at step 0 with validation windows) and
     * keeps them as the checkpoint unless a later step validates better: a fine-tune, or a motion-prior model that
     * starts as the flow baseline, then never ends worse on validation than where it started. With no steps at all
     * the run only scores its start.
     */
    public void keepStartUnlessBeaten() {
        this.scoreStart = true;
    }

    /** Loads the checkpoint and trainer state in the output folder, if a previous run left them. */
    public boolean resumeIfPossible() throws IOException {
        Path state = options.output().resolve(STATE_DIR).resolve("state.json");
        if (!Files.isRegularFile(state)) {
            return false;
        }
        Path latest = options.output().resolve(STATE_DIR).resolve("generator.bin");
        // Runs without validation keep their latest weights as the model checkpoint itself.
        network.parameters().load(Files.isRegularFile(latest) ? latest : options.output().resolve(Checkpoint.PARAMETERS));
        critics.parameters().load(options.output().resolve(STATE_DIR).resolve("critics.bin"));
        generatorOptimizer.load(options.output().resolve(STATE_DIR).resolve("generator-adamax.bin"));
        criticOptimizer.load(options.output().resolve(STATE_DIR).resolve("critics-adamax.bin"));
        var json = JSON.readTree(state.toFile());
        step = json.path("step").asInt();
        earlierMinutes = json.path("minutes_total").asDouble(0);
        if (json.has("best_validation") && validationFingerprint.equals(json.path("validation_windows").asText())) {
            // Scored on the same windows as now: the checkpoint stays unless this run does better. On other windows
            // the saved score means nothing here, and the first validation of this run sets the bar.
            bestValidation = json.path("best_validation").asDouble();
        }
        return true;
    }

    /** Trains from the current step to {@code options.steps()} or until the time budget is spent. */
    public Result run(Map<String, Object> trainingRecord) throws IOException {
        int first = step;
        runStarted = System.nanoTime();
        int perEpoch = Math.max(1, (windows.starts() + options.batchSize() - 1) / options.batchSize());
        long deadline = options.maxMinutes() > 0 ? System.nanoTime() + (long) (options.maxMinutes() * 60e9) : Long.MAX_VALUE;
        ProgressBar bar = new ProgressBar(progress, first, options.steps(), Duration.ofSeconds(30), deadline);
        List<StepLosses> history = new ArrayList<>();
        int skipped = 0;
        String version = null;
        double[] smoothed = null;
        List<List<Double>> validationHistory = new ArrayList<>();
        if (scoreStart && step == 0 && !validation.isEmpty()) {
            version = validateAndKeepBest(trainingRecord, history, skipped, validationHistory, version);
        }
        while (step < options.steps() && System.nanoTime() < deadline) {
            if (holdBack.getAsBoolean()) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                continue;
            }
            int epoch = step / perEpoch;
            float lr = (float) Math.max(options.learningRate() * Math.pow(0.99, epoch + 1), options.learningRate() / 10);
            List<TrainingWindows.Sample> batch = new ArrayList<>(options.batchSize());
            for (int i = 0; i < options.batchSize(); i++) {
                batch.add(windows.next());
            }
            StepLosses l = trainStep(batch, lr);
            history.add(l);
            if (l.skipped()) {
                skipped++;
            }
            step++;
            double[] now = {l.generator(), l.reconstruction(), l.difference(), l.generatorAdversarial(), l.critic(),
                    Double.isNaN(l.flow()) ? 0 : l.flow()};
            if (smoothed == null) {
                smoothed = now;
            } else {
                for (int i = 0; i < now.length; i++) {
                    smoothed[i] = 0.95 * smoothed[i] + 0.05 * now[i];
                }
            }
            bar.update(step, String.format(Locale.ROOT, "loss %.4f (rec %.4f diff %.4f adv %.5f critic %.5f%s) lr %.2e",
                    smoothed[0], smoothed[1], smoothed[2], smoothed[3], smoothed[4], Double.isNaN(l.flow()) ? ""
                            : String.format(Locale.ROOT, " flow %.3f px", smoothed[5]), lr), false);
            if (!validation.isEmpty() && step % options.validateEvery() == 0) {
                version = validateAndKeepBest(trainingRecord, history, skipped, validationHistory, version);
            }
            if (step % options.checkpointEvery() == 0) {
                String saved = save(trainingRecord, history, skipped, validation.isEmpty());
                if (validation.isEmpty()) {
                    version = saved;
                }
            }
        }
        if (smoothed != null) {
            bar.update(step, String.format(Locale.ROOT, "loss %.4f", smoothed[0]), true);
        }
        if (!validation.isEmpty() && step % options.validateEvery() != 0) {
            version = validateAndKeepBest(trainingRecord, history, skipped, validationHistory, version);
        }
        String latest = save(trainingRecord, history, skipped, validation.isEmpty());
        if (!validation.isEmpty() && keptStep >= 0 && keptStep < step) {
            // The kept checkpoint's card was written at its step: give it the whole run's validation history.
            ModelCard kept = Checkpoint.readMetadata(options.output()).card();
            Map<String, Object> record = new LinkedHashMap<>(kept.training());
            record.put("validation_history", List.copyOf(validationHistory));
            record.put("steps_run", step);
            version = Checkpoint.writeCard(options.output(), kept.withTraining(record));
        }
        return new Result(first, step, history, skipped, validation.isEmpty() ? latest : version, keptStep,
                minutesThisRun());
    }

    /** Scores the validation windows; when they improve, the current weights become the model checkpoint. */
    private String validateAndKeepBest(Map<String, Object> trainingRecord, List<StepLosses> history, int skipped,
                                       List<List<Double>> validationHistory, String version) throws IOException {
        double v = validate();
        validationHistory.add(List.of((double) step, v));
        progress.printf(Locale.ROOT, "%nvalidation L1 at step %d: %.4f%s%n", step, v,
                v < bestValidation ? " (best so far: kept)" : " (best " + String.format(Locale.ROOT, "%.4f", bestValidation) + ")");
        if (v < bestValidation) {
            bestValidation = v;
            Map<String, Object> record = new LinkedHashMap<>(trainingRecord);
            record.put("best_step", step);
            keptStep = step;
            record.put("validation_l1", v);
            record.put("validation_history", List.copyOf(validationHistory));
            return save(record, history, skipped, true);
        }
        return version;
    }

    /**
     * Saves the trainer state (latest generator, critics, optimisers, step) and, when {@code asModel}, the
     * generator as the model checkpoint.
     */
    private String save(Map<String, Object> trainingRecord, List<StepLosses> history, int skipped, boolean asModel)
            throws IOException {
        Map<String, Object> record = new LinkedHashMap<>(trainingRecord);
        record.put("steps", step);
        record.put("batch_size", options.batchSize());
        record.put("task", options.task());
        record.put("window_length", options.length());
        record.put("inputs", options.inputs());
        record.put("learning_rate", options.learningRate());
        record.put("lambda_adv", options.lambdaAdv());
        if (options.flowWeight() > 0) {
            record.put("flow_weight", options.flowWeight());
        }
        record.put("seed", options.seed());
        record.put("skipped_steps", skipped);
        double minutes = minutesThisRun();
        record.put("minutes_this_run", Math.round(minutes * 10) / 10.0);
        record.put("minutes_total", Math.round((earlierMinutes + minutes) * 10) / 10.0);
        if (asModel) {
            record.put("kept_step", step);
            keptStep = step;
        }
        if (!history.isEmpty()) {
            int from = Math.max(0, history.size() - 50);
            record.put("final_reconstruction_l1", history.subList(from, history.size()).stream()
                    .mapToDouble(StepLosses::reconstruction).average().orElse(Double.NaN));
        }
        String version = asModel ? Checkpoint.save(options.output(), network, card.withTraining(record))
                : io.odecast.model.ServingVersion.of(network.parameters().version(), network.config(), card);
        Path dir = Files.createDirectories(options.output().resolve(STATE_DIR));
        network.parameters().save(dir.resolve("generator.bin"));
        critics.parameters().save(dir.resolve("critics.bin"));
        generatorOptimizer.save(dir.resolve("generator-adamax.bin"));
        criticOptimizer.save(dir.resolve("critics-adamax.bin"));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", step);
        state.put("version", version);
        state.put("minutes_total", earlierMinutes + minutes);
        if (Double.isFinite(bestValidation) && !validation.isEmpty()) {
            // A resumed run on the same windows keeps the checkpoint unless it validates better than this.
            state.put("best_validation", bestValidation);
            state.put("validation_windows", validationFingerprint);
        }
        JSON.writeValue(dir.resolve("state.json").toFile(), state);
        return version;
    }

    private double minutesThisRun() {
        return (System.nanoTime() - runStarted) / 60e9;
    }

    /** One critic step then one generator step on a batch of windows. */
    StepLosses trainStep(List<TrainingWindows.Sample> batch, float lr) {
        try (NDManager m = network.manager().newSubManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Forward f = forward(m, batch, true);
            NDArray one = m.create(1f);
            NDArray rec = maskedL1(f.predictions, f.targets, f.targetValid, one);
            // Under the warp-only composition D is not part of a frame and has nothing to learn.
            NDArray diff = config.usesDifference() ? maskedL1(f.differences, f.differenceTargets, f.differenceValid, one)
                    : rec.mul(0f);
            NDArray generatorLoss = rec.add(diff);
            if (f.flowLoss != null) {
                generatorLoss = generatorLoss.add(f.flowLoss);
            }
            double criticLoss = 0;
            double adversarial = 0;
            if (options.lambdaAdv() > 0) {
                NDArray lambda = m.create((float) options.lambdaAdv());
                NDArray half = m.create(0.5f);
                NDArray dLoss = lsgan(critics.scoreImages(f.realImages), one)
                        .add(critics.scoreImages(f.fakeImages.stopGradient()).square().mean())
                        .add(lsgan(critics.scoreSequences(f.realSequences), one))
                        .add(critics.scoreSequences(f.fakeSequences.stopGradient()).square().mean())
                        .mul(half).mul(lambda);
                gc.backward(dLoss);
                criticLoss = dLoss.getFloat();
                clippedStep(criticOptimizer, lr);
                criticOptimizer.zeroGradients();
                NDArray gAdv = lsgan(critics.scoreImages(f.fakeImages), one)
                        .add(lsgan(critics.scoreSequences(f.fakeSequences), one)).mul(lambda);
                adversarial = gAdv.getFloat();
                generatorLoss = generatorLoss.add(gAdv);
            }
            gc.backward(generatorLoss);
            boolean ok = clippedStep(generatorOptimizer, lr);
            generatorOptimizer.zeroGradients();
            criticOptimizer.zeroGradients();
            return new StepLosses(rec.getFloat(), diff.getFloat(), adversarial, criticLoss, !ok,
                    f.flowLoss == null ? Double.NaN : f.flowLoss.getFloat() / options.flowWeight());
        }
    }

    private Forward forward(NDManager m, List<TrainingWindows.Sample> batch, boolean training) {
        return "extrapolate".equals(options.task()) ? extrapolate(m, batch, training) : interpolate(m, batch, training);
    }

    /**
     * Mean masked L1 over the validation windows, in inference mode (running BatchNorm statistics, no
     * gradients); NaN without validation windows. What is scored is what the model is asked for in service: the
     * output frames of a forecast, and for an interpolator the hidden frames of each window filled as the service
     * fills them ({@link #validateFillsAsServed}).
     */
    public double validate() {
        if (validation.isEmpty()) {
            return Double.NaN;
        }
        if (!"extrapolate".equals(options.task())) {
            return validateFillsAsServed();
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        double sum = 0;
        int count = 0;
        try (NDManager m = network.manager().newSubManager()) {
            for (int from = 0; from < validation.size(); from += options.batchSize()) {
                List<TrainingWindows.Sample> batch = validation.subList(from, Math.min(validation.size(),
                        from + options.batchSize()));
                Forward f = forward(m, batch, false);
                sum += maskedL1(f.predictions, f.targets, f.targetValid, m.create(1f)).getFloat() * batch.size();
                count += batch.size();
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return sum / count;
    }

    /**
     * Interpolation validation as the service fills: each window's observed frames go through
     * {@link VidOdeModel#interpolate} (both directions, blended by position in the gap, on a copy of the current
     * weights with BatchNorm folded, as a loaded checkpoint runs) and the hidden frames are scored: mean absolute
     * error over their valid cells, in normalised units. The training graph renders one direction only, from the
     * left neighbour; a selection by that would favour whatever helps the one-sided render, not the fill. A cell
     * is scored where the truth is valid and the fill is too, that is where the window's first and last frames are
     * valid (the service writes the fill value elsewhere). A model that outputs NaN scores NaN, never kept.
     */
    private double validateFillsAsServed() {
        double sum = 0;
        long cells = 0;
        VidOdeNetwork copy = copyOfNetwork();
        VidOdeModel wrapped;
        try {
            wrapped = new VidOdeModel(copy, card);
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
        try (VidOdeModel model = wrapped) {
            ChannelNormalization norm = ChannelNormalization.of(card.mean(), card.std());
            GridShape shape = new GridShape(config.channels(), config.height(), config.width());
            for (int w = 0; w < validation.size(); w++) {
                TrainingWindows.Sample s = validation.get(w);
                boolean[][] scored = validationCells.get(w);
                List<io.odecast.model.Observation> window = new ArrayList<>();
                List<Integer> hidden = new ArrayList<>();
                for (int t = 0; t < s.frames().length; t++) {
                    if (s.observed()[t]) {
                        window.add(new io.odecast.model.Observation(s.times()[t],
                                norm.denormalize(s.frames()[t], shape), observation(s, t).valid()));
                    } else if (scored[t] != null) {
                        hidden.add(t);
                    }
                }
                if (hidden.isEmpty()) {
                    continue;
                }
                double[] times = hidden.stream().mapToDouble(t -> s.times()[t]).toArray();
                float[][] filled = model.interpolate(List.of(window), new double[][] {times}).get(0);
                for (int k = 0; k < times.length; k++) {
                    float[] predicted = norm.normalize(filled[k], shape);
                    float[] truth = s.frames()[hidden.get(k)];
                    boolean[] cellsOf = scored[hidden.get(k)];
                    for (int i = 0; i < truth.length; i++) {
                        if (cellsOf[i]) {
                            sum += Math.abs(predicted[i] - truth[i]);
                            cells++;
                        }
                    }
                }
            }
        }
        return sum / cells;
    }

    /**
     * Per frame of an interpolation window, the cells its validation scores, or null for a frame with none: the
     * hidden frames between the first and last observed ones, where the truth is valid and so are both ends of the
     * window. (A fill has a value wherever either neighbour of its gap is valid, {@code VidOdeModel.fillValidity};
     * cells valid on one side only are not scored here.)
     */
    private static boolean[][] scoredCells(TrainingWindows.Sample s) {
        boolean[][] out = new boolean[s.frames().length][];
        int first = -1;
        int last = -1;
        for (int t = 0; t < s.observed().length; t++) {
            if (s.observed()[t]) {
                first = first < 0 ? t : first;
                last = t;
            }
        }
        for (int t = first + 1; first >= 0 && t < last; t++) {
            if (s.observed()[t]) {
                continue;
            }
            boolean[] cells = new boolean[s.valid()[t].length];
            boolean any = false;
            for (int i = 0; i < cells.length; i++) {
                cells[i] = s.valid()[t][i] > 0 && s.valid()[first][i] > 0 && s.valid()[last][i] > 0;
                any |= cells[i];
            }
            out[t] = any ? cells : null;
        }
        return out;
    }

    /** A digest of the windows' frames, masks, observation patterns and times. */
    private static String fingerprint(List<TrainingWindows.Sample> windows) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
            for (TrainingWindows.Sample s : windows) {
                for (int t = 0; t < s.frames().length; t++) {
                    sha.update((byte) (s.observed()[t] ? 1 : 0));
                    b.clear();
                    sha.update(b.putDouble(s.times()[t]).array());
                    for (float[] plane : new float[][] {s.frames()[t], s.valid()[t]}) {
                        java.nio.ByteBuffer f = java.nio.ByteBuffer.allocate(plane.length * 4);
                        f.asFloatBuffer().put(plane);
                        sha.update(f.array());
                    }
                }
            }
            return java.util.HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The best validation score so far (restored by {@link #resumeIfPossible} for the same windows). */
    double bestValidation() {
        return bestValidation;
    }

    /** A separate network holding the current weights (so that folding BatchNorm leaves training untouched). */
    private VidOdeNetwork copyOfNetwork() {
        VidOdeNetwork copy = new VidOdeNetwork(config, options.seed());
        copy.parameters().copyFrom(network.parameters());
        return copy;
    }

    private boolean clippedStep(Adamax optimizer, float lr) {
        double norm = optimizer.gradientNorm();
        if (!Double.isFinite(norm)) {
            return false;
        }
        float scale = norm > options.clipNorm() ? (float) (options.clipNorm() / norm) : 1f;
        optimizer.step(lr, scale);
        return true;
    }

    private static NDArray lsgan(NDArray scores, NDArray target) {
        return scores.sub(target).square().mean();
    }

    private static NDArray maskedL1(NDArray prediction, NDArray target, NDArray valid, NDArray one) {
        return prediction.sub(target).abs().mul(valid).sum().div(valid.sum().maximum(one));
    }

    /** Tensors of one forward pass, all cropped to H x W: (B, K, C, H, W) and stacked critic inputs. */
    private record Forward(NDArray predictions, NDArray targets, NDArray targetValid, NDArray differences,
                           NDArray differenceTargets, NDArray differenceValid, NDArray fakeImages, NDArray realImages,
                           NDArray fakeSequences, NDArray realSequences, NDArray flowLoss) {
    }

    /**
     * Flow supervision ({@code --flow-weight}): G's warp flow at each rendered step against the dense optical flow
     * (Farneback, as the flow baseline) between the true frame at that step and the true frame before it, both
     * known in training: the flow that warps the previous frame onto this one. Photometric losses alone teach
     * motion weakly where frames change little (the interpolators learned near-zero flows, close to the straight
     * line); this gives the warp a motion prior. Null when the weight is 0 or outside training.
     *
     * @param flows    G's flows per step, padded (B, 2, Hp, Wp)
     * @param target   per step, the window index of the frame rendered
     * @param previous per step, the window index of the frame before it (equal: no motion)
     */
    private NDArray flowLoss(NDManager m, List<TrainingWindows.Sample> batch, List<NDArray> flows, int[] target,
                             int[] previous, boolean training) {
        if (!training || !(options.flowWeight() > 0)) {
            return null;
        }
        int b = batch.size();
        int k = flows.size();
        int h = config.height();
        int w = config.width();
        int cells = h * w;
        io.odecast.data.GridShape shape = new io.odecast.data.GridShape(config.channels(), h, w);
        float[] targets = new float[b * k * 2 * cells];
        for (int i = 0; i < b; i++) {
            TrainingWindows.Sample s = batch.get(i);
            for (int j = 0; j < k; j++) {
                if (target[j] == previous[j]) {
                    continue;
                }
                io.odecast.model.Observation from = observation(s, target[j]);
                io.odecast.model.Observation to = observation(s, previous[j]);
                io.odecast.flow.MotionField f = io.odecast.flow.MotionField.between(shape, from.data(), from.valid(),
                        to.data(), to.valid());
                int at = (i * k + j) * 2 * cells;
                System.arraycopy(f.dx(), 0, targets, at, cells);
                System.arraycopy(f.dy(), 0, targets, at + cells, cells);
            }
        }
        NDArray predicted = stackCropped(flows);
        NDArray expected = m.create(targets, new Shape(b, k, 2, h, w));
        return predicted.sub(expected).abs().mean().mul(m.create((float) options.flowWeight()));
    }

    /**
     * The motion prior of an interpolation window's render, as {@code VidOdeModel.interpolateForward} computes it:
     * step k (rendered at window time k from the chain's last observed frame before it) moves along the motion from
     * that frame to the next observed one ({@code MotionPrior.windowVelocities}).
     */
    private List<NDArray> interpolationPriors(NDManager m, List<TrainingWindows.Sample> batch, double[][] spans) {
        int b = batch.size();
        int length = windows.length();
        float[][][] velocities = new float[b][][];
        int[][] frameAtStep = new int[b][length];
        for (int i = 0; i < b; i++) {
            TrainingWindows.Sample s = batch.get(i);
            boolean[][] valid = new boolean[length][];
            for (int t = 0; t < length; t++) {
                valid[t] = observation(s, t).valid();
                frameAtStep[i][t] = s.observed()[t] ? t : -1;
            }
            velocities[i] = io.odecast.model.MotionPrior.windowVelocities(config, s.frames(), valid, s.times(),
                    s.observed());
        }
        return io.odecast.model.MotionPrior.windowFlows(m, config, (i, t) -> velocities[i][t], frameAtStep, spans,
                false);
    }

    /**
     * Per sample, the motion prior's velocity as the service computes it at the last input's arrival: between the
     * last two observed inputs (null when fewer than two are observed).
     */
    private List<float[]> motions(List<TrainingWindows.Sample> batch, int in) {
        List<float[]> out = new ArrayList<>(batch.size());
        for (TrainingWindows.Sample s : batch) {
            int last = -1;
            int previous = -1;
            for (int t = in - 1; t >= 0 && previous < 0; t--) {
                if (s.observed()[t]) {
                    if (last < 0) {
                        last = t;
                    } else {
                        previous = t;
                    }
                }
            }
            if (previous < 0) {
                out.add(null);
                continue;
            }
            io.odecast.model.Observation a = observation(s, previous);
            io.odecast.model.Observation z = observation(s, last);
            out.add(io.odecast.model.MotionPrior.velocity(config, a.data(), a.valid(), z.data(), z.valid(),
                    s.times()[last] - s.times()[previous]));
        }
        return out;
    }

    private static io.odecast.model.Observation observation(TrainingWindows.Sample s, int t) {
        float[] valid = s.valid()[t];
        boolean[] mask = new boolean[valid.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = valid[i] > 0;
        }
        return new io.odecast.model.Observation(t, s.frames()[t], mask);
    }

    private record BatchArrays(NDArray frames, NDArray valid, NDArray observed, double[][] times) {
    }

    private BatchArrays arrays(NDManager m, List<TrainingWindows.Sample> batch) {
        int b = batch.size();
        int length = windows.length();
        int size = config.frameSize();
        float[] frames = new float[b * length * size];
        float[] valid = new float[frames.length];
        float[] observed = new float[b * length];
        double[][] times = new double[b][];
        for (int i = 0; i < b; i++) {
            TrainingWindows.Sample s = batch.get(i);
            for (int t = 0; t < length; t++) {
                System.arraycopy(s.frames()[t], 0, frames, (i * length + t) * size, size);
                System.arraycopy(s.valid()[t], 0, valid, (i * length + t) * size, size);
                observed[i * length + t] = s.observed()[t] ? 1f : 0f;
            }
            times[i] = s.times();
        }
        Shape shape = new Shape(b, length, config.channels(), config.height(), config.width());
        return new BatchArrays(m.create(frames, shape), m.create(valid, shape), m.create(observed, new Shape(b, length)),
                times);
    }

    private Forward extrapolate(NDManager m, List<TrainingWindows.Sample> batch, boolean training) {
        BatchArrays a = arrays(m, batch);
        int b = batch.size();
        int in = options.inputs();
        int length = windows.length();
        int k = length - in;
        NDArray observed = a.observed.get(":, :" + in);
        NDArray inputs = a.frames.get(":, :" + in).mul(observed.reshape(b, in, 1, 1, 1));
        NDArray padded = network.pad(inputs.reshape(b * in, config.channels(), config.height(), config.width()));
        NDArray encoded = network.encode(padded, training);
        NDArray sequence = encoded.reshape(new Shape(b, in).addAll(encoded.getShape().slice(1)));
        double[][] inputTimes = new double[b][];
        double[][] spans = new double[b][k + 1];
        for (int i = 0; i < b; i++) {
            inputTimes[i] = java.util.Arrays.copyOf(a.times[i], in);
            for (int j = 1; j <= k; j++) {
                spans[i][j] = a.times[i][in - 1 + j] - a.times[i][in - 1];
            }
        }
        NDArray h = network.encodeForward(sequence, observed, inputTimes);
        List<NDArray> latents = network.decodeLatents(network.decoderInitial(h), spans).states().subList(1, k + 1);
        NDArray start = padded.reshape(new Shape(b, in).addAll(padded.getShape().slice(1))).get(":, " + (in - 1));
        List<NDArray> priors = config.motionPrior()
                ? io.odecast.model.MotionPrior.flows(m, config, motions(batch, in), spans) : null;
        VidOdeNetwork.Rendered r = network.render(latents, start, sequence.get(":, " + (in - 1)), priors, training);
        NDArray predictions = stackCropped(r.frames());
        NDArray differences = stackCropped(r.differences());
        NDArray targets = a.frames.get(":, " + in + ":");
        NDArray targetValid = a.valid.get(":, " + in + ":");
        NDArray previous = a.frames.get(":, " + (in - 1) + ":" + (length - 1));
        NDArray previousValid = a.valid.get(":, " + (in - 1) + ":" + (length - 1));
        NDArray fake = predictions.mul(targetValid);
        NDArray real = targets.mul(targetValid);
        NDArray inputsValid = inputs.mul(a.valid.get(":, :" + in));
        int[] rendered = new int[k];
        int[] before = new int[k];
        for (int j = 0; j < k; j++) {
            rendered[j] = in + j;
            before[j] = in - 1 + j;
        }
        // D's target is the frame difference (spec 1.10); with a motion prior the warp already moves the frame, so
        // D's target is what the warp leaves: the target minus the warped image (held constant), else D would add the
        // motion a second time.
        NDArray differenceTargets = config.motionPrior()
                ? targets.sub(stackCropped(r.warps()).stopGradient()) : targets.sub(previous);
        return new Forward(predictions, targets, targetValid, differences, differenceTargets,
                config.motionPrior() ? targetValid : targetValid.mul(previousValid), flatten(fake), flatten(real), slidingSequences(inputsValid, fake, in, k),
                slidingSequences(inputsValid, real, in, k), flowLoss(m, batch, r.flows(), rendered, before, training));
    }

    private Forward interpolate(NDManager m, List<TrainingWindows.Sample> batch, boolean training) {
        BatchArrays a = arrays(m, batch);
        int b = batch.size();
        int length = windows.length();
        NDArray masked = a.frames.mul(a.observed.reshape(b, length, 1, 1, 1));
        NDArray padded = network.pad(masked.reshape(b * length, config.channels(), config.height(), config.width()));
        NDArray encoded = network.encode(padded, training);
        NDArray sequence = encoded.reshape(new Shape(b, length).addAll(encoded.getShape().slice(1)));
        NDArray h = network.encodeReversed(sequence, a.observed, a.times);
        double[][] spans = new double[b][length];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < length; j++) {
                spans[i][j] = a.times[i][j] - a.times[i][0];
            }
        }
        List<NDArray> latents = network.decodeLatents(network.decoderInitial(h), spans).states();
        NDArray paddedSequence = padded.reshape(new Shape(b, length).addAll(padded.getShape().slice(1)));
        List<NDArray> anchors = new ArrayList<>();
        List<NDArray> anchorLatents = new ArrayList<>();
        List<NDArray> anchorMasks = new ArrayList<>();
        for (int k = 0; k < length; k++) {
            int from = Math.max(0, k - 1);
            anchors.add(paddedSequence.get(":, " + from));
            anchorLatents.add(sequence.get(":, " + from));
            anchorMasks.add(k == 0 ? null : a.observed.get(":, " + from).reshape(b, 1, 1, 1));
        }
        VidOdeNetwork.Rendered r = network.render(latents, anchors, anchorLatents, anchorMasks,
                config.motionPrior() ? interpolationPriors(m, batch, spans) : null, training);
        NDArray predictions = stackCropped(r.frames());
        NDArray differences = stackCropped(r.differences());
        NDArray previous = NDArrays.concat(new NDList(a.frames.get(":, 0:1"), a.frames.get(":, :" + (length - 1))), 1);
        NDArray previousValid = NDArrays.concat(new NDList(a.valid.get(":, 0:1"), a.valid.get(":, :" + (length - 1))), 1);
        NDArray fake = predictions.mul(a.valid);
        NDArray real = a.frames.mul(a.valid);
        int[] rendered = new int[length];
        int[] before = new int[length];
        for (int j = 0; j < length; j++) {
            rendered[j] = j;
            before[j] = Math.max(0, j - 1);
        }
        NDArray differenceTargets = config.motionPrior()
                ? a.frames.sub(stackCropped(r.warps()).stopGradient()) : a.frames.sub(previous);
        return new Forward(predictions, a.frames, a.valid, differences, differenceTargets,
                config.motionPrior() ? a.valid : a.valid.mul(previousValid), flatten(fake), flatten(real),
                stackChannels(fake), stackChannels(real),
                flowLoss(m, batch, r.flows(), rendered, before, training));
    }

    private NDArray stackCropped(List<NDArray> padded) {
        NDList cropped = new NDList();
        for (NDArray p : padded) {
            cropped.add(network.crop(p));
        }
        return NDArrays.stack(cropped, 1);
    }

    /** (B, K, C, H, W) to (B K, C, H, W). */
    private NDArray flatten(NDArray frames) {
        Shape s = frames.getShape();
        return frames.reshape(s.get(0) * s.get(1), s.get(2), s.get(3), s.get(4));
    }

    /** (B, T, C, H, W) to (B, T C, H, W). */
    private static NDArray stackChannels(NDArray frames) {
        Shape s = frames.getShape();
        return frames.reshape(s.get(0), s.get(1) * s.get(2), s.get(3), s.get(4));
    }

    /**
     * The reference's extrapolation sequences: over [inputs, predictions], the windows of inputs + 1 frames
     * ending at each prediction, stacked along channels and concatenated along the batch.
     */
    private static NDArray slidingSequences(NDArray inputs, NDArray predictions, int in, int k) {
        NDArray all = NDArrays.concat(new NDList(inputs, predictions), 1);
        NDList windows = new NDList();
        for (int i = 0; i < k; i++) {
            windows.add(stackChannels(all.get(":, " + i + ":" + (i + in + 1))));
        }
        return NDArrays.concat(windows, 0);
    }

    @Override
    public void close() {
        generatorOptimizer.close();
        criticOptimizer.close();
        critics.close();
        network.close();
    }
}
