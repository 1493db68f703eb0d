package dev.podidentity.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenSSL (netty-tcnative's library) is loaded for HTTPS only. Under Knative the function serves
 * plain HTTP behind the ingress, on one CPU: loading the library there would cost its cold start
 * for nothing. The packaged function, ServiceAccounts from a file, is asked for a patch over plain
 * HTTP and then over HTTPS; which native libraries its process has mapped is read from
 * {@code /proc/<pid>/maps}. The HTTPS half shows that the check sees the library when it is there.
 */
// Contract: docs/contract.md#tls
class OpenSslLibraryIT {

    static final String LIBRARY = "netty_tcnative";

    @TempDir
    Path dir;

    @Test
    void plainHttpNeverLoadsTheLibraryAndHttpsDoes() throws Exception {
        Path plainDir = Files.createDirectories(dir.resolve("plain"));
        int httpPort = E2eEnvironment.freePort();
        URI plainUri = URI.create("http://127.0.0.1:" + httpPort + "/mutate");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Process plain = Harness.startFunction(plainDir, options(httpPort), () -> patched(http, plainUri));
        try {
            assertTrue(patched(http, plainUri));
            assertFalse(mapped(plain, LIBRARY), "the process serving plain HTTP has loaded " + LIBRARY);
        } finally {
            Harness.stop(plain);
        }

        Path httpsDir = Files.createDirectories(dir.resolve("https"));
        Shell.run(httpsDir, httpsDir.resolve("openssl.log"), 60, "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "tls.key", "-out", "tls.crt");
        int tlsPort = E2eEnvironment.freePort();
        List<String> httpsOptions = new ArrayList<>(options(E2eEnvironment.freePort()));
        httpsOptions.addAll(List.of("-Dquarkus.http.ssl-port=" + tlsPort,
                "-Dquarkus.http.ssl.certificate.files=" + httpsDir.resolve("tls.crt"),
                "-Dquarkus.http.ssl.certificate.key-files=" + httpsDir.resolve("tls.key")));
        URI httpsUri = URI.create("https://127.0.0.1:" + tlsPort + "/mutate");
        HttpClient https = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(Pki.trustAll())
                .build();
        Process served = Harness.startFunction(httpsDir, httpsOptions, () -> patched(https, httpsUri));
        try {
            assertTrue(mapped(served, LIBRARY), "the process serving HTTPS has not loaded " + LIBRARY
                    + ": the check would not see it either");
        } finally {
            Harness.stop(served);
        }
    }

    static List<String> options(int httpPort) {
        return List.of("-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + httpPort,
                "-Dpod-identity.service-accounts-file="
                        + Harness.repository().resolve("examples/service-accounts.yaml"));
    }

    /** Whether an answer to examples/irsa-pod.json is a 200 that carries a patch. */
    static boolean patched(HttpClient client, URI uri) throws Exception {
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofFile(Harness.repository().resolve("examples/irsa-pod.json")))
                .build(), HttpResponse.BodyHandlers.ofString());
        return answer.statusCode() == 200 && answer.body().contains("\"patch\"");
    }

    /** Whether the process has a file whose name contains {@code library} mapped. */
    static boolean mapped(Process process, String library) throws Exception {
        return Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "maps")).stream()
                .anyMatch(line -> line.contains(library));
    }
}
