package dev.podidentity.http;

import dev.podidentity.cluster.TestCertificates;

import io.netty.handler.ssl.OpenSsl;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTPS server is served by OpenSSL when it has a certificate, plain HTTP loads nothing, and
 * without a trust store a caller certificate fails the handshake while callers without one are
 * served.
 */
// Contract: docs/contract.md#tls, docs/contract.md#caller-authentication
@QuarkusTest
@QuarkusTestResource(value = ServerTlsEngineTest.Tls.class, restrictToAnnotatedClass = true)
class ServerTlsEngineTest {

    static TestCertificates.Issued ca;

    /** A serving certificate and no trust store. */
    public static class Tls implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                ca = TestCertificates.authority("CN=serving-ca");
                return ca.sign("CN=localhost", false).servingProperties(Files.createTempDirectory("server-tls"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void openSslLoadsInThisBuild() {
        assertTrue(OpenSsl.isAvailable(), () -> "netty-tcnative did not load: " + OpenSsl.unavailabilityCause());
    }

    @Test
    void withoutACertificateNothingChanges() {
        HttpServerOptions options = new HttpServerOptions();
        new ServerTlsEngine().customizeHttpsServer(options);
        assertNull(options.getSslEngineOptions());
        assertNull(options.getTrustOptions());
    }

    @Test
    void withACertificateOpenSslServesIt() {
        HttpServerOptions options = new HttpServerOptions().setKeyCertOptions(new PemKeyCertOptions());
        new ServerTlsEngine().customizeHttpsServer(options);
        assertInstanceOf(OpenSSLEngineOptions.class, options.getSslEngineOptions());
    }

    @Test
    void aConfiguredTrustStoreIsKept() {
        PemTrustOptions configured = new PemTrustOptions().addCertValue(io.vertx.core.buffer.Buffer.buffer(ca.pem()));
        HttpServerOptions options = new HttpServerOptions().setKeyCertOptions(new PemKeyCertOptions())
                .setTrustOptions(configured);
        new ServerTlsEngine().customizeHttpsServer(options);
        assertSame(configured, options.getTrustOptions());
    }

    @Test
    void withoutATrustStoreNoCallerCertificateIsTrusted() throws Exception {
        HttpServerOptions options = new HttpServerOptions().setKeyCertOptions(new PemKeyCertOptions());
        new ServerTlsEngine().customizeHttpsServer(options);
        Vertx vertx = Vertx.vertx();
        try {
            TrustManager[] managers = options.getTrustOptions().getTrustManagerFactory(vertx).getTrustManagers();
            X509TrustManager trust = (X509TrustManager) managers[0];
            X509Certificate[] chain = ca.sign("CN=system:apiserver", false).chain();
            CertificateException refused = assertThrows(CertificateException.class,
                    () -> trust.checkClientTrusted(chain, "ECDHE_ECDSA"));
            assertTrue(refused.getMessage().contains("trust-store-file"), refused.getMessage());
            assertEquals(0, trust.getAcceptedIssuers().length, "the certificate request names no CA");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    @Test
    void aCallerWithoutACertificateIsServed() throws Exception {
        assertTrue(get(TestCertificates.clientContext(ca, null)).startsWith("HTTP/1.1 4"));
    }

    @Test
    void aCallerCertificateFailsTheHandshakeWithoutATrustStore() {
        TestCertificates.Issued caller = TestCertificates.authority("CN=callers").sign("CN=system:apiserver", false);
        // TLS 1.3 checks the client's certificate after the client's side of the handshake is
        // done: the refusal arrives as an alert on the first read.
        assertThrows(SSLException.class, () -> get(TestCertificates.clientContext(ca, caller)));
    }

    private static String get(SSLContext tls) throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            socket.getOutputStream().write("GET /mutate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

}
