package dev.podidentity.http;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;

import jakarta.inject.Singleton;

/**
 * Gives every HTTP/2 connection a flow-control window as large as the windows of all the streams it
 * may carry at once, on both ports.
 *
 * <pre>{@code
 * // quarkus.http.limits.max-concurrent-streams=100 and the stream window of 65,535 bytes:
 * // each connection's window is 6,553,500 bytes instead of 65,535
 * }</pre>
 *
 * <p>Why: HTTP/2 counts every body byte sent on a connection against one window that its streams
 * share, and the server gives bytes back only once it has read them. An admission waiting for room
 * in the in-flight budget is paused, so its body, sent at once, sits unread; with the protocol's
 * default window a dozen such bodies use the connection's window up, and the bodies of admissions on
 * the same connection that already hold room stop arriving until they time out. Sized to all its
 * streams, the window can never be used up by some streams against the others; what waiting streams
 * hold is still bounded by their declared lengths, which the in-flight budget bounds per cluster.
 */
@Singleton
class Http2FlowControl implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        widen(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        widen(options);
    }

    static void widen(HttpServerOptions options) {
        Http2Settings settings = options.getInitialSettings();
        long window = settings.getMaxConcurrentStreams() * (long) settings.getInitialWindowSize();
        options.setHttp2ConnectionWindowSize((int) Math.min(Integer.MAX_VALUE, window));
    }
}
