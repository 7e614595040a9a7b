package io.odecast.eval;

import io.odecast.data.FrameSequence;
import io.odecast.data.TimedFrame;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Skill of the frames the service filled in on a regular stream, against the truth and against linear
 * interpolation in time between the observed frames either side of each gap: the demo's gap-filling summary.
 */
public final class FillSkill {

    /** One frame of the regular stream: observed (passed through) or filled. */
    public record RegularFrame(Instant time, float[] data, boolean filled) {
    }

    private final Map<Instant, TimedFrame> truth = new HashMap<>();
    private final MetricAccumulator model;
    private final MetricAccumulator linear;
    private int scored;

    public FillSkill(FrameSequence sequence) {
        for (TimedFrame f : sequence.frames()) {
            if (!f.missing()) {
                truth.put(f.time(), f);
            }
        }
        model = new MetricAccumulator(sequence.shape(), sequence.channels());
        linear = new MetricAccumulator(sequence.shape(), sequence.channels());
    }

    /** Scores every filled frame of a regular stream (in time order) that lies between two observed ones. */
    public void addAll(List<RegularFrame> frames) {
        TreeMap<Instant, RegularFrame> observed = new TreeMap<>();
        frames.stream().filter(f -> !f.filled()).forEach(f -> observed.put(f.time(), f));
        for (RegularFrame f : frames) {
            TimedFrame target = truth.get(f.time());
            var before = observed.lowerEntry(f.time());
            var after = observed.higherEntry(f.time());
            if (!f.filled() || target == null || before == null || after == null) {
                continue;
            }
            double w = (double) (f.time().toEpochMilli() - before.getKey().toEpochMilli())
                    / (after.getKey().toEpochMilli() - before.getKey().toEpochMilli());
            float[] a = before.getValue().data();
            float[] b = after.getValue().data();
            float[] line = new float[a.length];
            for (int i = 0; i < line.length; i++) {
                line[i] = (float) (a[i] + w * (b[i] - a[i]));
            }
            // Scored where the truth and both neighbours the straight line is drawn between are valid.
            boolean[] valid = ErrorMetrics.jointMask(target.valid(), ErrorMetrics.jointMask(
                    maskOf(before.getKey()), maskOf(after.getKey())));
            model.add("filled", target.data(), f.data(), valid);
            linear.add("filled", target.data(), line, valid);
            scored++;
        }
    }

    private boolean[] maskOf(Instant time) {
        TimedFrame f = truth.get(time);
        return f == null ? null : f.valid();
    }

    public int scored() {
        return scored;
    }

    /** Model RMSE over linear-interpolation RMSE per channel (below 1: the model fills better). */
    public Map<String, Double> rmseRatio() {
        Map<String, Double> out = new TreeMap<>();
        for (String c : model.channelNames()) {
            out.put(c, model.channelTotal(c).rmse() / linear.channelTotal(c).rmse());
        }
        return out;
    }

    /** Model and linear-interpolation rows. */
    public EvaluationReport report() {
        EvaluationReport report = new EvaluationReport();
        report.addErrors("model", model);
        report.addErrors("linear", linear);
        return report;
    }
}
