package dev.podidentity.http;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.TrustOptions;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.X509TrustManager;

/**
 * Serves HTTPS through OpenSSL (BoringSSL, from netty-tcnative) instead of the JDK's TLS, and
 * trusts no caller certificate unless a trust store is configured.
 *
 * <pre>{@code
 * # HTTPS from PEM files: this customizer picks the engine, nothing to configure
 * quarkus.http.ssl.certificate.files=/etc/tls/tls.crt
 * quarkus.http.ssl.certificate.key-files=/etc/tls/tls.key
 * # caller certificates: the CAs they must chain to (docs/contract.md#caller-authentication)
 * quarkus.http.ssl.certificate.trust-store-file=/etc/callers/ca.crt
 * }</pre>
 *
 * <p><b>OpenSSL.</b> The JDK's TLS runs a cold JVM's first handshakes in the interpreter, on the
 * event loop while the caller waits, and its record encryption in C1's code under the image's
 * flags; BoringSSL does both in native code from the first handshake on. The engine is chosen
 * only when the server has a certificate to serve: a function serving plain HTTP, as behind the
 * Knative ingress, loads no native code. Where the library cannot load (another CPU architecture, a
 * file system that forbids it), the JDK's engine serves as before and a warning says so.
 *
 * <p><b>No trust store, no caller certificate.</b> The server asks every caller for a certificate
 * ({@code quarkus.http.ssl.client-auth=request}). Without a trust store configured, Vert.x would
 * check a presented one against the JDK's public CAs, reading all of {@code cacerts} on the first
 * handshake, and would let a certificate issued by any public CA through to the subject check. A
 * caller certificate means something only against the CAs the operator configured, so without them
 * a presented certificate fails the handshake, and callers that present none, as API servers do by
 * default, are served as before.
 */
@Singleton
class ServerTlsEngine implements HttpServerOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(ServerTlsEngine.class);

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        if (options.getKeyCertOptions() == null) {
            return; // no certificate: Quarkus serves no HTTPS port
        }
        if (OpenSSLEngineOptions.isAvailable()) {
            options.setSslEngineOptions(new OpenSSLEngineOptions());
        } else {
            LOG.warnf("HTTPS with the JDK's TLS: OpenSSL could not be loaded (%s)",
                    io.netty.handler.ssl.OpenSsl.unavailabilityCause());
        }
        if (options.getTrustOptions() == null) {
            options.setTrustOptions(TrustOptions.wrap(NoCallerCertificates.INSTANCE));
        }
    }

    /** Rejects every client certificate chain and names no CA in the server's certificate request. */
    static final class NoCallerCertificates implements X509TrustManager {

        static final NoCallerCertificates INSTANCE = new NoCallerCertificates();

        private static final X509Certificate[] NONE = new X509Certificate[0];

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a caller certificate needs quarkus.http.ssl.certificate.trust-store-file");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a client");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return NONE;
        }
    }
}
