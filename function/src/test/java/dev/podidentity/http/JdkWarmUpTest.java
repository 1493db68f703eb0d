package dev.podidentity.http;

import dev.podidentity.http.JdkWarmUp.Piece;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK the function runs on has every piece the warm-up sets up, and it sets them up; the
 * OpenSSL library is loaded only where the process is told to serve HTTPS, and only from
 * {@code java.library.path}; the P-256 table is built only where the JDK's TLS serves HTTPS.
 */
class JdkWarmUpTest {

    static final Set<Piece> FOR_THE_API_SERVER = EnumSet.of(Piece.JDK_TLS, Piece.X25519, Piece.P384, Piece.BIG_DECIMAL);

    @Test
    void withoutHttpsEveryPieceTheApiServerClientNeedsIsSetUpAndNothingElse() {
        boolean[] loaded = {false};

        assertEquals(FOR_THE_API_SERVER, JdkWarmUp.warm(false, () -> loaded[0] = true));
        assertFalse(loaded[0], "the OpenSSL library was loaded without HTTPS");
    }

    @Test
    void whereOpenSslServesHttpsTheP256TableIsLeftOut() {
        Set<Piece> expected = EnumSet.copyOf(FOR_THE_API_SERVER);
        expected.add(Piece.OPENSSL);

        assertEquals(expected, JdkWarmUp.warm(true, () -> true));
    }

    @Test
    void whereTheJdkServesHttpsTheP256TableIsBuilt() {
        Set<Piece> expected = EnumSet.copyOf(FOR_THE_API_SERVER);
        expected.add(Piece.P256_TABLE);

        assertEquals(expected, JdkWarmUp.warm(true, () -> false));
    }

    @Test
    void theLibraryIsLoadedFromTheLibraryPathOnly() {
        // The test JVM's java.library.path holds no netty-tcnative (Netty extracts it from the jar).
        assertFalse(JdkWarmUp.warm(true, JdkWarmUp::loadOpenSsl).contains(Piece.OPENSSL),
                "the library is not on this JVM's java.library.path");
    }

    @Test
    void httpsIsSeenInTheEnvironmentOrOnTheCommandLine() {
        Properties none = new Properties();
        Properties onCommandLine = new Properties();
        onCommandLine.setProperty("quarkus.http.ssl.certificate.files", "/etc/tls/tls.crt");
        assertTrue(JdkWarmUp.servesHttpsFromPem(Map.of("QUARKUS_HTTP_SSL_CERTIFICATE_FILES", "/etc/tls/tls.crt"), none));
        assertTrue(JdkWarmUp.servesHttpsFromPem(Map.of(), onCommandLine));
        assertFalse(JdkWarmUp.servesHttpsFromPem(Map.of(), none));
        assertFalse(JdkWarmUp.servesHttpsFromPem(Map.of("QUARKUS_HTTP_SSL_CERTIFICATE_FILES", " "), none));
    }
}
