package io.odecast.ops;

import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** The live page's routes (the page itself follows). */
public final class LivePage extends AllDirectives implements AutoCloseable {
    Route routes() {
        return reject();
    }

    @Override
    public void close() {
    }
}
