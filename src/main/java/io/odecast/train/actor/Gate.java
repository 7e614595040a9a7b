package io.odecast.train.actor;

import io.odecast.data.FrameSequence;
import io.odecast.eval.EvaluationReport;
import io.odecast.eval.ModelEvaluator;
import io.odecast.model.VidOdeModel;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides whether a candidate may replace the serving version: both, and persistence, forecast the most recent
 * recorded frames the candidate did not train on, scored by the evaluation code of {@code odecast evaluate}
 * ({@link ModelEvaluator}); the candidate passes only when its error is below the serving version's by at least
 * {@code margin} (a fraction). Errors are per channel divided by the card's standard deviation, so channels in
 * different units weigh alike, then averaged over channels and streams.
 */
public final class Gate {
    private Gate() {
    }

    /** The error the gate compares. */
    public enum Metric {
        RMSE(EvaluationReport.RMSE), MAE(EvaluationReport.MAE);

        private final String column;

        Metric(String column) {
            this.column = column;
        }

        static Metric parse(String text) {
            for (Metric m : values()) {
                if (m.column.equalsIgnoreCase(text)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("odecast.trainer.gate.metric must be rmse or mae, got \"" + text
                    + "\"");
        }
    }

    /**
     * @param margin        the fraction by which the candidate's error must be below the serving version's
     * @param holdoutFrames the most recent frames of each stream kept out of training for the gate
     * @param leads         forecast leads (in frames) scored from each origin
     */
    public record Settings(Metric metric, double margin, int holdoutFrames, int leads) {
        public Settings {
            if (!(margin >= 0 && margin < 1) || leads < 1 || holdoutFrames < leads) {
                throw new IllegalArgumentException("odecast.trainer.gate needs 0 <= margin < 1, leads >= 1 and"
                        + " holdout-frames >= leads, got margin=" + margin + " leads=" + leads + " holdout-frames="
                        + holdoutFrames);
            }
        }
    }

    /** Normalised errors of the three systems on the held-out frames. */
    public record Scores(double candidate, double serving, double persistence, int streams) {
    }

    /** The decision with its figures, as logged and written to the candidate's card. */
    public record Verdict(boolean publish, Settings settings, Scores scores, String reason) {
        /** The same scores, not published, for {@code why}. */
        public Verdict withheld(String why) {
            return new Verdict(false, settings, scores, why);
        }

        /** The card's record of the decision. */
        public Map<String, Object> toCard() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("gate_decision", publish ? "published" : "rejected");
            m.put("gate_reason", reason);
            m.put("gate_metric", settings.metric().column);
            m.put("gate_margin", settings.margin());
            m.put("gate_candidate", scores.candidate());
            m.put("gate_serving", scores.serving());
            m.put("gate_persistence", scores.persistence());
            m.put("gate_streams", scores.streams());
            return m;
        }
    }

    /**
     * Scores candidate, serving version and persistence on each held-out sequence.
     *
     * @param heldOut each stream's recent frames; the last {@code holdoutFrames} of each are the targets
     */
    public static Scores score(VidOdeModel candidate, VidOdeModel serving, List<FrameSequence> heldOut,
                               Settings settings, int inputs) throws IOException {
        double c = 0;
        double s = 0;
        double p = 0;
        for (FrameSequence seq : heldOut) {
            int testStart = seq.size() - settings.holdoutFrames();
            EvaluationReport ours = new ModelEvaluator(candidate, seq, testStart, false).forecast(inputs,
                    settings.leads(), null);
            EvaluationReport theirs = new ModelEvaluator(serving, seq, testStart, false).forecast(inputs,
                    settings.leads(), null);
            c += error(ours, "model", candidate, settings.metric());
            s += error(theirs, "model", serving, settings.metric());
            p += error(theirs, "persistence", serving, settings.metric());
        }
        int n = heldOut.size();
        return new Scores(c / n, s / n, p / n, n);
    }

    /** Publish only when the candidate beats the serving version by the margin. */
    public static Verdict decide(Scores scores, Settings settings) {
        double needed = scores.serving() * (1 - settings.margin());
        boolean publish = Double.isFinite(scores.candidate()) && scores.candidate() < needed;
        String reason = String.format(Locale.ROOT, "%s: candidate %.5g, serving %.5g, persistence %.5g on %d streams;"
                        + " %s (needs < %.5g, %.1f%% below serving)", settings.metric().column, scores.candidate(),
                scores.serving(), scores.persistence(), scores.streams(),
                publish ? "better by the margin" : "not better by the margin", needed, 100 * settings.margin());
        return new Verdict(publish, settings, scores, reason);
    }

    /** The system's all-leads error per channel over the channel's standard deviation, averaged over channels. */
    private static double error(EvaluationReport report, String system, VidOdeModel model, Metric metric) {
        List<String> channels = model.card().channels();
        double sum = 0;
        int n = 0;
        for (EvaluationReport.Row row : report.rows()) {
            Double value = row.metrics().get(metric.column);
            int c = channels.indexOf(row.channel());
            if (row.system().equals(system) && row.lead().equals(EvaluationReport.ALL_LEADS) && value != null
                    && c >= 0) {
                sum += value / model.card().std()[c];
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalStateException("the evaluation has no all-leads " + metric.column + " rows of " + system);
        }
        return sum / n;
    }
}
