package dev.podidentity.http;

import dev.podidentity.cluster.TestCertificates;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A connection to the HTTPS port that never finishes its TLS handshake is closed after
 * {@code pod-identity.limits.tls-handshake-timeout} (2 s here: room for a slow handshake on a busy
 * machine), not after Vert.x's 10 s; one that finishes it is served as before. A caller that sends
 * its headers a byte at a time is cut off after {@code pod-identity.limits.quiet-connection-timeout}
 * (4 s here), not after Quarkus's idle timeout of 30 minutes; one that is answered keeps its
 * connection past that.
 */
// Contract: docs/contract.md#limits
@QuarkusTest
@QuarkusTestResource(value = HttpsConnectionLimitsTest.Tls.class, restrictToAnnotatedClass = true)
class HttpsConnectionLimitsTest {

    static TestCertificates.Issued ca;

    /** A serving certificate, a two-second handshake limit and a four-second quiet-connection limit. */
    public static class Tls implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("tls-handshake");
                ca = TestCertificates.authority("CN=serving-ca");
                Map<String, String> properties = new HashMap<>(ca.sign("CN=localhost", false).servingProperties(dir));
                properties.put("pod-identity.limits.tls-handshake-timeout", "2s");
                properties.put("pod-identity.limits.quiet-connection-timeout", "4s");
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
            } catch (SocketException reset) {
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

    @Test
    void aCallerTricklingItsHeadersIsCutOff() throws Exception {
        SSLContext tls = TestCertificates.clientContext(ca, null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port())) {
            socket.startHandshake();
            socket.setSoTimeout(250);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("POST /mutate HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            // A byte every 250 ms: Vert.x's idle timeout would count each as activity.
            while (System.nanoTime() < deadline) {
                try {
                    out.write('a');
                    out.flush();
                    if (in.read() == -1) {
                        return; // closed by the server
                    }
                    fail("the server answered headers that never ended");
                } catch (SocketTimeoutException stillOpen) {
                    // nothing to read yet: go on trickling
                } catch (SocketException closed) {
                    return; // closed by the server, seen on the write or as a reset
                }
            }
            fail("a caller trickling its headers still held the connection after 15 s");
        }
    }

    @Test
    void aCallerThatIsAnsweredKeepsItsConnectionPastTheQuietLimit() throws Exception {
        SSLContext tls = TestCertificates.clientContext(ca, null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port())) {
            socket.startHandshake();
            socket.setSoTimeout(10_000);
            BufferedReader answers = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            // Six answers two seconds apart: the connection lives 10 s, well past the 4 s limit.
            for (int i = 0; i < 6; i++) {
                if (i > 0) {
                    Thread.sleep(2_000);
                }
                out.write("GET /mutate HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String status = answers.readLine();
                assertTrue(status != null && status.startsWith("HTTP/1.1 4"), "answer " + i + " on one connection: " + status);
                readPastBody(answers);
            }
        }
    }

    /** Reads one answer's headers and its {@code Content-Length} body. */
    private static void readPastBody(BufferedReader answer) throws java.io.IOException {
        int length = 0;
        for (String line = answer.readLine(); line != null && !line.isEmpty(); line = answer.readLine()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).strip());
            }
        }
        for (int i = 0; i < length; i++) {
            answer.read();
        }
    }
}
