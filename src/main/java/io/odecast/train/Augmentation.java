package io.odecast.train;

import io.odecast.data.ChannelNormalization;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Training-window augmentation that respects vector fields. Each kind is applied to a whole window (every frame
 * alike) with probability one half:
 * <ul>
 *   <li>{@code flip-x}: mirror left-right; the x component of the vector field ({@code uChannel}) changes sign;</li>
 *   <li>{@code flip-y}: mirror up-down; the y component ({@code vChannel}) changes sign;</li>
 *   <li>{@code rotate180}: both mirrors at once, both components change sign: a proper rotation, so a storm keeps
 *       its sense of rotation (unlike a single mirror, which turns a cyclone of one hemisphere into one of the
 *       other);</li>
 *   <li>{@code reverse}: extrapolation windows run backwards in time, the vector components changing sign (the
 *       pattern is then advected by the reversed wind; valid for advection, not for the Coriolis turning).
 *       Interpolation windows are already reversed half of the time, without a sign change, as
 *       {@code VidOdeModel.interpolate}'s reversed pass sees them.</li>
 * </ul>
 * And one that changes where interpolation windows hide frames, not their values:
 * <ul>
 *   <li>{@code gap-at-end}: half of the interpolation windows hide the block of frames just before their last
 *       frame, as the stream fills a gap when the frame after it arrives (its fill window ends with one frame
 *       after the gap); the other half place the block uniformly, as without it.</li>
 * </ul>
 * Without any kind (the default) windows are drawn exactly as before: no random numbers are used for it.
 *
 * @param kinds    the kinds in use (a subset of {@link #KINDS})
 * @param uChannel channel of the x (width) component of the vector field, or -1
 * @param vChannel channel of the y (height) component, or -1
 */
public record Augmentation(Set<String> kinds, int uChannel, int vChannel) {

    public static final List<String> KINDS = List.of("flip-x", "flip-y", "rotate180", "reverse", "gap-at-end");
    public static final Augmentation NONE = new Augmentation(Set.of(), -1, -1);

    public Augmentation {
        kinds = Set.copyOf(kinds);
        for (String k : kinds) {
            if (!KINDS.contains(k)) {
                throw new IllegalArgumentException("--augment: unknown kind '" + k + "'; known: "
                        + String.join(", ", KINDS));
            }
        }
    }

    /**
     * Parses {@code --augment} (comma-separated kinds, or empty/"none") and {@code --vector-channels} (two channel
     * names, x component then y component; "none" for no vector field; null picks u,v when the data has both).
     */
    public static Augmentation parse(String augment, String vectorChannels, List<String> channels) {
        Set<String> kinds = new LinkedHashSet<>();
        if (augment != null && !augment.isBlank() && !"none".equalsIgnoreCase(augment.trim())) {
            for (String k : augment.split(",")) {
                kinds.add(k.trim().toLowerCase(Locale.ROOT));
            }
        }
        int u = -1;
        int v = -1;
        if (vectorChannels == null) {
            if (channels.contains("u") && channels.contains("v")) {
                u = channels.indexOf("u");
                v = channels.indexOf("v");
            }
        } else if (!"none".equalsIgnoreCase(vectorChannels.trim())) {
            String[] names = vectorChannels.split(",");
            if (names.length != 2) {
                throw new IllegalArgumentException("--vector-channels takes two channel names (x then y component),"
                        + " got '" + vectorChannels + "'");
            }
            u = channels.indexOf(names[0].trim());
            v = channels.indexOf(names[1].trim());
            if (u < 0 || v < 0) {
                throw new IllegalArgumentException("--vector-channels " + vectorChannels + ": the data's channels are "
                        + channels);
            }
        }
        return new Augmentation(kinds, u, v);
    }

    public boolean any() {
        return !kinds.isEmpty();
    }

    public boolean has(String kind) {
        return kinds.contains(kind);
    }

    /** For the training record: the kinds in {@link #KINDS} order and the vector channels. */
    public String describe(List<String> channels) {
        List<String> in = new ArrayList<>();
        for (String k : KINDS) {
            if (kinds.contains(k)) {
                in.add(k);
            }
        }
        String vector = uChannel < 0 ? "no vector channels" : "vector channels " + channels.get(uChannel) + ","
                + channels.get(vChannel);
        return (in.isEmpty() ? "none" : String.join(",", in)) + " (" + vector + ")";
    }

    /**
     * Mirrors one normalised frame (C planes of H x W, row-major) and changes the sign of the vector components
     * that the mirror reverses, in physical units: a normalised value n = (x - mean) / std becomes
     * -n - 2 mean / std. Cells whose validity is 0 stay 0.
     *
     * @param negateU whether the x component changes sign (a left-right mirror or a time reversal)
     * @param negateV whether the y component changes sign
     */
    static float[] transform(float[] frame, float[] valid, int channels, int height, int width, boolean mirrorX,
                             boolean mirrorY, boolean negateU, boolean negateV, int uChannel, int vChannel,
                             ChannelNormalization norm) {
        int plane = height * width;
        float[] out = new float[frame.length];
        for (int c = 0; c < channels; c++) {
            boolean negate = (c == uChannel && negateU) || (c == vChannel && negateV);
            float shift = negate ? (float) (-2 * norm.mean()[c] / norm.std()[c]) : 0f;
            for (int y = 0; y < height; y++) {
                int sy = mirrorY ? height - 1 - y : y;
                for (int x = 0; x < width; x++) {
                    int sx = mirrorX ? width - 1 - x : x;
                    int from = c * plane + sy * width + sx;
                    float value = frame[from];
                    if (negate && valid[from] != 0f) {
                        value = -value + shift;
                    }
                    out[c * plane + y * width + x] = value;
                }
            }
        }
        return out;
    }

    /** Mirrors a validity plane set like {@link #transform} (no sign changes). */
    static float[] mirror(float[] valid, int channels, int height, int width, boolean mirrorX, boolean mirrorY) {
        int plane = height * width;
        float[] out = new float[valid.length];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int sy = mirrorY ? height - 1 - y : y;
                for (int x = 0; x < width; x++) {
                    int sx = mirrorX ? width - 1 - x : x;
                    out[c * plane + y * width + x] = valid[c * plane + sy * width + sx];
                }
            }
        }
        return out;
    }
}
