package dev.podidentity.http;

import dev.podidentity.cluster.TestCertificates;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.http.HttpServerOptions;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
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
 * connection past that, and an HTTP/2 connection left quiet is closed too.
 *
 * <p>No test here races the clock: the options the limits set are read from the server's options,
 * connections that must stay open are kept busy with requests a fraction of a limit apart, and
 * connections that must be closed are waited on until they are.
 */
// Contract: docs/contract.md#limits
@QuarkusTest
@QuarkusTestResource(value = HttpsConnectionLimitsTest.Tls.class, restrictToAnnotatedClass = true)
class HttpsConnectionLimitsTest {

    static final Duration HANDSHAKE_LIMIT = Duration.ofSeconds(2);
    static final Duration QUIET_LIMIT = Duration.ofSeconds(4);
    /** Between two requests on a connection that must stay open: far under either limit. */
    static final Duration BETWEEN_REQUESTS = Duration.ofMillis(200);
    /** A bound for a stuck test, not a timing: many times the limits. */
    static final Duration STUCK = Duration.ofSeconds(60);

    static final int SETTINGS = 0x4;

    static TestCertificates.Issued ca;

    @Inject
    HttpsConnectionLimits limits;

    /** A serving certificate, a two-second handshake limit and a four-second quiet-connection limit. */
    public static class Tls implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("tls-handshake");
                ca = TestCertificates.authority("CN=serving-ca");
                Map<String, String> properties = new HashMap<>(ca.sign("CN=localhost", false).servingProperties(dir));
                properties.put("pod-identity.limits.tls-handshake-timeout", HANDSHAKE_LIMIT.toSeconds() + "s");
                properties.put("pod-identity.limits.quiet-connection-timeout", QUIET_LIMIT.toSeconds() + "s");
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
    void theHttpsServerGetsTheConfiguredLimitsAndKeepsItsOtherIdleTimeouts() {
        HttpServerOptions options = new HttpServerOptions().setIdleTimeout(1800).setReadIdleTimeout(0);

        limits.customizeHttpsServer(options);

        assertEquals(HANDSHAKE_LIMIT.toMillis(), options.getSslHandshakeTimeoutUnit().toMillis(
                options.getSslHandshakeTimeout()), "TLS handshake timeout (Vert.x's own is 10 s)");
        assertEquals(TimeUnit.MILLISECONDS, options.getIdleTimeoutUnit());
        assertEquals(QUIET_LIMIT.toMillis(), options.getWriteIdleTimeout(), "nothing written for this long: closed");
        assertEquals(1_800_000, options.getIdleTimeout(), "Quarkus's idle timeout, kept");
        assertEquals(0, options.getReadIdleTimeout(), "no read-idle timeout: a byte read is no proof of life");
    }

    @Test
    void aConnectionThatNeverStartsItsHandshakeIsClosed() throws Exception {
        try (Socket silent = new Socket("localhost", port())) {
            silent.setSoTimeout((int) STUCK.toMillis());
            InputStream in = silent.getInputStream();
            try {
                assertEquals(-1, in.read(), "the server sent bytes to a client that said nothing");
            } catch (SocketTimeoutException stillOpen) {
                fail("the connection was still open " + STUCK.toSeconds() + " s after it was made, with no handshake");
            } catch (SocketException reset) {
                // closed with a reset: closed all the same
            }
        }
    }

