package dev.podidentity.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Map;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proof that the harness can fail: webhooks that answer with an empty TypeMeta or with a patch that
 * does not apply make the real API server refuse the pod, so the suite would catch the function
 * doing the same.
 */
// Contract: docs/contract.md#admission-review
class HarnessCanFailIT {

    static E2eEnvironment env;
    static HttpsServer broken;

    @BeforeAll
    static void brokenWebhook() throws Exception {
        env = E2eEnvironment.get();
        Path tls = env.work.resolve("broken-tls");
        env.pki.issue(tls);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(env.pki.keyStore(tls))) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        broken = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        broken.setHttpsConfigurator(new HttpsConfigurator(ssl));
        broken.createContext("/", exchange -> {
            JsonNode review = Serialization.jsonMapper().readTree(exchange.getRequestBody());
            String uid = review.at("/request/uid").asText();
            String answer = switch (exchange.getRequestURI().getPath()) {
                // what the AWS webhook answered before its fix #310: no apiVersion, no kind
                case "/empty-typemeta" -> "{\"response\":{\"uid\":\"" + uid + "\",\"allowed\":true}}";
                // a patch whose target does not exist
                default -> "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{"
                        + "\"uid\":\"" + uid + "\",\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\""
                        + Base64.getEncoder().encodeToString(
                                "[{\"op\":\"add\",\"path\":\"/spec/nonexistent/0\",\"value\":1}]".getBytes())
                        + "\"}}";
            };
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        broken.start();
        String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(env.pki.ca()));
        env.client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(
                new MutatingWebhookConfigurationBuilder().withNewMetadata().withName("e2e-broken").endMetadata()
                        .withWebhooks(webhook("empty-typemeta", ca), webhook("invalid-patch", ca)).build())
                .createOr(c -> c.update());
    }

    static MutatingWebhook webhook(String kind, String ca) {
        return new MutatingWebhookBuilder()
                .withName(kind + ".e2e.podidentity.dev")
                .withAdmissionReviewVersions("v1").withSideEffects("None").withFailurePolicy("Fail")
                .withNewClientConfig().withUrl("https://127.0.0.1:" + broken.getAddress().getPort() + "/" + kind)
                .withCaBundle(ca).endClientConfig()
                .addNewRule().withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods")
                .endRule()
                .withNewNamespaceSelector().addToMatchLabels("kubernetes.io/metadata.name", "e2e-" + kind)
                .endNamespaceSelector()
                .build();
    }

    @AfterAll
    static void stop() {
        env.client.admissionRegistration().v1().mutatingWebhookConfigurations().withName("e2e-broken").delete();
        broken.stop(0);
    }

    /** Creating a pod in the namespace the broken webhook serves must fail; returns the API server's message. */
    static String refused(String namespace) throws Exception {
        env.serviceAccount(namespace, "default", Map.of());
        long deadline = System.nanoTime() + 30_000_000_000L; // the configuration is picked up asynchronously
        while (true) {
            try {
                env.client.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata()
                        .withGenerateName("p-").endMetadata().withNewSpec().addNewContainer().withName("c")
                        .withImage("busybox").endContainer().endSpec().build()).dryRun().create();
            } catch (KubernetesClientException e) {
                return e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                return "never refused";
            }
            Thread.sleep(250);
        }
    }

    @Test
    void anAnswerWithoutTypeMetaIsRefusedByTheApiServer() throws Exception {
        String message = refused("e2e-empty-typemeta");

        assertTrue(message.contains("expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview"),
                message);
    }

    @Test
    void aPatchThatDoesNotApplyIsRefusedByTheApiServer() throws Exception {
        String message = refused("e2e-invalid-patch");

        assertTrue(message.contains("add operation does not apply"), message);
    }

    @Test
    void keepsTheBrokenServerHonest() {
        assertThrows(KubernetesClientException.class, () -> env.client.pods().inNamespace("e2e-invalid-patch")
                .resource(new PodBuilder().withNewMetadata().withName("never").endMetadata().withNewSpec()
                        .addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build())
                .create());
    }
}
