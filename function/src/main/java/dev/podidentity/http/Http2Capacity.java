package dev.podidentity.http;

import dev.podidentity.admission.InFlightBytes;
import dev.podidentity.config.PodIdentityConfig;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * Sizes every HTTP/2 connection, on both ports, to the in-flight budget: as many streams as the
 * budget admits ordinary admissions at once, and a flow-control window as large as those streams'
 * windows together.
 *
 * <pre>{@code
 * // limits.max-in-flight-bytes=8M, admissions of up to 16 KiB, the stream window of 65,535 bytes:
 * // 512 streams on each connection, and a connection window of 512 x 65,535 bytes
 * }</pre>
 *
 * <p>Streams: an API server (Go's HTTP/2 client) that finds every stream of its connections taken
 * dials a new connection for each request that cannot wait, and every one of them is a TLS handshake
 * and an HTTP/2 connection the function sets up. With fewer streams than the budget admits, a burst
 * while the function is slow — its first seconds, before the JIT has compiled the serving path —
 * made hundreds of connections, whose set-up took the CPU the admissions needed, and the budget
 * filled with admissions that could not finish. With streams to match the budget, one connection
 * carries everything the function would accept; what it cannot accept is refused ({@code 429}).
 * {@code quarkus.http.limits.max-concurrent-streams}, when set, is used instead.
 *
 * <p>Window: HTTP/2 counts every body byte sent on a connection against one window that its streams
 * share, and the server gives bytes back only once it has read them. A paused admission (its
 * cluster's Secret being read, or waiting for room under a {@code limits.max-queue-wait}) holds its
 * body unread; with the protocol's default window a dozen such bodies used the connection's window
 * up, and the bodies of admissions already holding room stopped arriving until they timed out. Sized
 * to all its streams, the window cannot be used up by some streams against the others.
 */
@Singleton
class Http2Capacity implements HttpServerOptionsCustomizer {

    private final long streams;

    Http2Capacity(PodIdentityConfig config,
            @ConfigProperty(name = "quarkus.http.limits.max-concurrent-streams") Optional<Long> configured) {
        this.streams = configured.orElse(streamsFor(config.limits().maxInFlightBytes().asLongValue()));
    }

    /** As many streams as the budget admits ordinary admissions at once. */
    static long streamsFor(long maxInFlightBytes) {
        return Math.ceilDiv(maxInFlightBytes, InFlightBytes.MIN_WEIGHT);
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        size(options, streams);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        size(options, streams);
    }

    static void size(HttpServerOptions options, long streams) {
        Http2Settings settings = options.getInitialSettings();
        settings.setMaxConcurrentStreams(streams);
        long window = streams * settings.getInitialWindowSize();
        options.setHttp2ConnectionWindowSize((int) Math.min(Integer.MAX_VALUE, window));
    }
}
