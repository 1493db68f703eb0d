package dev.podidentity.http;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK the function runs on has every piece the warm-up sets up, and it sets them up; the
 * OpenSSL library is loaded only where the process is told to serve HTTPS, and only from
 * {@code java.library.path}.
 */
class JdkWarmUpTest {

    @Test
    void everyPieceIsSetUp() {
        assertTrue(JdkWarmUp.warm(false));
    }

    @Test
    void withoutTheLibraryOnTheLibraryPathTheRestIsStillSetUp() {
        // The test JVM's java.library.path holds no netty-tcnative (Netty extracts it from the jar).
        assertFalse(JdkWarmUp.warm(true), "the library is not on this JVM's java.library.path");
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
