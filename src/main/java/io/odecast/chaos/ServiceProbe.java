package io.odecast.chaos;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Asks one service process, on its own operations port, whether it is working: {@code /health/ready} answers 200
 * and its own metrics show frames it consumed (received, replayed after an assignment, or skipped because a
 * restored snapshot held them). A process's metrics start at zero, so these say what that process did, not what
 * the group or an earlier process did.
 */
final class ServiceProbe {
    /** The counters whose sum is "frames this process consumed". */
    static final List<String> CONSUMED = List.of("odecast_frames_received_total", "odecast_frames_replayed_total",
            "odecast_frames_skipped_total");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ServiceProbe() {
    }

    /** What one probe of a process found. */
    record State(boolean ready, long consumed) {
        /** Ready and has consumed frames of its own. */
        boolean working() {
            return ready && consumed > 0;
        }

        @Override
        public String toString() {
            return (ready ? "ready" : "not ready") + ", " + (consumed < 0 ? "metrics unreadable" : consumed
                    + " frames consumed");
        }
    }

    /** Probes {@code p} on its operations port (not ready, -1 consumed when it has none or does not answer). */
    static State probe(ChildJvm p) {
        if (p == null || p.httpPort() <= 0 || !p.alive()) {
            return new State(false, -1);
        }
        return new State(ready(p.httpPort()), consumed(p.httpPort()));
    }

    static boolean ready(int port) {
        try {
            HttpResponse<Void> r = HTTP.send(request(port, "/health/ready"), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    static long consumed(int port) {
        try {
            HttpResponse<String> r = HTTP.send(request(port, "/metrics"), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? consumed(r.body()) : -1;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return -1;
        }
    }

    /** The sum of the {@link #CONSUMED} counters in a Prometheus text exposition (-1 when none is there). */
    static long consumed(String prometheusText) {
        double sum = 0;
        boolean any = false;
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith("#")) {
                continue;
            }
            for (String name : CONSUMED) {
                if (line.startsWith(name) && line.length() > name.length()
                        && (line.charAt(name.length()) == '{' || line.charAt(name.length()) == ' ')) {
                    String value = line.substring(line.lastIndexOf(' ') + 1).trim();
                    try {
                        sum += Double.parseDouble(value);
                        any = true;
                    } catch (NumberFormatException e) {
                        // not a sample line
                    }
                }
            }
        }
        return any ? (long) sum : -1;
    }

    private static HttpRequest request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(3))
                .GET().build();
    }
}
