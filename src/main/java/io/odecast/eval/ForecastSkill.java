package io.odecast.eval;

import io.odecast.data.FrameSequence;
import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Skill of forecasts produced by the running service against the truth and against persistence (the frame the
 * forecast was based on), per lead: the demo's summary. Forecasts whose valid time has no true frame (dropped,
 * missing, or past the data) are not scored.
 */
public final class ForecastSkill {

    /** One emitted forecast: the observation time it was based on and its frames at valid times. */
    public record Issued(Instant basedOn, List<Duration> leads, List<float[]> frames) {
    }

    private final GridShape shape;
    private final List<String> channels;
    private final Map<Instant, TimedFrame> truth = new HashMap<>();
    private final MetricAccumulator model;
    private final MetricAccumulator persistence;
    private final Map<Duration, Psnr[]> psnr = new TreeMap<>();
    private final boolean video;
    private int scored;

    public ForecastSkill(FrameSequence sequence, boolean video) {
        this.shape = sequence.shape();
        this.channels = sequence.channels();
        this.video = video;
        for (TimedFrame f : sequence.frames()) {
            if (!f.missing()) {
                truth.put(f.time(), f);
            }
        }
        model = new MetricAccumulator(shape, channels);
        persistence = new MetricAccumulator(shape, channels);
    }

    /** Scores every lead of {@code forecast} that has a true frame. */
    public void add(Issued forecast) {
        TimedFrame base = truth.get(forecast.basedOn());
        if (base == null) {
            return;
        }
        for (int k = 0; k < forecast.leads().size(); k++) {
            Duration lead = forecast.leads().get(k);
            TimedFrame target = truth.get(forecast.basedOn().plus(lead));
            if (target == null) {
                continue;
            }
            String label = label(lead);
            boolean[] valid = ErrorMetrics.jointMask(target.valid(), base.valid());
            model.add(label, target.data(), forecast.frames().get(k), valid);
            persistence.add(label, target.data(), base.data(), valid);
            if (video) {
                Psnr[] p = psnr.computeIfAbsent(lead, l -> new Psnr[] {new Psnr(true), new Psnr(true)});
                p[0].add(target.data(), forecast.frames().get(k));
                p[1].add(target.data(), base.data());
            }
            scored++;
        }
    }

    /** Number of (forecast, lead) pairs scored. */
    public int scored() {
        return scored;
    }

    /** Model and persistence rows (RMSE per lead and channel; PSNR per lead for video). */
    public EvaluationReport report() {
        EvaluationReport report = new EvaluationReport();
        report.addErrors("model", model);
        report.addErrors("persistence", persistence);
        psnr.forEach((lead, p) -> {
            report.add(new EvaluationReport.Row("model", label(lead), "image", Map.of("psnr", p[0].psnrOfMeanMse())));
            report.add(new EvaluationReport.Row("persistence", label(lead), "image", Map.of("psnr", p[1].psnrOfMeanMse())));
        });
        return report;
    }

    /** Model and persistence RMSE of {@code channel} over all leads, in physical units. */
    public double[] rmse(String channel) {
        return new double[] {model.channelTotal(channel).rmse(), persistence.channelTotal(channel).rmse()};
    }

    /** Model RMSE over persistence RMSE per channel over all leads (below 1: the model is better). */
    public Map<String, Double> rmseRatio() {
        Map<String, Double> out = new TreeMap<>();
        for (String c : channels) {
            out.put(c, model.channelTotal(c).rmse() / persistence.channelTotal(c).rmse());
        }
        return out;
    }

    private static String label(Duration lead) {
        return "+" + (lead.toMillis() % 3_600_000 == 0 ? lead.toHours() + "h" : lead.toMillis() + "ms");
    }
}
