package io.odecast.render;

import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.eval.PngStrip.ColourMap;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.RegularFrameMessage;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Draws forecasts of one stream: a PNG per forecast lead and an animated, looping GIF of the first lead of each
 * forecast in base-time order. Channels sit side by side; {@code r, g, b} channels are drawn as one colour
 * tile. Each channel uses a {@link ColourMap}: {@code GREY} for values in [0, 1] (units {@code "1"}, video),
 * else {@code DIVERGING} blue-white-red over the channel's range in all the stream's forecasts, so that frames
 * of the animation compare. Invalid cells are magenta, as in {@link io.odecast.eval.PngStrip}.
 *
 * <p>Every picture says what it shows: a title (stream, model and version, flags) and the time above the tiles,
 * and under each tile its channel, units and a colour bar labelled with the ends of its scale.
 */
public final class PngRenderer {
    private static final int INVALID = 0xFF00FF;
    private static final int BACKGROUND = 0x202020;
    private static final int GAP = 2;
    private static final Set<String> VIDEO_CHANNELS = Set.of("luma", "r", "g", "b");
    /** Height of the title and time lines above the tiles. */
    static final int HEADER = 36;
    /** Height of the channel label, colour bar and scale labels under the tiles. */
    static final int FOOTER = 40;
    /** Narrowest picture, so that the labels fit under small grids. */
    static final int MIN_WIDTH = 240;
    private static final int BAR = 10;
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    /** Largest pixels per cell side: a 64-cell grid at this scale is a 4096-pixel tile. */
    public static final int MAX_SCALE = 64;

    private final int scale;
    private final Duration frameDelay;
    private final boolean northUp;

    /**
     * A renderer.
     *
     * @param scale      pixels per cell side; 0 picks one giving tiles of about 256 pixels
     * @param frameDelay time each GIF frame is shown (hundredths of a second are kept)
     * @param northUp    draw the last row at the top (rows in increasing latitude, as the storm grid)
     */
    public PngRenderer(int scale, Duration frameDelay, boolean northUp) {
        if (scale > MAX_SCALE) {
            throw new IllegalArgumentException("scale must be at most " + MAX_SCALE + " pixels per cell, got " + scale);
        }
        if (scale < 0 || frameDelay.isNegative()) {
            throw new IllegalArgumentException("scale and frame delay must not be negative, got " + scale + " and "
                    + frameDelay);
        }
        this.scale = scale;
        this.frameDelay = frameDelay;
        this.northUp = northUp;
    }

    /** Colour maps and value ranges of the channels of one stream. */
    private record Palette(List<ColourMap> maps, double[] lo, double[] hi, boolean rgb) {
    }

    /**
     * One grid to draw on its own scale, with what its picture says.
     *
     * @param title first line: what it is (stream, model, flags)
     * @param note  after the grid's time on the second line (e.g. the forecast's base time and lead), or empty
     * @param units per channel, or empty when unknown
     */
    public record Picture(String title, String note, TimedFrame frame, List<String> units) {
        public Picture {
            units = List.copyOf(units);
            if (!units.isEmpty() && units.size() != frame.shape().channels()) {
                throw new IllegalArgumentException("picture \"" + title + "\": " + units.size() + " units for "
                        + frame.shape().channels() + " channels");
            }
        }
    }

    /** Draws one grid with its title, time, channel names, units and colour bars, scaled to its own values. */
    public BufferedImage draw(Picture picture) {
        Palette palette = palette(List.of(picture.frame()), picture.units());
        return annotate(image(picture.frame(), palette), palette, picture.frame(), picture.units(), picture.title(),
                time(picture.frame().time()) + (picture.note().isEmpty() ? "" : "  " + picture.note()));
    }

