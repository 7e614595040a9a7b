package io.odecast.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.odecast.render.PngRenderer;
import io.odecast.stream.KafkaSettings;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The live page: static HTML and JavaScript from the jar ({@code ops/} resources) and the routes it calls.
 *
 * <ul>
 *   <li>{@code GET /} the page; {@code GET /api/streams} the streams; {@code GET /api/stream?id=} one stream's
 *   latest observed frame, forecast leads and synthesised frames;</li>
 *   <li>{@code GET /picture?id=&kind=observed|lead|regular&index=} a PNG with title, time, units and colour bars;</li>
 *   <li>{@code GET /events} server-sent events, one per record the page sees ({@code {"stream", "kind",
 *   "version"}}), so the page reloads only what changed.</li>
 * </ul>
 */
public final class LivePage extends AllDirectives implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENT_BUFFER = 256;

    private final OpsSettings.PageSettings settings;
    private final LiveView view;
    private final PngRenderer renderer;
    private volatile BoundedSourceQueue<ServerSentEvent> events;

    private LivePage(OpsSettings.PageSettings settings, KafkaSettings kafka) {
        this.settings = settings;
        this.renderer = new PngRenderer(settings.scale(), Duration.ZERO, false);
        this.view = new LiveView(settings, kafka.topics(), kafka.consumerProperties(), this::publish);
    }

    /** Starts reading the output topics of {@code kafka} (the service's Kafka settings) for the page. */
    public static LivePage start(OpsSettings.PageSettings settings, KafkaSettings kafka) {
        LivePage page = new LivePage(settings, kafka);
        page.view.start();
        return page;
    }

    private void publish(LiveView.Change change) {
        BoundedSourceQueue<ServerSentEvent> queue = events;
        if (queue != null) {
            // A full buffer drops the event: the page reloads on the next one, and a heartbeat keeps it connected.
            queue.offer(ServerSentEvent.create(json(change), change.kind()));
        }
    }

    /** The routes, with the event hub materialised on {@code system}. */
    Route routes(ActorSystem<?> system) {
        Pair<BoundedSourceQueue<ServerSentEvent>, Source<ServerSentEvent, NotUsed>> hub =
                Source.<ServerSentEvent>queue(EVENT_BUFFER)
                        .toMat(BroadcastHub.of(ServerSentEvent.class, EVENT_BUFFER), Keep.both()).run(system);
        // Without subscribers the hub would hold events back; a drain keeps it flowing for later subscribers.
        hub.second().runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), system);
        events = hub.first();
        Source<ServerSentEvent, NotUsed> stream = hub.second()
                .keepAlive(settings.keepAlive(), ServerSentEvent::heartbeat);
        return concat(
                pathSingleSlash(() -> get(() -> getFromResource("ops/index.html", ContentTypes.TEXT_HTML_UTF8))),
                path("page.js", () -> get(() -> getFromResource("ops/page.js",
                        ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, org.apache.pekko.http.javadsl.model
                                .HttpCharsets.UTF_8)))),
                path("page.css", () -> get(() -> getFromResource("ops/page.css", ContentTypes.create(
                        MediaTypes.TEXT_CSS, org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)))),
                path("events", () -> get(() -> completeOK(stream, EventStreamMarshalling.toEventStream()))),
                pathPrefix("api", () -> concat(
                        path("streams", () -> get(() -> jsonResponse(view.listing()))),
                        path("stream", () -> get(() -> parameter("id", id -> view.detail(id)
                                .map(this::jsonResponse)
                                .orElseGet(() -> notFound("stream " + id + " has not been seen by the page"))))))),
                path("picture", () -> get(() -> parameter("id", id -> parameter("kind", kind ->
                        parameterOptional("index", index -> picture(id, kind, index)))))));
    }

    private Route picture(String id, String kind, Optional<String> index) {
        int i;
        try {
            i = Integer.parseInt(index.orElse("0"));
        } catch (NumberFormatException e) {
            return complete(StatusCodes.BAD_REQUEST, "index must be a whole number, got \"" + index.get() + "\"");
        }
        if (!kind.equals("observed") && !kind.equals("lead") && !kind.equals("regular")) {
            return complete(StatusCodes.BAD_REQUEST, "kind must be observed, lead or regular, got \"" + kind + "\"");
        }
        return view.picture(id, kind, i)
                .map(p -> complete(HttpResponse.create()
                        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.IMAGE_PNG),
                                PngRenderer.png(renderer.draw(p))))
                        .addHeader(CacheControl.create(CacheDirectives.NO_STORE))))
                .orElseGet(() -> notFound("no " + kind + " picture " + i + " of stream " + id));
    }

    private Route notFound(String what) {
        return complete(StatusCodes.NOT_FOUND, what);
    }

    private Route jsonResponse(Object body) {
        return complete(HttpResponse.create()
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json(body)))
                .addHeader(CacheControl.create(CacheDirectives.NO_STORE)));
    }

    private static String json(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Stops the page's consumer. */
    @Override
    public void close() {
        view.close();
    }
}
