package io.odecast.eval;

import io.odecast.data.FrameSequence;
import io.odecast.data.GridShape;
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

    /**
     * Scores forecasts at 1..{@code leads} frames ahead from every origin o (the last input, with {@code inputs}
     * frames fed one arrival at a time) whose targets o+1..o+leads are held out.
     */
    public EvaluationReport forecast(int inputs, int leads, Path stripDir) throws IOException {
        ModelCard card = model.card();
        MetricAccumulator ours = new MetricAccumulator(shape, card.channels());
        MetricAccumulator persistence = new MetricAccumulator(shape, card.channels());
        MetricAccumulator linear = new MetricAccumulator(shape, card.channels());
        MetricAccumulator flow = new MetricAccumulator(shape, card.channels());
        FlowBaselines flows = new FlowBaselines(shape);
        Map<String, ImageScores> images = new LinkedHashMap<>();
        int firstOrigin = Math.max(testStart - 1, inputs - 1);
        int origins = 0;
        for (int o = firstOrigin; o + leads < sequence.size(); o++) {
            if (sequence.frame(o).missing()) {
                continue;
            }
            StreamState state = model.emptyState();
            for (int i = o - inputs + 1; i <= o; i++) {
                if (!sequence.frame(i).missing()) {
                    state = model.advance(List.of(state), List.of(observation(i))).get(0);
                }
            }
            double[] times = new double[leads];
            for (int k = 1; k <= leads; k++) {
                times[k - 1] = time(o + k);
            }
            float[][] predicted = model.forecast(List.of(state), new double[][] {times}).get(0);
            Observation last = baselineFrame(o);
            Observation previous = o >= 1 && !sequence.frame(o - 1).missing() ? baselineFrame(o - 1) : null;
            List<float[]> truths = new ArrayList<>();
            List<boolean[]> valids = new ArrayList<>();
            for (int k = 1; k <= leads; k++) {
                var target = sequence.frame(o + k);
                if (target.missing()) {
                    continue;
                }
                String lead = leadLabel(k);
                boolean[] valid = target.valid();
                ours.add(lead, target.data(), predicted[k - 1], valid);
                Observation p = Baselines.persistence(last, times[k - 1]);
                persistence.add(lead, target.data(), p.data(), ErrorMetrics.jointMask(valid, p.valid()));
                if (previous != null) {
                    Observation l = Baselines.linearExtrapolation(previous, last, times[k - 1]);
                    linear.add(lead, target.data(), l.data(), ErrorMetrics.jointMask(valid, l.valid()));
                    image(images, "linear", lead).add(target.data(), l.data());
                    Observation f = flows.extrapolate(previous, last, times[k - 1]);
                    flow.add(lead, target.data(), f.data(), ErrorMetrics.jointMask(valid, f.valid()));
                    image(images, "flow", lead).add(target.data(), f.data());
                }
                image(images, "model", lead).add(target.data(), predicted[k - 1]);
                image(images, "persistence", lead).add(target.data(), p.data());
                truths.add(target.data());
                valids.add(valid);
            }
            if (origins == 0 && stripDir != null && truths.size() == leads) {
                List<float[]> in = new ArrayList<>();
                for (int i = Math.max(0, o - inputs + 1); i <= o; i++) {
                    in.add(sequence.frame(i).data());
                }
                writeStrip(stripDir.resolve("forecast-origin-" + o + ".png"), in, truths, predicted, valids);
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
        FlowBaselines flows = new FlowBaselines(shape);
        Map<String, ImageScores> images = new LinkedHashMap<>();
        int windows = 0;
        for (int gap : gaps) {
            if (gap < 1 || gap > length - 2) {
                throw new IllegalArgumentException("a gap of " + gap + " frames does not fit a window of " + length);
            }
            int before = (length - gap) / 2 - 1;
            for (int s = testStart; s + length <= sequence.size(); s++) {
                int first = s + before + 1;
                List<Observation> window = new ArrayList<>();
                boolean usable = !sequence.frame(s + before).missing() && !sequence.frame(first + gap).missing();
                for (int i = s; i < s + length && usable; i++) {
                    if ((i < first || i >= first + gap) && !sequence.frame(i).missing()) {
                        window.add(observation(i));
                    }
                }
                if (!usable || window.size() != length - gap) {
                    continue;
                }
                double[] times = new double[gap];
                for (int j = 0; j < gap; j++) {
                    times[j] = time(first + j);
                }
                float[][] filled = model.interpolate(List.of(window), new double[][] {times}).get(0);
                Observation a = baselineFrame(first - 1);
                Observation b = baselineFrame(first + gap);
                Observation mean = Baselines.neighbourAverage(a, b);
                List<float[]> truths = new ArrayList<>();
                List<boolean[]> valids = new ArrayList<>();
                for (int j = 0; j < gap; j++) {
                    var target = sequence.frame(first + j);
                    if (target.missing()) {
                        continue;
                    }
                    String label = gapLabel(gap, j);
                    ours.add(label, target.data(), filled[j], target.valid());
                    Observation l = Baselines.linearInterpolation(a, b, times[j]);
                    linear.add(label, target.data(), l.data(), ErrorMetrics.jointMask(target.valid(), l.valid()));
                    average.add(label, target.data(), mean.data(), ErrorMetrics.jointMask(target.valid(), mean.valid()));
                    persistence.add(label, target.data(), a.data(), ErrorMetrics.jointMask(target.valid(), a.valid()));
                    Observation f = flows.interpolate(a, b, times[j]);
                    flow.add(label, target.data(), f.data(), ErrorMetrics.jointMask(target.valid(), f.valid()));
                    image(images, "persistence", label).add(target.data(), a.data());
                    image(images, "flow", label).add(target.data(), f.data());
                    image(images, "model", label).add(target.data(), filled[j]);
                    image(images, "linear", label).add(target.data(), l.data());
                    image(images, "average", label).add(target.data(), mean.data());
                    truths.add(target.data());
                    valids.add(target.valid());
                }
                if (windows == 0 && stripDir != null && truths.size() == gap) {
                    writeStrip(stripDir.resolve("interpolate-gap" + gap + "-start-" + s + ".png"),
                            List.of(a.data(), b.data()), truths, filled, valids);
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

    private void writeStrip(Path file, List<float[]> inputs, List<float[]> truths, float[][] predicted,
                            List<boolean[]> valids) throws IOException {
        Files.createDirectories(file.getParent());
        List<PngStrip.ColourMap> maps = new ArrayList<>();
        for (int c = 0; c < shape.channels(); c++) {
            maps.add(video ? PngStrip.ColourMap.GREY : PngStrip.ColourMap.DIVERGING);
        }
        List<float[]> predictions = new ArrayList<>();
        for (int k = 0; k < truths.size(); k++) {
            predictions.add(predicted[k]);
        }
        PngStrip.write(file, shape, maps, inputs, truths, predictions, valids, video ? 2 : 4);
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
