package dev.podidentity.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import dev.podidentity.cluster.TestCertificates.Issued;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import javax.net.ssl.SSLContext;

import static dev.podidentity.TestJson.MAPPER;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An API server whose certificate is replaced by one of another CA, and the CA file and kubeconfig
 * of its clusters rewritten to match: the next admissions are served through the new CA, without a
 * restart. Before, a cluster's CA and kubeconfig were read once per process, and its admissions
 * failed until the function restarted.
 */
// Contract: docs/contract.md#multi-cluster
@QuarkusTest
@QuarkusTestResource(value = RotatedCredentialsTest.ApiServer.class, restrictToAnnotatedClass = true)
class RotatedCredentialsTest {

    /** An HTTPS API server holding one ServiceAccount per namespace, and the files of two clusters reaching it. */
    public static class ApiServer implements QuarkusTestResourceLifecycleManager {
        static HttpsServer server;
        static int port;
        static Path caFile;
        static Path kubeconfig;

        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("rotated-credentials");
                caFile = dir.resolve("ca.crt");
                kubeconfig = dir.resolve("kubeconfig");
                serveWith(TestCertificates.authority("CN=first-ca"), 0);
                return Map.of("pod-identity.file-check-interval", "0s",
                        "pod-identity.clusters.by-ca-file.api-server-url", "https://localhost:" + port,
                        "pod-identity.clusters.by-ca-file.ca-file", caFile.toString(),
                        "pod-identity.clusters.by-kubeconfig.kubeconfig", kubeconfig.toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** (Re)starts the server with a certificate of this CA, and writes the CA into both clusters' files. */
        static void serveWith(Issued ca, int onPort) throws Exception {
            if (server != null) {
                server.stop(0); // its connections go with it: the next lookup makes a new handshake
            }
            Issued serving = ca.sign("CN=kube-apiserver", false);
            SSLContext tls = TestCertificates.serverContext(serving);
            server = HttpsServer.create(new InetSocketAddress(onPort), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            server.createContext("/api/v1/namespaces/", exchange -> {
                String namespace = exchange.getRequestURI().getPath().split("/")[4];
                byte[] body = """
                        {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"app","namespace":"%s",
                         "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/app"}}}"""
                        .formatted(namespace).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            port = server.getAddress().getPort();
            String pem = TestCertificates.pem(ca.certificate());
            Files.writeString(caFile, pem);
            Files.writeString(kubeconfig, """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: c, cluster: {server: "https://localhost:%d", certificate-authority-data: "%s"}}]
                    users: [{name: u, user: {token: reader}}]
                    contexts: [{name: c, context: {cluster: c, user: u}}]
                    current-context: c
                    """.formatted(port, Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII))));
        }

        @Override
        public void stop() {
            server.stop(0);
        }
    }

    /** The role the answer gives a pod of ServiceAccount app in the namespace, or null when it gives none. */
    static String role(String cluster, String namespace) throws Exception {
        ObjectNode review = (ObjectNode) MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")));
        ((ObjectNode) review.get("request")).put("namespace", namespace);
        ((ObjectNode) review.at("/request/object/spec")).put("serviceAccountName", "app");
        Response response = given().contentType("application/json").body(MAPPER.writeValueAsString(review))
                .post("/clusters/" + cluster + "/mutate");
        assertEquals(200, response.statusCode(), response.asString());
        JsonNode answer = MAPPER.readTree(response.asByteArray()).get("response");
        if (!answer.has("patch")) {
            return null;
        }
        String patch = new String(Base64.getDecoder().decode(answer.get("patch").asText()), StandardCharsets.UTF_8);
        return patch.contains("arn:aws:iam::111122223333:role/app") ? "app" : null;
    }

    @Test
    void aReplacedCaFileAndKubeconfigAreUsedForTheNextAdmissionsWithoutARestart() throws Exception {
        assertEquals("app", role("by-ca-file", "before"));
        assertEquals("app", role("by-kubeconfig", "before"));

        ApiServer.serveWith(TestCertificates.authority("CN=second-ca"), ApiServer.port);

        // New namespaces: nothing cached, each lookup reaches the API server through its new certificate.
        assertEquals("app", role("by-ca-file", "after"), "the CA file's new CA is trusted");
        assertEquals("app", role("by-kubeconfig", "after"), "the kubeconfig's new CA is trusted");
    }
}
