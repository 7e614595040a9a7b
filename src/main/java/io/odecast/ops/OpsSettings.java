package io.odecast.ops;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the operations HTTP server, read once from {@code odecast.http} (see {@code reference.conf}).
 *
 * @param enabled   whether {@code serve} and {@code demo} start the server
 * @param iface     interface to bind
 * @param port      port to bind; 0 picks a free one
 * @param page      the live page
 */
public record OpsSettings(boolean enabled, String iface, int port, PageSettings page) {

    /**
     * The live page.
     *
     * @param enabled   whether the page (and its consumer of the output topics) runs
     * @param lookback  at start, the page reads the topics from records this old (0s: only new records)
     * @param history   filled and provisional frames kept per stream
     * @param maxStreams the most streams the page keeps; a new stream then replaces the one seen least recently
     * @param keepAlive heartbeat of the event stream, so that proxies keep an idle connection open
     * @param scale     pixels per cell side of the pictures; 0 picks tiles of about 256 pixels
     */
    public record PageSettings(boolean enabled, Duration lookback, int history, int maxStreams, Duration keepAlive,
                               int scale) {
        public PageSettings {
            if (lookback.isNegative() || history < 1 || maxStreams < 1 || keepAlive.isZero() || keepAlive.isNegative() || scale < 0) {
                throw new IllegalArgumentException("odecast.http.live-page: need lookback >= 0, history >= 1,"
                        + " max-streams >= 1, keep-alive > 0 and scale >= 0, got " + lookback + ", " + history + ", "
                        + maxStreams + ", " + keepAlive + ", " + scale);
            }
        }
    }

    public OpsSettings {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("odecast.http.port must be 0 (any free port) to 65535, got " + port);
        }
    }

    /** A copy on another port (command line override). */
    public OpsSettings withPort(int other) {
        return new OpsSettings(enabled, iface, other, page);
    }

    /** Reads {@code config.getConfig("odecast.http")}; the configuration should include the reference defaults. */
    public static OpsSettings fromConfig(Config config) {
        Config c = config.getConfig("odecast.http");
        Config p = c.getConfig("live-page");
        return new OpsSettings(c.getBoolean("enabled"), c.getString("interface"), c.getInt("port"),
                new PageSettings(p.getBoolean("enabled"), p.getDuration("lookback"), p.getInt("history"),
                        p.getInt("max-streams"), p.getDuration("keep-alive"), p.getInt("scale")));
    }
}
