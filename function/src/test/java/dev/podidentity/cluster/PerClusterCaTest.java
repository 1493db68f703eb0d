package dev.podidentity.cluster;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import javax.net.ssl.SSLContext;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over mTLS, with one trust store holding the CAs of two clusters: a certificate with cluster
 * delta's subject is accepted on delta's path only when delta's own CA signed it.
 */
// Contract: docs/contract.md#caller-authentication
@QuarkusTest
@QuarkusTestResource(value = PerClusterCaTest.TwoCas.class, restrictToAnnotatedClass = true)
class PerClusterCaTest {

    static TestCertificates.Issued serverCa;
    static TestCertificates.Issued deltaCa;
    static TestCertificates.Issued epsilonCa;

    /** A serving certificate, the callers' trust store of both CAs, delta's CA and an API server. */
    public static class TwoCas implements QuarkusTestResourceLifecycleManager {
        WireMockServer api;

        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("per-cluster-ca");
                serverCa = TestCertificates.authority("CN=serving-ca");
                deltaCa = TestCertificates.authority("CN=delta-ca");
                epsilonCa = TestCertificates.authority("CN=epsilon-ca");
                Files.writeString(dir.resolve("callers.crt"), deltaCa.pem() + epsilonCa.pem());
                api = new WireMockServer(options().dynamicPort());
                api.start();
                api.stubFor(get(urlPathEqualTo(TwoApiServers.SA_PATH)).willReturn(okJson("""
                        {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"s3-reader","namespace":"default",
                         "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/delta"}}}""")));
                Map<String, String> properties = new HashMap<>(serverCa.sign("CN=localhost", false).servingProperties(dir));
                properties.putAll(Map.of(
                        "quarkus.http.ssl.certificate.trust-store-file", dir.resolve("callers.crt").toString(),
                        "quarkus.http.ssl.certificate.trust-store-file-type", "PEM",
                        "pod-identity.clusters.delta.api-server-url", api.baseUrl(),
                        "pod-identity.clusters.delta.caller-certificate-subject", "CN=kube-apiserver,O=delta",
                        "pod-identity.clusters.delta.caller-certificate-ca-file",
                        deltaCa.writePem(dir.resolve("delta-ca.crt")).toString()));
                return properties;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
            api.stop();
        }
    }

    /** Posts the example review to delta's path, presenting the certificate. */
    static HttpResponse<String> postAs(TestCertificates.Issued client) throws Exception {
        SSLContext tls = TestCertificates.clientContext(serverCa, client);
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        try (HttpClient http = HttpClient.newBuilder().sslContext(tls).build()) {
            HttpResponse<String> response = null;
            for (int i = 0; i < 2; i++) { // the second request reuses the TLS session
                response = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                        + "/clusters/delta/mutate")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(Files.readString(Path.of("../examples/irsa-pod.json"))))
                        .build(), HttpResponse.BodyHandlers.ofString());
            }
            return response;
        }
    }

    @Test
    void deltasSubjectIsAcceptedOnlyFromDeltasCa() throws Exception {
        HttpResponse<String> fromDelta = postAs(deltaCa.sign("CN=kube-apiserver,O=delta", false));
        HttpResponse<String> fromEpsilon = postAs(epsilonCa.sign("CN=kube-apiserver,O=delta", false));

        assertEquals(200, fromDelta.statusCode(), fromDelta.body());
        assertTrue(fromDelta.body().contains("\"patchType\":\"JSONPatch\""), fromDelta.body());
        assertEquals(401, fromEpsilon.statusCode(), fromEpsilon.body());
        assertEquals(401, postAs(deltaCa.sign("CN=kube-apiserver,O=epsilon", false)).statusCode(), "another subject");
    }
}
