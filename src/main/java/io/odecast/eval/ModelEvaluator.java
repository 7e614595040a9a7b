package io.odecast.eval;

import io.odecast.data.FrameSequence;
import io.odecast.data.GridShape;
import io.odecast.model.Blend;
import io.odecast.model.ModelCard;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a model on the held-out part of a sequence and scores it beside the baselines an operator would
 * otherwise use, in physical units (masked cells excluded): MSE, RMSE, MAE per lead and channel, and for video
 * SSIM and PSNR (the reference definitions). Forecasters are scored at leads of 1..K frames from every origin
 * whose targets are all held out, beside persistence, linear extrapolation and optical-flow advection
 * ({@link FlowBaselines}); interpolators on windows with a centred hidden block of frames, beside the left
 * neighbour (persistence), linear interpolation, the neighbour average and flow interpolation. Every system
 * gets a skill against persistence, {@code 1 - RMSE / RMSE_persistence}.
 */
public final class ModelEvaluator {

    private final VidOdeModel model;
    private final FrameSequence sequence;
    private final int testStart;
    private final boolean video;
    private final GridShape shape;
    private int strips = 1;
    private Blend blend;
    private int fewestInvalid = -1;

    /**
     * @param testStart first held-out frame index; targets are only scored at or after it
     * @param video     whether to add SSIM and PSNR (frames in [0, 1])
     */
    public ModelEvaluator(VidOdeModel model, FrameSequence sequence, int testStart, boolean video) {
        if (testStart < 1 || testStart >= sequence.size()) {
            throw new IllegalArgumentException("the held-out part must start inside the sequence of " + sequence.size()
                    + " frames, got " + testStart);
        }
        this.model = model;
        this.sequence = sequence;
        this.testStart = testStart;
        this.video = video;
        this.shape = new GridShape(sequence.shape().channels(), sequence.shape().height(), sequence.shape().width());
    }

