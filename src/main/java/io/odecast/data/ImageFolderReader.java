package io.odecast.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

/**
 * Reads a folder of PNG/JPEG images, sorted by file name, into a {@link FrameSequence} of values in [0,1].
 * Image {@code i} is at {@code start + i * step}; images are resized with {@link AreaResampler}. Grey uses the
 * BT.601 luma weights (0.299, 0.587, 0.114).
 */
public final class ImageFolderReader {

    private final int width;
    private final int height;
    private final ColorMode mode;
    private final Instant start;
    private final Duration step;

    /**
     * A reader producing {@code width x height} frames in {@code mode}, timed from {@code start} every {@code step}.
     */
    public ImageFolderReader(int width, int height, ColorMode mode, Instant start, Duration step) {
        if (width <= 0 || height <= 0 || step.isZero() || step.isNegative()) {
            throw new IllegalArgumentException("image size and step must be positive, got " + width + "x" + height
                    + " step " + step);
        }
        this.width = width;
        this.height = height;
        this.mode = mode;
        this.start = start;
        this.step = step;
    }

    /**
     * Reads every {@code .png}, {@code .jpg} and {@code .jpeg} file of {@code folder}.
     *
     * @throws DataSourceException if the folder is absent, holds no image, or an image cannot be decoded
     */
    public FrameSequence read(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new DataSourceException(folder, "image folder not found");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(ImageFolderReader::isImage).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new DataSourceException(folder, "no .png, .jpg or .jpeg image in folder");
        }
        GridShape shape = new GridShape(mode.channelCount(), height, width);
        List<TimedFrame> frames = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            BufferedImage img;
            try {
                img = ImageIO.read(files.get(i).toFile());
            } catch (IOException e) {
                throw new DataSourceException(files.get(i), "not a decodable image: " + e.getMessage());
            }
            if (img == null) {
                throw new DataSourceException(files.get(i), "not a decodable image");
            }
            GridShape full = new GridShape(mode.channelCount(), img.getHeight(), img.getWidth());
            float[] data = AreaResampler.resize(toPlanes(img, full), full, height, width);
            frames.add(TimedFrame.of(start.plus(step.multipliedBy(i)), mode.channels(), shape, data));
        }
        String[] units = new String[shape.channels()];
        Arrays.fill(units, "1");
        return new FrameSequence(folder.getFileName().toString(), mode.channels(), shape, frames, null, null, units,
                Double.NaN, files.size() > 1 ? step : null);
    }

    private float[] toPlanes(BufferedImage img, GridShape full) {
        float[] out = new float[full.size()];
        if (img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // A grey image's samples are its values; getRGB would convert them from linear grey to sRGB, brighter.
            Raster raster = img.getRaster();
            float max = (1 << img.getColorModel().getComponentSize(0)) - 1;
            for (int y = 0; y < full.height(); y++) {
                for (int x = 0; x < full.width(); x++) {
                    float v = raster.getSample(x, y, 0) / max;
                    for (int c = 0; c < full.channels(); c++) {
                        out[full.index(c, y, x)] = v;
                    }
                }
            }
            return out;
        }
        for (int y = 0; y < full.height(); y++) {
            for (int x = 0; x < full.width(); x++) {
                int rgb = img.getRGB(x, y);
                float r = ((rgb >> 16) & 0xff) / 255f;
                float g = ((rgb >> 8) & 0xff) / 255f;
                float b = (rgb & 0xff) / 255f;
                if (mode == ColorMode.GREY) {
                    out[full.index(0, y, x)] = 0.299f * r + 0.587f * g + 0.114f * b;
                } else {
                    out[full.index(0, y, x)] = r;
                    out[full.index(1, y, x)] = g;
                    out[full.index(2, y, x)] = b;
                }
            }
        }
        return out;
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
    }
}
