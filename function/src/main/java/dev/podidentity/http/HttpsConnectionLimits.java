package dev.podidentity.http;

import dev.podidentity.config.PodIdentityConfig;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

import jakarta.inject.Singleton;

import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a connection to the HTTPS port may hold the function without a request to
 * answer: its TLS handshake must be done within {@code pod-identity.limits.tls-handshake-timeout}
 * (Vert.x's own is 10 s), and a connection the function has written nothing on for
 * {@code pod-identity.limits.quiet-connection-timeout} is closed.
 *
 * <pre>{@code
 * # application.properties
 * pod-identity.limits.tls-handshake-timeout=3s
 * pod-identity.limits.quiet-connection-timeout=30s
 * }</pre>
 *
 * <p>Why: until its handshake is done a connection is counted by no HTTP limit, yet holds a socket
 * and a few KiB of heap. A client that opens connections and never speaks costs itself nothing,
 * and the function holds each one until the handshake timeout, so that timeout bounds how many it
 * holds at once. After the handshake, a client that sends its request headers a byte at a time is
 * never answered, so nothing is written to it: Vert.x 4.5 has no deadline for the headers (the body
 * has one, {@code limits.body-timeout}), and its idle timeout counts any byte read as activity.
 * Counting only what the function writes cuts such a client off and leaves every caller that gets
 * answered alone. A caller's idle keep-alive connection is closed the same way, over HTTP/2 too
 * (without a {@code GOAWAY}: Vert.x 4.5's idle timeout closes the socket), and an API server's
 * client opens a new connection for its next call. A flood of real handshakes is another matter:
 * it is bounded by the CPU the handshakes cost, which none of this changes.
 */
@Singleton
class HttpsConnectionLimits implements HttpServerOptionsCustomizer {

    private final long handshakeTimeoutMs;
    private final long quietTimeoutMs;

    HttpsConnectionLimits(PodIdentityConfig config) {
        this.handshakeTimeoutMs = Math.max(1, config.limits().tlsHandshakeTimeout().toMillis());
        this.quietTimeoutMs = Math.max(1, config.limits().quietConnectionTimeout().toMillis());
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        options.setSslHandshakeTimeout(handshakeTimeoutMs);
        options.setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
        // The three idle timeouts share one unit: keep Quarkus's idle and read-idle ones, in milliseconds.
        TimeUnit unit = options.getIdleTimeoutUnit();
        int idleMs = millis(unit, options.getIdleTimeout());
        int readIdleMs = millis(unit, options.getReadIdleTimeout());
        options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        options.setIdleTimeout(idleMs);
        options.setReadIdleTimeout(readIdleMs);
        options.setWriteIdleTimeout(millis(TimeUnit.MILLISECONDS, quietTimeoutMs));
    }

    private static int millis(TimeUnit unit, long amount) {
        return (int) Math.min(Integer.MAX_VALUE, unit.toMillis(amount));
    }
}