    @Test
    void aCallerThatFinishesItsHandshakeIsServedPastTheHandshakeLimit() throws Exception {
        SSLContext tls = TestCertificates.clientContext(ca, null);
        long connected = System.nanoTime();
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port())) {
            socket.startHandshake();
            socket.setSoTimeout((int) STUCK.toMillis());
            HttpConnection http = new HttpConnection(socket);
            // Answers on one connection until it has lived well past the handshake limit: the limit
            // bounds the handshake, not the connection (and the answers keep it from being quiet).
            int answered = 0;
            while (System.nanoTime() - connected < HANDSHAKE_LIMIT.multipliedBy(2).toNanos()) {
                assertTrue(http.get("/mutate").startsWith("HTTP/1.1 4"), "GET /mutate is refused, on an open connection");
                answered++;
                Thread.sleep(BETWEEN_REQUESTS);
            }
            assertTrue(answered > 1, "answered " + answered);
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
            long stuck = System.nanoTime() + STUCK.toNanos();
            // A byte every 250 ms: Vert.x's idle timeout would count each as activity.
            while (System.nanoTime() < stuck) {
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
            fail("a caller trickling its headers still held the connection after " + STUCK.toSeconds() + " s");
        }
    }

    @Test
    void aCallerThatIsAnsweredKeepsItsConnectionPastTheQuietLimit() throws Exception {
        SSLContext tls = TestCertificates.clientContext(ca, null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port())) {
            socket.startHandshake();
            socket.setSoTimeout((int) STUCK.toMillis());
            HttpConnection http = new HttpConnection(socket);
            long opened = System.nanoTime();
            int answered = 0;
            while (System.nanoTime() - opened < QUIET_LIMIT.multipliedBy(2).toNanos()) {
                assertTrue(http.get("/mutate").startsWith("HTTP/1.1 4"), "answer " + answered + " on one connection");
                answered++;
                Thread.sleep(BETWEEN_REQUESTS);
            }
            assertTrue(answered > 1, "answered " + answered);
        }
    }

    /**
     * An HTTP/2 connection (as API servers call webhooks over TLS) left quiet is closed at the
     * limit like any other. Vert.x 4.5 closes it without a {@code GOAWAY} first: its idle handling
     * closes the channel from the HTTP/2 handler's own context, past the Netty handler that would
     * send one, as docs/contract.md#limits says; the frames received are printed.
     */
    @Test
    void aQuietHttp2ConnectionIsClosedAtTheLimit() throws Exception {
        SSLContext tls = TestCertificates.clientContext(ca, null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertEquals("h2", socket.getApplicationProtocol(), "the test needs an HTTP/2 connection");
            socket.setSoTimeout((int) STUCK.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            writeFrame(out, 0x4, 0, new byte[0]); // SETTINGS, none changed
            out.flush();

            // Then nothing but the acknowledgement of the server's SETTINGS, until the server closes.
            List<Integer> types = new ArrayList<>();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            boolean closed = false;
            try {
                while (true) {
                    int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                    int type = in.readUnsignedByte();
                    int flags = in.readUnsignedByte();
                    in.readInt(); // stream id
                    in.skipNBytes(length);
                    types.add(type);
                    if (type == SETTINGS && (flags & 0x1) == 0) {
                        writeFrame(out, SETTINGS, 0x1, new byte[0]); // acknowledged
                        out.flush();
                    }
                }
            } catch (EOFException | SocketException end) {
                closed = true;
            } catch (SocketTimeoutException stillOpen) {
                fail("a quiet HTTP/2 connection was still open after " + STUCK.toSeconds() + " s; frames " + types);
            }
            assertTrue(closed);
            assertTrue(types.contains(SETTINGS), "an HTTP/2 server's frames: " + types);
            System.out.println("frame types received on the quiet HTTP/2 connection before it was closed"
                    + " (4 SETTINGS, 7 GOAWAY): " + types);
        }
    }

    static void writeFrame(OutputStream out, int type, int flags, byte[] payload) throws IOException {
        out.write(new byte[] {(byte) (payload.length >> 16), (byte) (payload.length >> 8), (byte) payload.length,
            (byte) type, (byte) flags, 0, 0, 0, 0});
        out.write(payload);
    }

    /** HTTP/1.1 requests on one connection, each read to the end of its answer. */
    static final class HttpConnection {
        private final OutputStream out;
        private final BufferedReader answers;

        HttpConnection(Socket socket) throws IOException {
            out = socket.getOutputStream();
            answers = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        }

        /** The status line of the answer to {@code GET path}. */
        String get(String path) throws IOException {
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = answers.readLine();
            assertTrue(status != null, "the connection was closed instead of answered");
            int length = 0;
            for (String line = answers.readLine(); line != null && !line.isEmpty(); line = answers.readLine()) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).strip());
                }
            }
            for (int i = 0; i < length; i++) {
                answers.read();
            }
            return status;
        }
    }
}