    /** Writes a strip for about {@code n} origins (or windows per gap) spread over the held-out part (default 1). */
    public ModelEvaluator strips(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("--strips must not be negative, got " + n);
        }
        this.strips = n;
        return this;
    }

    /**
     * Also scores the model blended with its baseline by these weights (system {@code blend}; forecasters: with
     * flow, interpolators: with the straight line, centred layout); null: the model alone.
     */
    public ModelEvaluator blend(Blend weights) {
        this.blend = weights;
        return this;
    }

    /**
     * Fits a forecaster's {@link Blend} with optical-flow extrapolation on the frames {@code from..to-1} (the
     * validation part): every origin with at least one target there, inputs from any earlier frame.
     */
    public Blend calibrateForecast(int inputs, int leads, int from, int to, Map<String, Object> fitRecord) {
        requireCalibrationRange(from, to);
        BlendFit fit = new BlendFit(shape.channels());
        FlowBaselines flows = new FlowBaselines(shape);
        int origins = 0;
        for (int o = Math.max(from - 1, inputs - 1); o + 1 < to; o++) {
            if (sequence.frame(o).missing() || o < 1 || sequence.frame(o - 1).missing()
                    || anyDegraded(o - inputs + 1, o + 1)) {
                continue;
            }
            double[] times = times(o + 1, Math.min(leads, to - 1 - o));
            int n = times.length;
            float[][] predicted = forecastFrom(o, inputs, times);
            Observation last = baselineFrame(o);
            Observation previous = baselineFrame(o - 1);
            List<Observation> flowsAt = flows.extrapolate(previous, last, times);
            for (int k = 1; k <= n; k++) {
                var target = sequence.frame(o + k);
                if (o + k < from || target.missing()) {
                    continue;
                }
                Observation f = flowsAt.get(k - 1);
                fit.add(leadKey(o, o + k), target.data(), predicted[k - 1], f.data(),
                        ErrorMetrics.jointMask(target.valid(), f.valid()));
            }
            origins++;
        }
        if (fit.isEmpty()) {
            throw new IllegalArgumentException("no forecast origin has a target in the validation frames " + from
                    + ".." + (to - 1));
        }
        return new Blend(Blend.FLOW, fit.weights(), fitRecord(fitRecord, from, to, origins + " origins", fit));
    }

    /**
     * Fits an interpolator's {@link Blend} (the model and flow interpolation into the straight line) on the frames {@code from..to-1} (the validation
     * part): windows of {@code length} frames before {@code to} whose hidden block lies there, gaps of 1 to the
     * largest of {@code gaps}, in both layouts ({@link Blend#CENTRED} as evaluated, {@link Blend#END} as served).
     */
    public Blend calibrateInterpolation(int length, int[] gaps, int from, int to, Map<String, Object> fitRecord) {
        requireCalibrationRange(from, to);
        int largest = java.util.Arrays.stream(gaps).max().orElse(1);
        BlendFit fit = new BlendFit(shape.channels(), 2);
        FlowBaselines flows = new FlowBaselines(shape);
        int windows = 0;
        for (int gap = 1; gap <= largest && gap <= length - 2; gap++) {
            for (String layout : List.of(Blend.CENTRED, Blend.END)) {
                int before = Blend.CENTRED.equals(layout) ? (length - gap) / 2 - 1 : length - gap - 2;
                for (int s = Math.max(0, from - before - 1); s + length <= to; s++) {
                    int first = s + before + 1;
                    List<Observation> window = gapWindow(s, length, gap, before);
                    if (window == null || first < from || anyDegraded(s, s + length)) {
                        continue;
                    }
                    double[] times = times(first, gap);
                    float[][] filled = model.interpolate(List.of(window), new double[][] {times}).get(0);
                    Observation a = baselineFrame(first - 1);
                    Observation b = baselineFrame(first + gap);
                    List<Observation> flowsAt = flows.interpolate(a, b, times);
                    for (int j = 0; j < gap; j++) {
                        var target = sequence.frame(first + j);
                        if (target.missing()) {
                            continue;
                        }
                        Observation l = Baselines.linearInterpolation(a, b, times[j]);
                        Observation f = flowsAt.get(j);
                        fit.add(Blend.gapKey(layout, gap, j + 1), target.data(), List.of(filled[j], f.data()),
                                l.data(), ErrorMetrics.jointMask(target.valid(), l.valid()));
                    }
                    windows++;
                }
            }
        }
        if (fit.isEmpty()) {
            throw new IllegalArgumentException("no window of " + length + " frames has its gap in the validation"
                    + " frames " + from + ".." + (to - 1));
        }
        return new Blend(Blend.LINEAR, List.of(Blend.MODEL, Blend.FLOW), fit.weights(),
                fitRecord(fitRecord, from, to, windows + " windows", fit));
    }

    /**
     * Whether a frame in {@code from..to-1} is degraded: more invalid cells than the sequence's most complete frame
     * (the storm's frame 37 lacks its whole v field). Blend weights describe the model on complete inputs, so the
     * fit leaves such windows out; forecasts from such frames are flagged PARTIAL_INPUT by the service.
     */
    private boolean anyDegraded(int from, int to) {
        if (fewestInvalid < 0) {
            fewestInvalid = Integer.MAX_VALUE;
            for (var f : sequence.frames()) {
                if (!f.missing()) {
                    fewestInvalid = Math.min(fewestInvalid, f.invalidCount());
                }
            }
        }
        for (int i = Math.max(0, from); i < to && i < sequence.size(); i++) {
            if (!sequence.frame(i).missing() && sequence.frame(i).invalidCount() > fewestInvalid) {
                return true;
            }
        }
        return false;
    }

    private void requireCalibrationRange(int from, int to) {
        if (from < 1 || to > testStart || from >= to) {
            throw new IllegalArgumentException("blend weights are fitted on validation frames before the held-out"
                    + " part (" + testStart + "..), got " + from + ".." + (to - 1));
        }
    }

    private static Map<String, Object> fitRecord(Map<String, Object> base, int from, int to, String samples,
                                                 BlendFit fit) {
        Map<String, Object> out = new LinkedHashMap<>(base == null ? Map.of() : base);
        out.put("frames", List.of(from, to));
        out.put("samples", samples);
        out.put("frames_per_key", fit.frames());
        return out;
    }

    /** Lead from frame {@code o} to frame {@code t} in the card's time units, exact: what serving weighs by. */
    private double leadUnits(int o, int t) {
        return (time(t) - time(o)) / model.card().timeScale();
    }

    /**
     * The blend key of the lead from frame {@code o} to {@code t}: weights are fitted per whole lead of the card's time
     * unit, 1, 2, ... (serving interpolates between them), so data whose frame step is not one unit is refused
     * rather than rounded onto that grid or keyed where serving never looks.
     */
    private String leadKey(int o, int t) {
        double units = leadUnits(o, t);
        long whole = Math.round(units);
        if (whole != t - o || Math.abs(units - whole) > 1e-6) {
            throw new IllegalArgumentException("blend weights are fitted per lead of the model's time unit ("
                    + model.card().timeUnit() + "), but frames " + o + " and " + t + " are "
                    + Math.round(units * 1e6) / 1e6 + " units apart: calibrate on data whose frame step is one unit");
        }
        return Blend.leadKey((int) whole);
    }

    /** The state after the {@code inputs} frames up to {@code o} (one arrival at a time), forecast at the times. */
    private float[][] forecastFrom(int o, int inputs, double[] times) {
        StreamState state = model.emptyState();
        for (int i = Math.max(0, o - inputs + 1); i <= o; i++) {
            if (!sequence.frame(i).missing()) {
                state = model.advance(List.of(state), List.of(observation(i))).get(0);
            }
        }
        return model.forecast(List.of(state), new double[][] {times}).get(0);
    }

    /**
     * The observed frames of a window of {@code length} from {@code s} with the {@code gap} frames after its
     * {@code before+1}-th hidden, or null when a neighbour of the gap or another frame is missing.
     */
    private List<Observation> gapWindow(int s, int length, int gap, int before) {
        int first = s + before + 1;
        if (sequence.frame(s + before).missing() || sequence.frame(first + gap).missing()) {
            return null;
        }
        List<Observation> window = new ArrayList<>();
        for (int i = s; i < s + length; i++) {
            if ((i < first || i >= first + gap) && !sequence.frame(i).missing()) {
                window.add(observation(i));
            }
        }
        return window.size() == length - gap ? window : null;
    }

    /**
     * Scores forecasts at 1..{@code leads} frames ahead from every origin o (the last input, with {@code inputs}
     * frames fed one arrival at a time) whose targets o+1..o+leads are held out and whose frame o-1 is present
     * (the two-frame baselines start from it); every system is scored on the same origins and cells.
     */
    public EvaluationReport forecast(int inputs, int leads, Path stripDir) throws IOException {
        ModelCard card = model.card();
        MetricAccumulator ours = new MetricAccumulator(shape, card.channels());
        MetricAccumulator persistence = new MetricAccumulator(shape, card.channels());
        MetricAccumulator linear = new MetricAccumulator(shape, card.channels());
        MetricAccumulator flow = new MetricAccumulator(shape, card.channels());
        MetricAccumulator blended = new MetricAccumulator(shape, card.channels());
        boolean blending = blend != null && Blend.FLOW.equals(blend.baseline());
        FlowBaselines flows = new FlowBaselines(shape);
        Map<String, ImageScores> images = new LinkedHashMap<>();
        int firstOrigin = Math.max(testStart - 1, inputs - 1);
        java.util.Set<Integer> stripOrigins = spread(firstOrigin, sequence.size() - leads - 1);
        int origins = 0;
        for (int o = firstOrigin; o + leads < sequence.size(); o++) {
            // Every system is scored on the same origins: those the two-frame baselines (linear, flow) can start from.
            if (sequence.frame(o).missing() || o < 1 || sequence.frame(o - 1).missing()) {
                continue;
            }
            double[] times = times(o + 1, leads);
            float[][] predicted = forecastFrom(o, inputs, times);
            Observation last = baselineFrame(o);
            Observation previous = baselineFrame(o - 1);
            float[][] truths = new float[leads][];
            boolean[][] valids = new boolean[leads][];
            float[][] persisted = new float[leads][];
            float[][] lines = new float[leads][];
            float[][] flowed = new float[leads][];
            float[][] mixed = new float[leads][];
            List<Observation> flowsAt = flows.extrapolate(previous, last, times);
            for (int k = 1; k <= leads; k++) {
                var target = sequence.frame(o + k);
                if (target.missing()) {
                    continue;
                }
                String lead = leadLabel(k);
                // The model writes its fill value where the last input was invalid, and linear extrapolation has
                // none where the previous one was: every system is scored on the same cells, those valid in the
                // target, the last and the previous frame.
                boolean[] scored = ErrorMetrics.jointMask(target.valid(),
                        ErrorMetrics.jointMask(last.valid(), previous.valid()));
                ours.add(lead, target.data(), predicted[k - 1], scored);
                Observation p = Baselines.persistence(last, times[k - 1]);
                persistence.add(lead, target.data(), p.data(), scored);
                Observation l = Baselines.linearExtrapolation(previous, last, times[k - 1]);
                linear.add(lead, target.data(), l.data(), scored);
                Observation f = flowsAt.get(k - 1);
                flow.add(lead, target.data(), f.data(), scored);
                image(images, "linear", lead).add(target.data(), l.data());
                image(images, "flow", lead).add(target.data(), f.data());
                lines[k - 1] = l.data();
                flowed[k - 1] = f.data();
                float[] w = blending ? blend.atLead(leadUnits(o, o + k)) : null;
                if (w != null) {
                    mixed[k - 1] = Blend.apply(predicted[k - 1], f.data(), f.valid(), w);
                    blended.add(lead, target.data(), mixed[k - 1], scored);
                    image(images, "blend", lead).add(target.data(), mixed[k - 1]);
                }
                image(images, "model", lead).add(target.data(), predicted[k - 1]);
                image(images, "persistence", lead).add(target.data(), p.data());
                truths[k - 1] = target.data();
                // the strip shows (and its error row measures) the cells that were scored
                valids[k - 1] = scored;
                persisted[k - 1] = p.data();
            }
            if (stripDir != null && stripOrigins.contains(o)) {
                List<String> columns = new ArrayList<>();
                List<float[]> observed = new ArrayList<>();
                List<boolean[]> masks = new ArrayList<>();
                for (int i = Math.max(0, o - inputs + 1); i <= o; i++) {
                    columns.add(i == o ? "t0" : "t-" + duration(o - i));
                    observed.add(sequence.frame(i).missing() ? null : sequence.frame(i).data());
                    masks.add(sequence.frame(i).valid());
                }
                int before = columns.size();
                for (int k = 1; k <= leads; k++) {
                    columns.add(leadLabel(k));
                    observed.add(truths[k - 1]);
                    masks.add(valids[k - 1]);
                }
                writeStrip(stripDir.resolve("forecast-origin-" + o + ".png"), "forecast from "
                        + sequence.frame(o).time() + " (frame " + o + ")", columns, observed, masks, before,
                        blending ? List.of("model", "persistence", "linear", "flow", "blend")
                                : List.of("model", "persistence", "linear", "flow"),
                        blending ? List.of(predicted, persisted, lines, flowed, mixed)
                                : List.of(predicted, persisted, lines, flowed));
            }
            origins++;
        }
        if (origins == 0) {
            throw new IllegalArgumentException("no forecast origin has " + leads + " held-out frames after it");
        }
        EvaluationReport report = new EvaluationReport();
        report.addErrors("model", ours);
        report.addErrors("persistence", persistence);
        report.addErrors("linear", linear);
        report.addErrors("flow", flow);
        if (blending) {
            report.addErrors("blend", blended);
        }
        addImageRows(report, images);
        report.addSkill("persistence");
        return report;
    }

    /**
     * Scores gap filling: windows of {@code length} held-out frames with a centred block of {@code gap} hidden
     * frames, for each gap size; baselines are linear interpolation between the block's neighbours and (video)
     * their average.
     */
    public EvaluationReport interpolate(int length, int[] gaps, Path stripDir) throws IOException {
        ModelCard card = model.card();
        MetricAccumulator ours = new MetricAccumulator(shape, card.channels());
        MetricAccumulator linear = new MetricAccumulator(shape, card.channels());
        MetricAccumulator average = new MetricAccumulator(shape, card.channels());
        MetricAccumulator persistence = new MetricAccumulator(shape, card.channels());
        MetricAccumulator flow = new MetricAccumulator(shape, card.channels());
        MetricAccumulator blended = new MetricAccumulator(shape, card.channels());
        boolean blending = blend != null && Blend.LINEAR.equals(blend.baseline());
        FlowBaselines flows = new FlowBaselines(shape);
        Map<String, ImageScores> images = new LinkedHashMap<>();
        int windows = 0;
        for (int gap : gaps) {
            if (gap < 1 || gap > length - 2) {
                throw new IllegalArgumentException("a gap of " + gap + " frames does not fit a window of " + length);
            }
            int before = (length - gap) / 2 - 1;
            java.util.Set<Integer> stripStarts = spread(testStart, sequence.size() - length);
            for (int s = testStart; s + length <= sequence.size(); s++) {
                int first = s + before + 1;
                List<Observation> window = gapWindow(s, length, gap, before);
                if (window == null) {
                    continue;
                }
                double[] times = times(first, gap);
                float[][] filled = model.interpolate(List.of(window), new double[][] {times}).get(0);
                Observation a = baselineFrame(first - 1);
                Observation b = baselineFrame(first + gap);
                Observation mean = Baselines.neighbourAverage(a, b);
                List<Observation> flowsAt = flows.interpolate(a, b, times);
                float[][] truths = new float[gap][];
                boolean[][] valids = new boolean[gap][];
                float[][] lines = new float[gap][];
                float[][] averages = new float[gap][];
                float[][] flowed = new float[gap][];
                float[][] mixed = new float[gap][];
                for (int j = 0; j < gap; j++) {
                    var target = sequence.frame(first + j);
                    if (target.missing()) {
                        continue;
                    }
                    String label = gapLabel(gap, j);
                    Observation l = Baselines.linearInterpolation(a, b, times[j]);
                    // Every system is scored where the target and both neighbours are valid, as the straight line is.
                    boolean[] scored = ErrorMetrics.jointMask(target.valid(), l.valid());
                    ours.add(label, target.data(), filled[j], scored);
                    linear.add(label, target.data(), l.data(), scored);
                    average.add(label, target.data(), mean.data(), scored);
                    persistence.add(label, target.data(), a.data(), scored);
                    Observation f = flowsAt.get(j);
                    flow.add(label, target.data(), f.data(), scored);
                    image(images, "persistence", label).add(target.data(), a.data());
                    image(images, "flow", label).add(target.data(), f.data());
                    image(images, "model", label).add(target.data(), filled[j]);
                    image(images, "linear", label).add(target.data(), l.data());
                    image(images, "average", label).add(target.data(), mean.data());
                    float[] w = blending ? blend.atGap(Blend.CENTRED, gap, j + 1) : null;
                    if (w != null) {
                        mixed[j] = Blend.apply(blend.blendsFlow() ? List.of(filled[j], f.data()) : List.of(filled[j]),
                                l.data(), l.valid(), w);
                        blended.add(label, target.data(), mixed[j], scored);
                        image(images, "blend", label).add(target.data(), mixed[j]);
                    }
                    truths[j] = target.data();
                    valids[j] = scored;
                    lines[j] = l.data();
                    averages[j] = mean.data();
                    flowed[j] = f.data();
                }
                if (stripDir != null && stripStarts.contains(s)) {
                    List<String> columns = new ArrayList<>(List.of("before"));
                    List<float[]> observed = new ArrayList<>(java.util.Collections.singletonList(a.data()));
                    List<boolean[]> masks = new ArrayList<>(java.util.Collections.singletonList(a.valid()));
                    for (int j = 0; j < gap; j++) {
                        columns.add(gapLabel(gap, j).substring(4));
                        observed.add(truths[j]);
                        masks.add(valids[j]);
                    }
                    columns.add("after");
                    observed.add(b.data());
                    masks.add(b.valid());
                    writeStrip(stripDir.resolve("interpolate-gap" + gap + "-start-" + s + ".png"), "gap of " + gap
                            + " frame(s) after " + sequence.frame(first - 1).time(), columns, observed, masks, 1,
                            blending ? List.of("model", "linear", "average", "flow", "blend")
                                    : List.of("model", "linear", "average", "flow"),
                            blending ? List.of(filled, lines, averages, flowed, mixed)
                                    : List.of(filled, lines, averages, flowed));
                }
                windows++;
            }
        }
        if (windows == 0) {
            throw new IllegalArgumentException("no window of " + length + " held-out frames fits the test part");
        }
        EvaluationReport report = new EvaluationReport();
        report.addErrors("model", ours);
        report.addErrors("persistence", persistence);
        report.addErrors("linear", linear);
        report.addErrors("average", average);
        report.addErrors("flow", flow);
        if (blending) {
            report.addErrors("blend", blended);
        }
        addImageRows(report, images);
        report.addSkill("persistence");
        return report;
    }

    private Observation observation(int i) {
        var f = sequence.frame(i);
        return new Observation(time(i), f.data(), f.valid());
    }

    private Observation baselineFrame(int i) {
        var f = sequence.frame(i);
        return new Observation(time(i), f.data(), f.valid());
    }

    /** Model times of the {@code count} frames from {@code first}. */
    private double[] times(int first, int count) {
        double[] out = new double[count];
        for (int j = 0; j < count; j++) {
            out[j] = time(first + j);
        }
        return out;
    }

    private double time(int i) {
        return model.card().modelTime(sequence.frame(i).time());
    }

    private String leadLabel(int k) {
        return "+" + duration(k);
    }

    private String gapLabel(int gap, int j) {
        String position = gap % 2 == 1 && j == gap / 2 ? "mid" : "+" + duration(j + 1);
        return "gap " + duration(gap + 1) + " " + position;
    }

    /** k nominal steps as a short label: 6h, 12h, or frames for video. */
    private String duration(int k) {
        Duration step = sequence.nominalStep();
        if (step == null || video) {
            return k + "f";
        }
        Duration d = step.multipliedBy(k);
        return d.toMinutes() % 60 == 0 ? d.toHours() + "h" : d.toMinutes() + "min";
    }

    /**
     * Writes a labelled strip: the observed row ({@code observed}, inputs then truths), one row per system (its frames
     * from column {@code first} on) and |model - truth|.
     */
    private void writeStrip(Path file, String what, List<String> columns, List<float[]> observed,
                            List<boolean[]> masks, int first, List<String> systems, List<float[][]> frames)
            throws IOException {
        Files.createDirectories(file.getParent());
        List<PngStrip.Row> rows = new ArrayList<>();
        rows.add(new PngStrip.Row("observed", observed, false));
        for (int k = 0; k < systems.size(); k++) {
            rows.add(new PngStrip.Row(systems.get(k), shifted(frames.get(k), first, columns.size()), false));
        }
        float[][] errors = new float[columns.size() - first][];
        float[][] ours = frames.get(0);
        for (int j = 0; j < errors.length && j < ours.length; j++) {
            float[] truth = observed.get(first + j);
            if (truth != null && ours[j] != null) {
                errors[j] = new float[truth.length];
                for (int i = 0; i < truth.length; i++) {
                    errors[j][i] = Math.abs(ours[j][i] - truth[i]);
                }
            }
        }
        rows.add(new PngStrip.Row("|model - truth|", shifted(errors, first, columns.size()), true));
        List<PngStrip.ColourMap> maps = new ArrayList<>();
        for (int c = 0; c < shape.channels(); c++) {
            maps.add(video ? PngStrip.ColourMap.GREY : PngStrip.ColourMap.DIVERGING);
        }
        double[] lat = sequence.lat();
        boolean northUp = lat != null && lat.length > 1 && lat[0] < lat[lat.length - 1];
        List<String> units = sequence.units() == null ? List.of() : java.util.Arrays.stream(sequence.units())
                .map(u -> u == null ? "" : u).toList();
        PngStrip.Layout layout = new PngStrip.Layout(shape, sequence.channels(), units, maps,
                Math.max(1, 160 / Math.max(shape.height(), shape.width())), northUp, geography());
        PngStrip.write(file, model.card().name() + ": " + what, layout, columns, rows, masks);
    }

    /** The grid's place and the US state outlines, for a regular lat/lon grid (null otherwise). */
    private PngStrip.Geography geography() {
        double[] lat = sequence.lat();
        double[] lon = sequence.lon();
        if (video || lat == null || lon == null || lat.length != shape.height() || lon.length != shape.width()
                || lat.length < 2 || lon.length < 2) {
            return null;
        }
        double lon0 = lon[0] > 180 ? lon[0] - 360 : lon[0];
        return io.odecast.data.Outlines.usStates().map(o -> new PngStrip.Geography(lat[0], lat[1] - lat[0], lon0,
                lon[1] - lon[0], o)).orElse(null);
    }

    private static List<float[]> shifted(float[][] frames, int first, int columns) {
        List<float[]> out = new ArrayList<>(java.util.Collections.nCopies(columns, (float[]) null));
        for (int j = 0; j < frames.length && first + j < columns; j++) {
            out.set(first + j, frames[j]);
        }
        return out;
    }

    /** About {@link #strips} positions spread evenly over {@code from..to} (inclusive). */
    private java.util.Set<Integer> spread(int from, int to) {
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        if (to < from || strips <= 0) {
            return out;
        }
        for (int k = 0; k < strips; k++) {
            out.add(from + (int) Math.round((double) (to - from) * k / Math.max(1, strips - 1)));
        }
        return out;
    }

    private ImageScores image(Map<String, ImageScores> images, String system, String lead) {
        return images.computeIfAbsent(system + "\u0000" + lead, k -> new ImageScores(system, lead));
    }

    private void addImageRows(EvaluationReport report, Map<String, ImageScores> images) {
        if (!video) {
            return;
        }
        for (ImageScores s : images.values()) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("ssim", s.ssimSum / s.frames);
            m.put("psnr", s.psnr.psnrOfMeanMse());
            m.put("psnr_frame_mean", s.psnr.meanOfFramePsnr());
            m.put("frames", (double) s.frames);
            report.add(new EvaluationReport.Row(s.system, s.lead, "image", m));
        }
    }

    /** SSIM and PSNR sums of one (system, lead). */
    private final class ImageScores {
        final String system;
        final String lead;
        final Psnr psnr = new Psnr(true);
        double ssimSum;
        int frames;

        ImageScores(String system, String lead) {
            this.system = system;
            this.lead = lead;
        }

        void add(float[] truth, float[] prediction) {
            if (!video) {
                return;
            }
            psnr.add(truth, prediction);
            ssimSum += Ssim.ofFrames(shape, truth, prediction);
            frames++;
        }
    }
}
