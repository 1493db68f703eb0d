package dev.podidentity.serviceaccount;

import dev.podidentity.cluster.TestCertificates;
import dev.podidentity.cluster.TestCertificates.Issued;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;

import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API server's certificate is checked against the configured CA and nothing else, its host name
 * included, over real TLS to a server whose certificate that CA signed for {@code localhost}.
 */
// Contract: docs/contract.md#lookups
class ClusterCaTrustTest {

    static final String PATH = "/api/v1/namespaces/shop/serviceaccounts/api";
    static final String BODY = "{\"kind\":\"ServiceAccount\"}";

    static Issued clusterCa;
    static HttpsServer apiServer;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startApiServer() throws Exception {
        clusterCa = TestCertificates.authority("CN=cluster-ca");
        Issued serving = clusterCa.sign("CN=kube-apiserver", false); // for localhost only
        SSLContext tls = TestCertificates.serverContext(serving);
        apiServer = HttpsServer.create(new InetSocketAddress(0), 0); // both loopbacks, as localhost resolves
        apiServer.setHttpsConfigurator(new HttpsConfigurator(tls));
        apiServer.createContext(PATH, exchange -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        apiServer.start();
    }

    @AfterAll
    static void stopApiServer() {
        apiServer.stop(0);
    }

    static String get(String host, Path caFile) {
        String url = "https://" + host + ":" + apiServer.getAddress().getPort();
        try (ApiServerClient client = TestClients.forUrl(url, null, caFile, false, Duration.ofSeconds(10))) {
            return client.get(PATH);
        }
    }

    @Test
    void aServerCertifiedByTheClusterCaIsRead() {
        assertEquals(BODY, get("localhost", clusterCa.writePem(dir.resolve("cluster-ca.crt"))));
    }

    @Test
    void aServerCertifiedByAnotherCaIsRefused() {
        Path otherCa = TestCertificates.authority("CN=other-ca").writePem(dir.resolve("other-ca.crt"));

        KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> get("localhost", otherCa));
        assertTrue(e.getCode() <= 0, "no answer, not HTTP " + e.getCode());
    }

    @Test
    void aServerCertifiedForAnotherHostNameIsRefused() {
        Path ca = clusterCa.writePem(dir.resolve("cluster-ca-for-ip.crt"));

        // the certificate names localhost only
        KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> get("127.0.0.1", ca));
        assertTrue(e.getCode() <= 0, "no answer, not HTTP " + e.getCode());
    }

    @Test
    void theConfiguredCaIsTheOnlyOneTrustedNotTheJdksPublicOnes() {
        String data = Base64.getEncoder().encodeToString(clusterCa.pem().getBytes(StandardCharsets.US_ASCII));
        Config config = new ConfigBuilder(Config.empty()).withCaCertData(data).build();

        X509TrustManager trust = (X509TrustManager) ClusterCaTrust.trustManagers(ClusterCaTrust.clusterCas(config))[0];

        assertArrayEquals(new X509Certificate[] {clusterCa.certificate()}, trust.getAcceptedIssuers());
    }

    @Test
    void withoutACaOrWithATrustStoreOrTrustingEverythingTheClientIsFabric8sOwn() throws IOException {
        Path ca = clusterCa.writePem(dir.resolve("ca.crt"));

        assertTrue(ClusterCaTrust.checksClusterCaAlone(new ConfigBuilder(Config.empty()).withCaCertFile(ca.toString()).build()));
        assertFalse(ClusterCaTrust.checksClusterCaAlone(Config.empty()));
        assertFalse(ClusterCaTrust.checksClusterCaAlone(new ConfigBuilder(Config.empty()).withCaCertFile(ca.toString())
                .withTrustStoreFile("/etc/pki/trust.p12").build()));
        assertFalse(ClusterCaTrust.checksClusterCaAlone(new ConfigBuilder(Config.empty()).withCaCertFile(ca.toString())
                .withTrustCerts(true).build()));
    }

    @Test
    void aCaFileWithoutCertificatesIsAnError(@TempDir Path empty) throws IOException {
        Path none = Files.writeString(empty.resolve("ca.crt"), "");
        Config config = new ConfigBuilder(Config.empty()).withCaCertFile(none.toString()).build();

        assertThrows(KubernetesClientException.class, () -> ClusterCaTrust.clusterCas(config));
    }

    @Test
    void skippingTheChecksAsConfiguredReadsFromAServerAnotherCaCertified() {
        Path otherCa = TestCertificates.authority("CN=other-ca").writePem(dir.resolve("other-ca-skipped.crt"));
        String url = "https://localhost:" + apiServer.getAddress().getPort();

        // insecure-skip-tls-verify beside a CA, as a kubeconfig may have both: fabric8 trusts everything
        try (ApiServerClient client = TestClients.forUrl(url, null, otherCa, true, Duration.ofSeconds(10))) {
            assertEquals(BODY, client.get(PATH));
        }
    }
}
