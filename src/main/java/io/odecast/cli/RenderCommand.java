package io.odecast.cli;

import io.odecast.render.CfNetcdfWriter;
import io.odecast.render.CollectedForecasts;
import io.odecast.render.ForecastCollector;
import io.odecast.render.LatLonGrid;
import io.odecast.render.PngRenderer;
import io.odecast.render.StreamRenderer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code odecast render}: the forecasts topic to PNG, GIF and CF netCDF files per stream. */
@Command(name = "render",
        description = "Write forecasts from Kafka as a PNG per lead, a GIF and a CF-1.8 netCDF file per stream.")
final class RenderCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, host:port[,...].")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "odecast.forecasts", description = "Forecasts topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--regular-topic", description = "Also draw the regular-cadence frames of this topic (e.g. odecast.frames.regular).")
    String regularTopic;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--grid", paramLabel = "lat0:dlat:lon0:dlon",
            description = "Regular lat/lon grid of the rows and columns (storm: 20:1.25:-140:2.5); else x/y indices.")
    String grid;

    @Option(names = "--duration", description = "Read for this long (e.g. 30s) instead of up to the current end.")
    String duration;

    @Option(names = "--timeout", defaultValue = "60s", description = "Give up reading to the end after this long (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--scale", defaultValue = "0", description = "Pixels per cell side (0: tiles of about 256 px).")
    int scale;

    @Option(names = "--gif-delay", defaultValue = "200ms", description = "Time per GIF frame (default ${DEFAULT-VALUE}).")
    String gifDelay;

    @Override
    public Integer call() throws Exception {
        LatLonGrid latLon;
        PngRenderer png;
        Duration limit;
        try {
            latLon = grid == null ? null : LatLonGrid.parse(grid);
            png = new PngRenderer(scale, PublishCommand.parseDuration(gifDelay), latLon != null && latLon.dlat() > 0);
            limit = PublishCommand.parseDuration(duration != null ? duration : timeout);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        CollectedForecasts collected;
        try (ForecastCollector collector = ForecastCollector.connect(bootstrapServers)) {
            collected = duration != null ? collector.collectFor(topic, regularTopic, limit)
                    : collector.collectToEnd(topic, regularTopic, limit);
        }
        var written = new StreamRenderer(new CfNetcdfWriter(latLon), png).render(out, collected);
        var console = spec.commandLine().getOut();
        console.println("read " + collected);
        for (var s : written) {
            console.println(s.streamId() + ": " + s.forecasts() + " forecasts, " + s.pngs() + " PNGs, " + s.gif()
                    + ", " + s.netcdf() + (s.regularGif() == null ? "" : ", " + s.regularGif()));
        }
        return 0;
    }
}
