package dev.podidentity.http;

import dev.podidentity.config.PodIdentityConfig;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

import jakarta.inject.Singleton;

import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTPS connection whose TLS handshake is not done within
 * {@code pod-identity.limits.tls-handshake-timeout}, instead of Vert.x's 10 s.
 *
 * <pre>{@code
 * # application.properties
 * pod-identity.limits.tls-handshake-timeout=3s
 * }</pre>
 *
 * <p>Why: until its handshake is done, a connection is counted by no HTTP limit, yet holds a
 * socket and a few KiB of heap. A client that opens connections and never speaks costs itself
 * nothing; at 1,000 such connections a second the function held 10,260 at once with Vert.x's 10 s
 * and 3,171 with 3 s (benchmarks/README.md, "TLS handshake flood"). A flood of real handshakes is
 * another matter: it is bounded by the CPU the handshakes cost, which this does not change.
 */
@Singleton
public class TlsHandshakeLimit implements HttpServerOptionsCustomizer {

    private final long timeoutMs;

    TlsHandshakeLimit(PodIdentityConfig config) {
        this.timeoutMs = Math.max(1, config.limits().tlsHandshakeTimeout().toMillis());
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        options.setSslHandshakeTimeout(timeoutMs);
        options.setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    }
}
