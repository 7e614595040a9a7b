package io.odecast.cli;

import io.odecast.data.FrameSequence;
import io.odecast.data.GridShape;
import io.odecast.eval.EvaluationReport;
import io.odecast.eval.ModelEvaluator;
import io.odecast.model.Blend;
import io.odecast.model.Checkpoint;
import io.odecast.model.ConvPrecision;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code odecast evaluate}: scores a model and the baselines on the held-out part of a data set. */
@Command(name = "evaluate", description = "Evaluate a model against persistence, linear and optical-flow baselines on held-out data"
        + " (the data options are those of train).")
final class EvaluateCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model folder, e.g. models/storm-forecast.")
    Path modelDir;

    @Mixin
    DataSourceOptions data;

    @Option(names = "--test-start", defaultValue = "-1",
            description = "First held-out frame (default: where the model's training frames ended).")
    int testStart;

    @Option(names = "--leads", defaultValue = "4", description = "Forecast leads in frames (default ${DEFAULT-VALUE}).")
    int leads;

    @Option(names = "--inputs", defaultValue = "-1", description = "Frames fed before each forecast (default: as trained).")
    int inputs;

    @Option(names = "--length", defaultValue = "-1", description = "Interpolation window length (default: as trained).")
    int length;

    @Option(names = "--gaps", split = ",", defaultValue = "1,3", description = "Hidden block sizes for interpolation (default ${DEFAULT-VALUE}).")
    int[] gaps;

    @Option(names = "--strips", defaultValue = "1",
            description = "PNG strips to write, at origins spread over the held-out part (default ${DEFAULT-VALUE}; 0: none).")
    int strips;

    @Option(names = "--out", required = true, description = "Folder for report.json, report.md and PNG strips.")
    Path out;

    @Option(names = "--update-card", description = "Also record the results (and with --calibrate the blend weights) in the model's model.json.")
    boolean updateCard;

    @Option(names = "--calibrate", description = "Fit the weights that blend the model with its baseline (forecasters: optical flow,"
            + " interpolators: the straight line) on the model's validation frames, and score the blend as system 'blend'."
            + " Without it, a blend already in the card is scored.")
    boolean calibrate;

    @Option(names = "--precision", defaultValue = "float32", converter = BenchCommand.PrecisionConverter.class,
            description = "The model's convolutions: float32 or bf16 (the service's decoder.precision; default"
                    + " ${DEFAULT-VALUE}). bf16 runs only where the CPU has it; not with --update-card.")
    ConvPrecision precision;

    @Override
    public Integer call() throws Exception {
        if (precision != ConvPrecision.FLOAT32 && (updateCard || calibrate)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--precision " + precision.label() + " scores the model without changing it: drop --update-card"
                            + " and --calibrate (the card's figures and weights are float32's)");
        }
        if (precision != ConvPrecision.FLOAT32
                && io.odecast.model.VidOdeModel.availablePrecision(precision) != precision) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--precision " + precision.label() + ": this CPU has no native bf16 (avx512_bf16 or amx_bf16)");
        }
        if (leads < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--leads must be at least 1, got "
                    + leads);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--out " + out
                    + " is a file; give a folder");
        }
        try (VidOdeModel model = VidOdeModel.load(modelDir)) {
            model.usePrecision(precision);
            ModelConfig c = model.config();
            int[] wanted = data.requestedSize();
            if (wanted != null && (wanted[0] != c.width() || wanted[1] != c.height())) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--size " + wanted[0] + "x"
                        + wanted[1] + " differs from the " + c.width() + "x" + c.height() + " (WIDTHxHEIGHT) that "
                        + modelDir + " takes; give the data options it was trained with: "
                        + model.card().training().get("command"));
            }
            DataSourceOptions.Loaded loaded = data.read("64x48");
            FrameSequence sequence = loaded.frames();
            if (!sequence.shape().equals(new GridShape(c.channels(), c.height(), c.width()))) {
                throw new IllegalArgumentException("the data is " + sequence.shape() + " (channels x height x width)"
                        + " but " + modelDir + " takes " + c.channels() + "x" + c.height() + "x" + c.width()
                        + "; give the data options it was trained with: " + model.card().training().get("command"));
            }
            Map<String, Object> training = model.card().training();
            int start = testStart >= 0 ? testStart : trained(training, "test_frames", sequence.size());
            ModelEvaluator evaluator = new ModelEvaluator(model, sequence, start, loaded.imagery()).strips(strips);
            Files.createDirectories(out);
            boolean forecaster = ModelCard.EXTRAPOLATE.equals(model.card().task());
            int window = forecaster ? (inputs > 0 ? inputs : intOf(training.get("inputs"), 4))
                    : (length > 0 ? length : intOf(training.get("window_length"), 9));
            Blend blend = model.card().blend();
            if (calibrate) {
                int[] validation = trainedRange(training, "validation_frames");
                if (validation == null) {
                    throw new IllegalArgumentException(modelDir + ": its card records no validation_frames to fit a"
                            + " blend on (train it with --validation-frames)");
                }
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("command", Odecast.commandText(spec));
                blend = forecaster
                        ? evaluator.calibrateForecast(window, leads, validation[0], validation[1], record)
                        : evaluator.calibrateInterpolation(window, gaps, validation[0], validation[1], record);
            }
            evaluator.blend(blend);
            EvaluationReport report = forecaster ? evaluator.forecast(window, leads, out)
                    : evaluator.interpolate(window, gaps, out);
            report.describe("model", modelDir + " (" + model.card().task() + ", version " + model.version() + ")")
                    .describe("data", loaded.description() + ", " + sequence.size() + " frames of "
                            + sequence.shape() + ", one per " + loaded.timeUnit())
                    .describe("test_frames", List.of(start, sequence.size()))
                    .describe(forecaster ? "inputs" : "window", window)
                    .describe(forecaster ? "leads" : "gaps", forecaster ? leads : java.util.Arrays.toString(gaps))
                    .describe("command", Odecast.commandText(spec));
            if (blend != null) {
                report.blend(blend, sequence.channels());
            }
            for (int k = 0; k < sequence.channels().size(); k++) {
                report.unit(sequence.channels().get(k), sequence.units() == null ? null : sequence.units()[k]);
            }
            report.write(out);
            System.out.println(report.toMarkdown(List.of(EvaluationReport.RMSE, EvaluationReport.SKILL)));
            System.out.println("wrote " + out.resolve("report.json") + " and " + out.resolve("report.md"));
            if (updateCard) {
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("command", Odecast.commandText(spec));
                summary.put("held_out_frames", List.of(start, sequence.size()));
                summary.put("rows", report.rows());
                String version = Checkpoint.writeCard(modelDir, model.card().withEvaluation(summary).withBlend(blend));
                System.out.println("updated " + modelDir.resolve(Checkpoint.METADATA) + (version.equals(model.version())
                        ? " (version " + version + ")" : " (version " + model.version() + " -> " + version
                        + ": the blend changed what it serves; publish it to roll it out)"));
            }
        }
        return 0;
    }

    private static int trained(Map<String, Object> training, String key, int fallback) {
        Object v = training.get(key);
        if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Number n) {
            return n.intValue();
        }
        return fallback;
    }

    private static int[] trainedRange(Map<String, Object> training, String key) {
        Object v = training.get(key);
        if (v instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Number a && l.get(1) instanceof Number b) {
            return new int[] {a.intValue(), b.intValue()};
        }
        return null;
    }

    private static int intOf(Object v, int fallback) {
        return v instanceof Number n ? n.intValue() : fallback;
    }
}
