package io.odecast.render;

import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.RegularFrameMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes every stream's files under one folder: {@code <stream>/<base time>+<lead>.png}, {@code <stream>.gif},
 * {@code <stream>.nc} and, when regular frames were collected, {@code <stream>.regular.gif}; stream ids are made
 * {@link StreamFileNames#safe safe}.
 */
public final class StreamRenderer {

    /**
     * What was written for one stream.
     *
     * @param regularGif {@code null} when the stream had no regular frames
     */
    public record RenderedStream(String streamId, int forecasts, int pngs, Path netcdf, Path gif, Path regularGif) {
    }

    private final CfNetcdfWriter netcdf;
    private final PngRenderer png;

    /** A renderer writing with these writers. */
    public StreamRenderer(CfNetcdfWriter netcdf, PngRenderer png) {
        this.netcdf = netcdf;
        this.png = png;
    }

    /** Writes the files of every stream in {@code collected}, in stream order. */
    public List<RenderedStream> render(Path outDir, CollectedForecasts collected) throws IOException {
        List<RenderedStream> out = new ArrayList<>();
        for (var e : collected.forecasts().entrySet()) {
            String safe = StreamFileNames.safe(e.getKey());
            List<ForecastMessage> forecasts = e.getValue();
            int pngs = png.writeLeadPngs(outDir.resolve(safe), forecasts).size();
            Path gif = outDir.resolve(safe + ".gif");
            png.writeGif(gif, forecasts);
            Path nc = outDir.resolve(safe + ".nc");
            netcdf.write(nc, forecasts);
            Path regularGif = null;
            List<RegularFrameMessage> regular = collected.regularFrames().getOrDefault(e.getKey(), List.of());
            if (!regular.isEmpty()) {
                regularGif = outDir.resolve(safe + ".regular.gif");
                png.writeRegularGif(regularGif, regular);
            }
            out.add(new RenderedStream(e.getKey(), forecasts.size(), pngs, nc, gif, regularGif));
        }
        return out;
    }
}
