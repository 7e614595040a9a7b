package io.odecast.train.actor;

import io.odecast.data.ChannelNormalization;
import io.odecast.data.FrameSequence;
import io.odecast.data.GridShape;
import io.odecast.data.TimeScale;
import io.odecast.data.TimedFrame;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.Checkpoint;
import io.odecast.model.ModelCard;
import io.odecast.model.VidOdeModel;
import io.odecast.models.ModelVersions;
import io.odecast.stream.FrameContentCheck;
import io.odecast.train.Trainer;
import io.odecast.train.TrainingOptions;
import io.odecast.train.TrainingWindows;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fine-tuning round of one model: the recorded frames of its streams are split per stream into the frames to
 * train on and the most recent {@code holdout-frames} (the gate's targets, never trained on); a candidate is
 * trained from the serving weights with the {@link Trainer} (early stopping on the last training frames, where the
 * serving weights are scored first: a round none of whose steps beats them ends without a candidate), scored
 * by the {@link Gate}, the decision written into the candidate's card, and the candidate published only when the
 * gate says so.
 */
public final class TrainingRound {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingRound.class);

    /** Where a passing candidate goes (the models topic in the service). */
    public interface Publisher {
        void publish(Path checkpoint, String name, String parentVersion, Map<String, Double> metrics)
                throws IOException;

        /**
         * The version of {@code name} that serving takes now (the newest on the models topic), or null when none was
         * published; a round whose serving version is no longer it does not publish (an operator's rollback, or
         * another publish, came during the round, and the candidate was gated against what no longer serves).
         */
        default String latest(String name) throws IOException {
            return null;
        }
    }

    /**
     * What a round did.
     *
     * @param verdict   the gate's decision; null when the round did not train, or no step beat the serving weights
     *                  on validation (see {@code note})
     * @param candidate the candidate's checkpoint folder; null in those cases
     */
    public record Outcome(String model, String servingVersion, String candidateVersion, Gate.Verdict verdict,
                          Path candidate, String note) {
        public boolean published() {
            return verdict != null && verdict.publish();
        }
    }

    /** The default of {@code odecast.input.max-std-devs}, for rounds built without the service's settings. */
    static final double DEFAULT_MAX_STD_DEVS = 1000;

    private final TrainerSettings settings;
    private final Publisher publisher;
    private final java.util.function.BooleanSupplier holdBack;
    private final double maxStdDevs;

    public TrainingRound(TrainerSettings settings, Publisher publisher) {
        this(settings, publisher, () -> false, DEFAULT_MAX_STD_DEVS);
    }

    /**
     * A round whose training waits while {@code holdBack} says so (serving too slow; see
     * {@code odecast.trainer.serving-p99-budget}).
     */
    public TrainingRound(TrainerSettings settings, Publisher publisher, java.util.function.BooleanSupplier holdBack) {
        this(settings, publisher, holdBack, DEFAULT_MAX_STD_DEVS);
    }

    /**
     * A round whose training waits while {@code holdBack} says so, and which trains only on recorded frames that pass serving's
     * content checks with {@code maxStdDevs} ({@code odecast.input.max-std-devs}).
     */
    public TrainingRound(TrainerSettings settings, Publisher publisher, java.util.function.BooleanSupplier holdBack,
                         double maxStdDevs) {
        this.settings = settings;
        this.publisher = publisher;
        this.holdBack = holdBack;
        this.maxStdDevs = maxStdDevs;
    }

    /**
     * Runs a round for model {@code name} serving as {@code serving} on {@code recorded} (frames by stream, in time
     * order), with the candidate written to {@code candidateDir}.
     */
    public Outcome run(String name, VidOdeModel serving, Map<String, List<FrameMessage>> recorded, Path candidateDir,
                       long seed) throws IOException {
        ModelCard card = serving.card();
        int holdout = settings.gate().holdoutFrames();
        List<FrameSequence> gateSequences = new ArrayList<>();
        List<List<TimedFrame>> trainParts = new ArrayList<>();
        int trainFrames = 0;
        Map<String, Integer> refused = new java.util.TreeMap<>();
        String example = null;
        for (Map.Entry<String, List<FrameMessage>> e : recorded.entrySet()) {
            List<TimedFrame> frames = new ArrayList<>();
            for (FrameMessage f : e.getValue()) {
                FrameContentCheck check = check(f, name, serving);
                if (check.passed()) {
                    frames.add(timed(check.frame(), card));
                } else {
                    refused.merge(check.reason().name().toLowerCase(java.util.Locale.ROOT), 1, Integer::sum);
                    example = example == null ? check.text() : example;
                }
            }
            if (frames.size() < holdout + settings.inputs() + 1) {
                continue;
            }
            gateSequences.add(sequence(e.getKey(), card, frames));
            trainParts.add(frames.subList(0, frames.size() - holdout));
            trainFrames += frames.size() - holdout;
        }
        if (!refused.isEmpty()) {
            LOG.warn("Model {}: {} recorded frames left out of the round, as serving refuses them ({}); e.g. {}", name,
                    refused.values().stream().mapToInt(Integer::intValue).sum(), refused, example);
        }
        if (gateSequences.isEmpty() || trainFrames < Math.max(settings.minFrames(), settings.length())) {
            String note = "not enough recorded frames: " + trainFrames + " to train on in " + gateSequences.size()
                    + " streams (needs min-frames " + settings.minFrames() + " besides " + holdout
                    + " held out per stream)";
            LOG.info("Model {}: no training round: {}", name, note);
            return new Outcome(name, serving.version(), null, null, null, note);
        }
        ChannelNormalization norm = ChannelNormalization.of(card.mean(), card.std());
        TimeScale scale = new TimeScale(Duration.parse(card.timeUnit()), card.timeScale());
        // Early stopping on every stream: each stream long enough keeps its last training window's targets out of the
        // fit and scores the steps on that window (one per stream: a step is kept for what it does on all of them,
        // not on the tail of whichever stream came last).
        int validationFrames = settings.length() - settings.inputs();
        List<List<TimedFrame>> fitParts = new ArrayList<>();
        List<TrainingWindows.Sample> validation = new ArrayList<>();
        for (List<TimedFrame> part : trainParts) {
            if (part.size() < settings.length() + validationFrames) {
                fitParts.add(part);
                continue;
            }
            int fitEnd = part.size() - validationFrames;
            fitParts.add(part.subList(0, fitEnd));
            validation.addAll(new TrainingWindows(sequence(name + "-validation", card, part), norm, scale,
                    ModelCard.EXTRAPOLATE, settings.inputs(), settings.length(), 1, 0, seed + 1).fixedFrom(fitEnd));
        }
        boolean validate = !validation.isEmpty();
        FrameSequence train = concatenated(name, card, fitParts);
        TrainingWindows windows = new TrainingWindows(train, norm, scale, ModelCard.EXTRAPOLATE,
                settings.inputs(), settings.length(), 1, 0, seed);
        TrainingOptions options = new TrainingOptions(ModelCard.EXTRAPOLATE, settings.inputs(), settings.length(), 1,
                0, settings.batch(), settings.steps(), settings.maxMinutes(), settings.learningRate(), 0, 10,
                settings.steps(), Math.max(1, settings.steps() / 4), seed, candidateDir);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("command", "training actor round");
        record.put(ModelVersions.PARENT_KEY, serving.version());
        record.put("recorded_streams", gateSequences.size());
        record.put("train_frames", trainFrames);
        record.put("validation_windows", validation.size());
        if (!refused.isEmpty()) {
            record.put("recorded_frames_refused", refused);
        }
        record.put("gate_holdout_frames_per_stream", holdout);
        String candidateVersion;
        // A fine-tuned candidate keeps its parent's blend, marked as inherited: dropping it would serve the model
        // alone (12-20 % worse than the blend on the storm at +6 h), and the round has too few unseen frames per
        // stream to fit its own. The gate scores the models alone.
        try (Trainer trainer = new Trainer(serving.config(), card.withEvaluation(Map.of())
                .withBlend(inherited(card.blend(), serving.version())), windows, validation, options,
                new PrintStream(OutputStream.nullOutputStream()))) {
            trainer.network().parameters().copyFrom(serving.network().parameters());
            trainer.holdBackWhile(holdBack);
            if (validate) {
                // The serving weights are scored at step 0 and stay the checkpoint unless a step beats them.
                trainer.keepStartUnlessBeaten();
            }
            Trainer.Result result = trainer.run(record);
            candidateVersion = result.version();
            // A round never resumes: the optimiser state would only take disk space.
            deleteTree(candidateDir.resolve(Trainer.STATE_DIR));
            if (result.lastStep() == 0 || validate && result.keptStep() == 0) {
                String note = result.lastStep() == 0
                        ? "no candidate: no training step ran within the round's time (held back by the serving load)"
                        : "no candidate: none of " + result.lastStep() + " training steps beat the serving weights on"
                        + " the last " + validationFrames + " training frames of " + validation.size()
                        + " streams (validation)";
                LOG.info("Model {}: {}", name, note);
                // What the trainer saved is the serving weights again: no candidate folder for pruning to count.
                deleteTree(candidateDir);
                return new Outcome(name, serving.version(), null, null, null, note);
            }
        }
        Gate.Verdict verdict;
        try (VidOdeModel candidate = VidOdeModel.load(candidateDir)) {
            verdict = Gate.decide(Gate.score(candidate, serving, gateSequences, settings.gate(), settings.inputs()),
                    settings.gate());
            String latest = verdict.publish() ? publisher.latest(name) : null;
            if (latest != null && !latest.equals(serving.version())) {
                verdict = verdict.withheld("not published: serving moved from " + serving.version() + " to "
                        + latest + " during the round (a rollback or another publish), and the candidate was gated"
                        + " against " + serving.version());
            }
            Checkpoint.writeCard(candidateDir, candidate.card().withEvaluation(verdict.toCard()));
        }
        LOG.info("Model {}: candidate {} from serving {} {}: {}", name, candidateVersion, serving.version(),
                verdict.publish() ? "PUBLISHED" : "REJECTED", verdict.reason());
        if (verdict.publish()) {
            publisher.publish(candidateDir, name, serving.version(), Map.of(
                    "gate_candidate", verdict.scores().candidate(), "gate_serving", verdict.scores().serving(),
                    "gate_persistence", verdict.scores().persistence()));
        }
        return new Outcome(name, serving.version(), candidateVersion, verdict, candidateDir, verdict.reason());
    }

    /** Deletes a folder and everything in it; nothing when it does not exist (or another process got there first). */
    static void deleteTree(Path dir) throws IOException {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        List<Path> paths;
        try (var walk = java.nio.file.Files.walk(dir)) {
            paths = walk.sorted(java.util.Comparator.reverseOrder()).toList();
        } catch (java.nio.file.NoSuchFileException | java.io.UncheckedIOException e) {
            if (!java.nio.file.Files.exists(dir)) {
                return;
            }
            throw e;
        }
        for (Path p : paths) {
            java.nio.file.Files.deleteIfExists(p);
        }
    }

    /**
     * Deletes all but the newest {@code keep} candidate folders in {@code candidates}: those named
     * {@code <epoch millis>-<round>} as the actor names them, ordered by that time, then round (anything else there
     * is left alone, and so is {@code current}, the folder of the round just run, wherever the clock puts it); also
     * the parent copies ({@code <epoch millis>-<round>-parent}) that rounds of earlier versions wrote and never
     * deleted. Returns the folders deleted.
     */
    static List<Path> prune(Path candidates, int keep, Path current) throws IOException {
        if (!java.nio.file.Files.isDirectory(candidates)) {
            return List.of();
        }
        List<Path> all;
        try (var list = java.nio.file.Files.list(candidates)) {
            all = list.filter(p -> java.nio.file.Files.isDirectory(p)
                            && CANDIDATE_NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> current == null || !p.toAbsolutePath().normalize()
                            .equals(current.toAbsolutePath().normalize()))
                    .sorted(java.util.Comparator.comparingLong((Path p) -> part(p, 0)).thenComparingLong(p -> part(p, 1)))
                    .toList();
        }
        int room = current != null && java.nio.file.Files.isDirectory(current) ? keep - 1 : keep;
        List<Path> gone = new ArrayList<>(all.subList(0, Math.max(0, all.size() - room)));
        try (var list = java.nio.file.Files.list(candidates)) {
            list.filter(p -> PARENT_NAME.matcher(p.getFileName().toString()).matches()).forEach(gone::add);
        }
        for (Path p : gone) {
            deleteTree(p);
        }
        return gone;
    }

    private static final java.util.regex.Pattern CANDIDATE_NAME = java.util.regex.Pattern.compile("\\d{1,18}-\\d{1,18}");
    private static final java.util.regex.Pattern PARENT_NAME =
            java.util.regex.Pattern.compile("\\d{1,18}-\\d{1,18}-parent");

    private static long part(Path p, int i) {
        return Long.parseLong(p.getFileName().toString().split("-")[i]);
    }

    /** The parent's blend with its record saying so; null when the parent has none. */
    static io.odecast.model.Blend inherited(io.odecast.model.Blend parent, String parentVersion) {
        if (parent == null) {
            return null;
        }
        Map<String, Object> fit = new LinkedHashMap<>(parent.fit());
        fit.put("inherited_from", parentVersion);
        fit.put("note", "fitted to the parent's parameters, not refitted for these");
        return new io.odecast.model.Blend(parent.baseline(), parent.members(), parent.weights(), fit);
    }

    /**
     * Serving's checks of a recorded frame: the model's shape, then its channels (reordered to the model's), units
     * and value range ({@link FrameContentCheck}; not the clock checks, which concern arrival, not content).
     */
    private FrameContentCheck check(FrameMessage f, String name, VidOdeModel serving) {
        io.odecast.model.ModelConfig mc = serving.config();
        GridShape shape = f.shape();
        if (shape.channels() != mc.channels() || shape.height() != mc.height() || shape.width() != mc.width()) {
            return new FrameContentCheck(null, io.odecast.kafka.DeadLetterReason.WRONG_SHAPE, "frame of stream "
                    + f.streamId() + " at " + f.eventTime() + " is " + shape + ", model " + name + " takes "
                    + mc.channels() + "x" + mc.height() + "x" + mc.width());
        }
        return FrameContentCheck.of(f, name, serving.card(), maxStdDevs);
    }

    /** The frame's grid, named with the card's channels when the sender named none (channels in model order). */
    private static TimedFrame timed(FrameMessage f, ModelCard card) {
        TimedFrame t = f.frame();
        return new TimedFrame(t.time(), card.channels(), t.shape(), t.data(), t.valid(), false);
    }

    private static FrameSequence sequence(String name, ModelCard card, List<TimedFrame> frames) {
        GridShape shape = frames.get(0).shape();
        return new FrameSequence(name, card.channels(), shape, frames, null, null, null, Double.NaN, null);
    }

    /**
     * The streams' training frames one after another, each stream shifted to start one of its own steps after the
     * previous one ends (the trainer reads one sequence; the few windows across a seam see a jump between streams).
     */
    private static FrameSequence concatenated(String name, ModelCard card, List<List<TimedFrame>> parts) {
        List<TimedFrame> all = new ArrayList<>();
        Instant end = null;
        for (List<TimedFrame> part : parts) {
            Duration step = part.size() > 1 ? Duration.between(part.get(0).time(), part.get(1).time())
                    : Duration.parse(card.timeUnit());
            Duration shift = end == null ? Duration.ZERO : Duration.between(part.get(0).time(), end.plus(step));
            for (TimedFrame f : part) {
                all.add(new TimedFrame(f.time().plus(shift), f.channels(), f.shape(), f.data(), f.valid(), false));
            }
            end = all.get(all.size() - 1).time();
        }
        return sequence(name + "-recorded", card, all);
    }
}
