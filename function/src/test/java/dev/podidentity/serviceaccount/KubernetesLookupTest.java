package dev.podidentity.serviceaccount;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.applyPatch;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * ServiceAccounts and the mapping ConfigMap read from a Kubernetes API server (the Quarkus
 * Kubernetes test server in CRUD mode), through the whole function over HTTP.
 */
// Contract: docs/contract.md#lookups
@QuarkusTest
@TestProfile(KubernetesLookupTest.FromKubernetes.class)
@WithKubernetesTestServer(crud = true)
class KubernetesLookupTest {

    /** No ServiceAccounts file: the Kubernetes API is the source; the mapping ConfigMap is on. */
    public static class FromKubernetes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pod-identity.service-accounts-file", "",
                    "pod-identity.container-credentials.config-file", "",
                    "pod-identity.config-map.enabled", "true");
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(ManualTicker.class);
        }
    }

    static final String ROLE = "arn:aws:iam::111122223333:role/";

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    ManualTicker ticker;

    KubernetesClient cluster;

    @BeforeEach
    void everyCachedValueIsOld() {
        cluster = server.getClient();
        ticker.advance(Duration.ofSeconds(3));
    }

    void serviceAccount(String namespace, String name, Map<String, String> annotations) {
        if (cluster.namespaces().withName(namespace).get() == null) {
            cluster.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                    .build()).create();
        }
        cluster.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName(name).withNamespace(namespace).withAnnotations(annotations).endMetadata().build()).createOrReplace();
    }

    /** Posts a review for a pod of that ServiceAccount; returns the patched pod, or null when there is no patch. */
    static JsonNode admit(String namespace, String serviceAccount) throws Exception {
        ObjectNode review = (ObjectNode) MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")));
        ((ObjectNode) review.get("request")).put("namespace", namespace);
        ((ObjectNode) review.at("/request/object/spec")).put("serviceAccountName", serviceAccount);
        JsonNode answer = MAPPER.readTree(given().contentType("application/json").body(review.toString())
                .post("/mutate").then().statusCode(200).extract().asByteArray());
        JsonNode patch = answer.at("/response/patch");
        if (patch.isMissingNode()) {
            return null;
        }
        return applyPatch(Base64.getDecoder().decode(patch.asText()), review.at("/request/object"));
    }

    static String role(JsonNode pod) {
        for (JsonNode env : pod.at("/spec/containers/0/env")) {
            if (env.path("name").asText().equals("AWS_ROLE_ARN")) {
                return env.path("value").asText();
            }
        }
        return null;
    }

    static String audience(JsonNode pod) {
        return pod.at("/spec/volumes/1/projected/sources/0/serviceAccountToken/audience").asText();
    }

    @Test
    void anAnnotatedServiceAccountIsMutated() throws Exception {
        serviceAccount("shop", "annotated", Map.of("eks.amazonaws.com/role-arn", ROLE + "annotated"));

        assertEquals(ROLE + "annotated", role(admit("shop", "annotated")));
    }

    @Test
    void anAnnotationAddedToACachedServiceAccountIsHonouredWithinTwoSeconds() throws Exception {
        serviceAccount("shop", "late", Map.of());
        assertNull(admit("shop", "late"), "cached as unannotated");

        serviceAccount("shop", "late", Map.of("eks.amazonaws.com/role-arn", ROLE + "late")); // T
        ticker.advance(Duration.ofMillis(2001)); // T + 2 s

        assertEquals(ROLE + "late", role(admit("shop", "late")));
    }

    @Test
    void aRemovedAnnotationStopsMutationAfterTheRefresh() throws Exception {
        serviceAccount("shop", "revoked", Map.of("eks.amazonaws.com/role-arn", ROLE + "revoked"));
        assertEquals(ROLE + "revoked", role(admit("shop", "revoked")));

        serviceAccount("shop", "revoked", Map.of());
        ticker.advance(Duration.ofMillis(2001));

        assertNull(admit("shop", "revoked"));
    }

    // Contract: docs/contract.md#mapping-configmap
    @Test
    void theMappingConfigMapMapsExactGlobAndAnyNamespaceEntriesBelowAnnotations() throws Exception {
        Map<String, String> data = new HashMap<>();
        data.put("config", """
                {"apps/mapped":    {"RoleARN": "%1$smapped", "Audience": "mapped-audience"},
                 "team-*/ci":      {"RoleARN": "%1$steam-ci"},
                 "*/reader":       {"RoleARN": "%1$sreader"},
                 "apps/annotated": {"RoleARN": "%1$sfrom-mapping", "Audience": "mapped-audience"}}
                """.formatted(ROLE));
        serviceAccount("eks", "default", Map.of());
        cluster.configMaps().inNamespace("eks").resource(new ConfigMapBuilder().withNewMetadata()
                .withName("pod-identity-webhook").withNamespace("eks").endMetadata().withData(data).build())
                .createOrReplace();
        serviceAccount("apps", "mapped", Map.of());
        serviceAccount("team-blue", "ci", Map.of());
        serviceAccount("anywhere", "reader", Map.of());
        serviceAccount("apps", "annotated", Map.of("eks.amazonaws.com/role-arn", ROLE + "own",
                "eks.amazonaws.com/audience", "own-audience"));
        ticker.advance(Duration.ofSeconds(3));

        JsonNode mapped = admit("apps", "mapped");
        assertEquals(ROLE + "mapped", role(mapped));
        assertEquals("mapped-audience", audience(mapped));
        assertEquals(ROLE + "team-ci", role(admit("team-blue", "ci")));
        assertEquals(ROLE + "reader", role(admit("anywhere", "reader")));
        JsonNode annotated = admit("apps", "annotated");
        assertEquals(ROLE + "own", role(annotated), "the ServiceAccount's annotation wins");
        assertEquals("own-audience", audience(annotated));
        assertNull(admit("apps", "unmapped"));
    }
}
