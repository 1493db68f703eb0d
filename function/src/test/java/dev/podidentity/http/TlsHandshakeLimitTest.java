package dev.podidentity.http;

import dev.podidentity.cluster.TestCertificates;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A connection to the HTTPS port that never finishes its TLS handshake is closed after
 * {@code pod-identity.limits.tls-handshake-timeout} (2 s here: room for a slow handshake on a busy machine), not after Vert.x's 10 s; one that
 * finishes it is served as before.
 */
// Contract: docs/contract.md#limits
@QuarkusTest
@QuarkusTestResource(value = TlsHandshakeLimitTest.Tls.class, restrictToAnnotatedClass = true)
class TlsHandshakeLimitTest {

    static TestCertificates.Issued ca;

    /** A serving certificate and a two-second handshake limit. */
    public static class Tls implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("tls-handshake");
                ca = TestCertificates.authority("CN=serving-ca");
                Map<String, String> properties = new HashMap<>(ca.sign("CN=localhost", false).servingProperties(dir));
                properties.put("pod-identity.limits.tls-handshake-timeout", "2s");
                return properties;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
        }
    }

    static int port() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
    }

    @Test
    void aConnectionThatNeverStartsItsHandshakeIsClosed() throws Exception {
        try (Socket silent = new Socket("localhost", port())) {
            // Well under Vert.x's own 10 s: only the configured limit can close it in time.
            silent.setSoTimeout(8_000);
            InputStream in = silent.getInputStream();
            try {
                assertEquals(-1, in.read(), "the server sent bytes to a client that said nothing");
            } catch (SocketTimeoutException stillOpen) {
                fail("the connection was still open 8 s after it was made, with no handshake");
            } catch (java.net.SocketException reset) {
                // closed with a reset: closed all the same
            }
        }
    }

    @Test
    void aCallerThatFinishesItsHandshakeIsServed() throws Exception {
        SSLContext tls = TestCertificates.clientContext(ca, null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port())) {
            socket.startHandshake();
            Thread.sleep(2_500); // past the limit: it bounds the handshake, not the connection
            socket.getOutputStream().write("GET /mutate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 4"), "an HTTP answer (GET /mutate is refused): " + answer);
        }
    }
}