    /** A picture as PNG bytes. */
    public static byte[] png(BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", bytes)) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a PNG in memory", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Writes {@code dir/<base time>+<lead>.png} for every lead of every forecast.
     *
     * @return the files written, in forecast then lead order
     */
    public List<Path> writeLeadPngs(Path dir, List<ForecastMessage> forecasts) throws IOException {
        Files.createDirectories(dir);
        Palette palette = palette(leadFrames(forecasts, false), units(forecasts));
        List<Path> files = new ArrayList<>();
        for (ForecastMessage f : forecasts) {
            for (ForecastMessage.Lead l : f.leads()) {
                Path file = dir.resolve(StreamFileNames.lead(f.basedOnTime(), l.lead()) + ".png");
                if (!ImageIO.write(annotated(f, l, palette), "png", file.toFile())) {
                    throw new IOException("no PNG writer available to write " + file);
                }
                files.add(file);
            }
        }
        return files;
    }

    /**
     * Writes a looping GIF with one frame per forecast that has a lead: its first lead.
     *
     * @return the number of frames
     */
    public int writeGif(Path file, List<ForecastMessage> forecasts) throws IOException {
        Palette palette = palette(leadFrames(forecasts, true), units(forecasts));
        List<BufferedImage> frames = new ArrayList<>();
        for (ForecastMessage f : forecasts) {
            if (!f.leads().isEmpty()) {
                frames.add(annotated(f, f.leads().get(0), palette));
            }
        }
        writeAnimation(file, frames);
        return frames.size();
    }

    /** Writes a looping GIF of regular-cadence frames, in time order; returns the number of frames. */
    public int writeRegularGif(Path file, List<RegularFrameMessage> frames) throws IOException {
        if (frames.isEmpty()) {
            return 0;
        }
        GridShape shape = frames.get(0).frame().shape();
        List<RegularFrameMessage> same = frames.stream().filter(f -> f.frame().shape().equals(shape)).toList();
        Palette palette = palette(same.stream().map(RegularFrameMessage::frame).toList(), List.of());
        List<BufferedImage> images = new ArrayList<>();
        for (RegularFrameMessage f : same) {
            images.add(annotate(image(f.frame(), palette), palette, f.frame(), List.of(),
                    f.streamId() + "  " + f.flag().name(), time(f.time())));
        }
        writeAnimation(file, images);
        return images.size();
    }

    private static List<TimedFrame> leadFrames(List<ForecastMessage> forecasts, boolean firstOnly) {
        List<TimedFrame> frames = new ArrayList<>();
        for (ForecastMessage f : forecasts) {
            for (ForecastMessage.Lead l : firstOnly && !f.leads().isEmpty() ? f.leads().subList(0, 1) : f.leads()) {
                frames.add(l.frame());
            }
        }
        return frames;
    }

    private static List<String> units(List<ForecastMessage> forecasts) {
        return forecasts.isEmpty() ? List.of() : forecasts.get(0).units();
    }

    private Palette palette(List<TimedFrame> frames, List<String> units) {
        if (frames.isEmpty()) {
            return new Palette(List.of(), new double[0], new double[0], false);
        }
        TimedFrame first = frames.get(0);
        int c = first.shape().channels();
        int plane = first.shape().planeSize();
        List<ColourMap> maps = new ArrayList<>();
        double[] lo = new double[c];
        double[] hi = new double[c];
        for (int k = 0; k < c; k++) {
            boolean unit = "1".equals(units.isEmpty() ? "" : units.get(k))
                    || !first.channels().isEmpty() && VIDEO_CHANNELS.contains(first.channels().get(k));
            maps.add(unit ? ColourMap.GREY : ColourMap.DIVERGING);
            lo[k] = Double.POSITIVE_INFINITY;
            hi[k] = Double.NEGATIVE_INFINITY;
            for (TimedFrame f : frames) {
                for (int i = k * plane; i < (k + 1) * plane && i < f.data().length; i++) {
                    if (f.isValid(i)) {
                        lo[k] = Math.min(lo[k], f.data()[i]);
                        hi[k] = Math.max(hi[k], f.data()[i]);
                    }
                }
            }
            if (unit || lo[k] > hi[k]) {
                lo[k] = 0;
                hi[k] = 1;
            }
        }
        return new Palette(maps, lo, hi, first.channels().equals(List.of("r", "g", "b")));
    }

    /** The tiles of one lead of a forecast with its title (stream, model, flags) and valid time. */
    private BufferedImage annotated(ForecastMessage f, ForecastMessage.Lead l, Palette palette) {
        StringBuilder title = new StringBuilder(f.streamId());
        if (!f.modelName().isEmpty()) {
            title.append("  ").append(f.modelName()).append(' ').append(f.modelVersion());
        }
        f.flags().forEach(flag -> title.append("  ").append(flag.name()));
        String when = time(l.validTime());
        if (!l.lead().isZero()) {
            when += "  " + from(f.basedOnTime(), l.lead());
        }
        return annotate(image(l.frame(), palette), palette, l.frame(), f.units(), title.toString(), when);
    }

    /** "(from <base time> + <lead>)", as the second line of a forecast lead's picture says it. */
    public static String from(Instant basedOn, Duration lead) {
        return "(from " + time(basedOn) + " + " + lead.toString().substring(2).toLowerCase(Locale.ROOT) + ")";
    }

    /** Puts the title and time above the tiles and a labelled colour bar under each tile. */
    private BufferedImage annotate(BufferedImage tiles, Palette palette, TimedFrame frame, List<String> units,
                                   String title, String when) {
        int width = Math.max(MIN_WIDTH, tiles.getWidth());
        BufferedImage out = new BufferedImage(width, HEADER + tiles.getHeight() + FOOTER, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(new Color(BACKGROUND));
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            g.drawImage(tiles, 0, HEADER, null);
            g.setColor(Color.WHITE);
            g.setFont(TITLE_FONT);
            g.drawString(title, 4, 15);
            g.setFont(LABEL_FONT);
            g.drawString(when, 4, 31);
            int tileCount = palette.rgb() ? 1 : frame.shape().channels();
            int tileW = (tiles.getWidth() - (tileCount - 1) * GAP) / tileCount;
            int top = HEADER + tiles.getHeight();
            for (int t = 0; t < tileCount; t++) {
                int x0 = t * (tileW + GAP);
                String unit = palette.rgb() || units.isEmpty() ? "" : units.get(t);
                String name = palette.rgb() ? "r g b" : frame.channels().isEmpty() ? "ch" + t : frame.channels().get(t);
                g.setColor(Color.WHITE);
                g.drawString(unit.isEmpty() ? name : name + " [" + unit + "]", x0 + 2, top + 12);
                if (palette.rgb()) {
                    continue;
                }
                for (int x = 0; x < tileW; x++) {
                    double v = palette.lo()[t] + (palette.hi()[t] - palette.lo()[t]) * x / Math.max(1, tileW - 1);
                    g.setColor(new Color(palette.maps().get(t).colour(v, palette.lo()[t], palette.hi()[t])));
                    g.drawLine(x0 + x, top + 16, x0 + x, top + 16 + BAR - 1);
                }
                g.setColor(Color.WHITE);
                String lo = number(palette.lo()[t]);
                String hi = number(palette.hi()[t]);
                g.drawString(lo, x0 + 2, top + 16 + BAR + 12);
                g.drawString(hi, x0 + tileW - 2 - g.getFontMetrics().stringWidth(hi), top + 16 + BAR + 12);
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    private static String time(Instant t) {
        return t.toString().replace("T", " ").replace("Z", " UTC");
    }

    private static String number(double v) {
        return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v != 0) ? String.format(Locale.ROOT, "%.3g", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }

    private BufferedImage image(TimedFrame frame, Palette palette) {
        int h = frame.shape().height();
        int w = frame.shape().width();
        float[] data = frame.data();
        boolean[] valid = frame.mask();
        int s = scale > 0 ? scale : Math.max(1, 256 / Math.max(h, w));
        int tiles = palette.rgb() ? 1 : frame.shape().channels();
        int tileW = w * s;
        BufferedImage image = new BufferedImage(tiles * tileW + (tiles - 1) * GAP, h * s, BufferedImage.TYPE_INT_RGB);
        for (int px = 0; px < image.getWidth(); px++) {
            for (int py = 0; py < image.getHeight(); py++) {
                image.setRGB(px, py, BACKGROUND);
            }
        }
        int plane = h * w;
        for (int t = 0; t < tiles; t++) {
            for (int y = 0; y < h; y++) {
                int row = northUp ? h - 1 - y : y;
                for (int x = 0; x < w; x++) {
                    int cell = row * w + x;
                    int colour;
                    if (palette.rgb()) {
                        boolean ok = valid[cell] && valid[plane + cell] && valid[2 * plane + cell];
                        colour = ok ? rgb(unit(data[cell]), unit(data[plane + cell]), unit(data[2 * plane + cell]))
                                : INVALID;
                    } else {
                        int i = t * plane + cell;
                        colour = valid[i] ? palette.maps().get(t).colour(data[i], palette.lo()[t], palette.hi()[t])
                                : INVALID;
                    }
                    for (int dy = 0; dy < s; dy++) {
                        for (int dx = 0; dx < s; dx++) {
                            image.setRGB(t * (tileW + GAP) + x * s + dx, y * s + dy, colour);
                        }
                    }
                }
            }
        }
        return image;
    }

    private static int unit(float v) {
        return (int) Math.round(Math.min(1, Math.max(0, v)) * 255);
    }

    private static int rgb(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }

    private void writeAnimation(Path file, List<BufferedImage> frames) throws IOException {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no frame to animate in " + file);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(file);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            boolean first = true;
            for (BufferedImage frame : frames) {
                writer.writeToSequence(new IIOImage(frame, null, gifMetadata(writer, frame, first)), null);
                first = false;
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
    }

    /** Frame delay on every frame; the NETSCAPE2.0 loop-forever extension on the first. */
    private IIOMetadata gifMetadata(ImageWriter writer, BufferedImage frame, boolean first) throws IOException {
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), null);
        String format = meta.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
        IIOMetadataNode control = child(root, "GraphicControlExtension");
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("delayTime", Long.toString(Math.max(1, frameDelay.toMillis() / 10)));
        control.setAttribute("transparentColorIndex", "0");
        if (first) {
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[] {1, 0, 0});
            child(root, "ApplicationExtensions").appendChild(app);
        }
        meta.setFromTree(format, root);
        return meta;
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }
}
