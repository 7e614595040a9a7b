package io.odecast.cli;

import io.odecast.data.BouncingBalls;
import io.odecast.data.Datasets;
import io.odecast.data.FrameSequence;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** The shared data-set options of train and evaluate: which data, where, what size. */
final class DatasetOptions {

    @Option(names = "--dataset", required = true,
            description = "storm (u, v, p of the 1996 blizzard), vtest or tree (grey video), balls (synthetic).")
    String dataset;

    @Option(names = "--data", description = "Folder (storm) or file (video) to read instead of the default location.")
    Path data;

    @Option(names = "--size", defaultValue = "64x48", description = "Video frame size WIDTHxHEIGHT (default ${DEFAULT-VALUE}).")
    String size;

    /** Reads the selected data set. */
    FrameSequence read() throws IOException {
        return switch (dataset) {
            case "storm" -> Datasets.storm(data != null ? data : Datasets.stormDir());
            case "vtest", "tree" -> {
                int[] wh = Datasets.size(size);
                yield Datasets.greyVideo(data != null ? data : Datasets.video(dataset), wh[0], wh[1]);
            }
            case "balls" -> new BouncingBalls(32, 32, 3, 3.5, 1.2, 1).regular(400, Duration.ofMillis(100));
            default -> throw new IllegalArgumentException("unknown dataset '" + dataset + "': use storm, vtest, tree or balls");
        };
    }

    /** The data's time unit and the model time per unit: 6 h and 0.1 for storm, 0.1 s and 0.1 for video. */
    Duration timeUnit() {
        return "storm".equals(dataset) ? Datasets.STORM_STEP : Duration.ofMillis(100);
    }

    double timeScale() {
        return 0.1;
    }
}
