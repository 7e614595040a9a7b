package io.odecast.data;

import java.util.List;

/** How images and video frames become channels. */
public enum ColorMode {
    /** One channel, luma. */
    GREY(List.of("luma")),
    /** Three channels, red, green, blue. */
    RGB(List.of("r", "g", "b"));

    private final List<String> channels;

    ColorMode(List<String> channels) {
        this.channels = channels;
    }

    /** Channel names for this mode. */
    public List<String> channels() {
        return channels;
    }

    /** Number of channels. */
    public int channelCount() {
        return channels.size();
    }
}
