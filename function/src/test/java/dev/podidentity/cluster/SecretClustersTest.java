package dev.podidentity.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.podidentity.admission.MetricsEndpointTest;
import dev.podidentity.serviceaccount.ManualTicker;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.Response;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.applyPatch;
import static dev.podidentity.TestJson.env;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clusters registered as Secrets, through the whole function over HTTP: the Secrets and the
 * members' ServiceAccounts live in one API server (the Quarkus Kubernetes test server), each member
 * reaching it with its own kubeconfig. Cache ages move only with the {@link ManualTicker}, so what
 * is served before and after the freshness bound is exact.
 */
// Contract: docs/contract.md#cluster-secrets, docs/contract.md#multi-cluster
@QuarkusTest
@TestProfile(SecretClustersTest.FromSecrets.class)
@WithKubernetesTestServer(crud = true)
class SecretClustersTest {

    /** Clusters from Secrets in namespace pod-identity; the default cluster reads the same API server. */
    public static class FromSecrets implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pod-identity.service-accounts-file", "",
                    "pod-identity.container-credentials.config-file", "",
                    "pod-identity.cluster-secrets.enabled", "true",
                    "pod-identity.cluster-secrets.namespace", NAMESPACE,
                    "pod-identity.lookup.request-timeout", "30s", "pod-identity.lookup.budget", "60s",
                    "pod-identity.clusters.declared.service-accounts-file", "../examples/service-accounts.yaml",
                    "pod-identity.clusters.declared.aws-default-region", "from-properties");
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(ManualTicker.class);
        }
    }

    static final String NAMESPACE = "pod-identity";
    static final String ROLE = "arn:aws:iam::111122223333:role/s3-reader";
    /** Past {@code cluster-secrets.fresh-for}: every Secret read before is read again. */
    static final Duration PAST_THE_BOUND = Duration.ofSeconds(31);

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    ManualTicker ticker;

    KubernetesClient api;

    @BeforeEach
    void namespacesAndServiceAccount() {
        api = server.getClient();
        for (String namespace : List.of(NAMESPACE, "shop")) {
            if (api.namespaces().withName(namespace).get() == null) {
                api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                        .build()).create();
            }
        }
        api.serviceAccounts().inNamespace("shop").resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("api").withNamespace("shop").withAnnotations(Map.of("eks.amazonaws.com/role-arn", ROLE))
                .endMetadata().build()).createOr(existing -> existing.update());
        ticker.advance(PAST_THE_BOUND);
    }

    /** A kubeconfig of the test API server, with a reader token of its own. */
    String kubeconfig(String cluster) {
        return """
                apiVersion: v1
                kind: Config
                clusters: [{name: %1$s, cluster: {server: "%2$s", insecure-skip-tls-verify: true}}]
                users: [{name: reader, user: {token: reader-of-%1$s}}]
                contexts: [{name: %1$s, context: {cluster: %1$s, user: reader}}]
                current-context: %1$s
                """.formatted(cluster, api.getMasterUrl());
    }

    /** Creates or replaces the Secret of a cluster, with these values. */
    void secret(String cluster, String... keysAndValues) {
        Map<String, String> data = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            data.put(keysAndValues[i], Base64.getEncoder().encodeToString(keysAndValues[i + 1].getBytes()));
        }
        api.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata()
                .withName(cluster + "-kubeconfig").withNamespace(NAMESPACE)
                .withLabels(Map.of("pod-identity.dev/cluster", cluster)).endMetadata().withData(data).build())
                .createOr(existing -> existing.update());
    }

    void member(String cluster, String... more) {
        List<String> values = new java.util.ArrayList<>(List.of("value", kubeconfig(cluster),
                "caller-token", "token-of-" + cluster));
        values.addAll(List.of(more));
        secret(cluster, values.toArray(String[]::new));
    }

    static Response post(String cluster, String token) throws Exception {
        ObjectNode review = (ObjectNode) MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")));
        ((ObjectNode) review.get("request")).put("namespace", "shop");
        ((ObjectNode) review.at("/request/object/spec")).put("serviceAccountName", "api");
        var request = given().contentType("application/json").body(MAPPER.writeValueAsString(review));
        if (token != null) {
            request = request.header("Authorization", "Bearer " + token);
        }
        return request.post("/clusters/" + cluster + "/mutate");
    }

    /** The first container's environment after the answer's patch, by name. */
    static Map<String, String> env0(Response response) throws Exception {
        assertEquals(200, response.statusCode(), response.asString());
        JsonNode answer = MAPPER.readTree(response.asByteArray());
        assertTrue(answer.at("/response/patch").isTextual(), "a patch: " + answer);
        JsonNode pod = applyPatch(Base64.getDecoder().decode(answer.at("/response/patch").asText()),
                MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json"))).at("/request/object"));
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : env(pod.at("/spec/containers/0"))) {
            env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
        }
        return env;
    }

    @Test
    void aClusterIsServedWithinTheBoundOfItsSecretsCreationAndAnswers404WithinTheBoundOfItsRemoval()
            throws Exception {
        assertEquals(404, post("added", "token-of-added").statusCode(), "no Secret yet");

        member("added", "aws-default-region", "eu-north-1");
        ticker.advance(PAST_THE_BOUND);
        Map<String, String> env = env0(post("added", "token-of-added"));
        assertEquals(ROLE, env.get("AWS_ROLE_ARN"));
        assertEquals("eu-north-1", env.get("AWS_REGION"));

        api.secrets().inNamespace(NAMESPACE).withName("added-kubeconfig").delete();
        ticker.advance(PAST_THE_BOUND);
        Response removed = post("added", "token-of-added");
        assertEquals(404, removed.statusCode(), removed.asString());
        assertEquals("no cluster added is served here", removed.jsonPath().getString("message"));
    }

    @Test
    void aChangedSecretIsHonouredWithinTheBoundAndNotBefore() throws Exception {
        member("changed", "aws-default-region", "eu-north-1");
        ticker.advance(PAST_THE_BOUND);
        assertEquals("eu-north-1", env0(post("changed", "token-of-changed")).get("AWS_REGION"));

        member("changed", "aws-default-region", "ap-south-1");
        ticker.advance(Duration.ofSeconds(5));
        assertEquals("eu-north-1", env0(post("changed", "token-of-changed")).get("AWS_REGION"),
                "within the bound, the Secret as it was read");
        ticker.advance(PAST_THE_BOUND);
        assertEquals("ap-south-1", env0(post("changed", "token-of-changed")).get("AWS_REGION"));
    }

    @Test
    void aCallerTokenIsRotatedWithoutAWindow() throws Exception {
        secret("rotated", "value", kubeconfig("rotated"), "caller-token", "old");
        ticker.advance(PAST_THE_BOUND);
        assertEquals(200, post("rotated", "old").statusCode());

        secret("rotated", "value", kubeconfig("rotated"), "caller-token", "old", "caller-token-next", "new");
        ticker.advance(PAST_THE_BOUND);
        assertEquals(200, post("rotated", "old").statusCode(), "the API server still sends the old token");
        assertEquals(200, post("rotated", "new").statusCode(), "the API server switched to the new one");

        secret("rotated", "value", kubeconfig("rotated"), "caller-token-next", "new");
        ticker.advance(PAST_THE_BOUND);
        assertEquals(401, post("rotated", "old").statusCode(), "the old token, once removed");
        assertEquals(200, post("rotated", "new").statusCode());
    }

    @Test
    void aBrokenSecretFailsItsClusterAloneWithAClearAnswerAndAMetric() throws Exception {
        secret("unreachable", "caller-token", "token-of-unreachable", "on-lookup-failure", "admit");
        secret("anonymous", "value", kubeconfig("anonymous"));
        member("healthy");
        ticker.advance(PAST_THE_BOUND);

        Response unreachable = post("unreachable", "token-of-unreachable");
        assertEquals(200, unreachable.statusCode(), unreachable.asString());
        JsonNode answer = MAPPER.readTree(unreachable.asByteArray()).get("response");
        assertTrue(answer.get("allowed").asBoolean());
        assertFalse(answer.has("patch"));
        String warning = answer.at("/warnings/0").asText();
        assertTrue(warning.startsWith("AWS credentials were not added to this pod: cluster unreachable cannot be"
                + " served: Secret pod-identity/unreachable-kubeconfig: no way to reach the cluster's API server"),
                warning);
        assertEquals(401, post("unreachable", "another").statusCode(), "its callers are still authenticated");

        Response anonymous = post("anonymous", "anything");
        assertEquals(503, anonymous.statusCode(), anonymous.asString());
        assertEquals("cluster anonymous cannot be served: its registration is broken; see the function's log",
                anonymous.jsonPath().getString("message"));

        assertEquals(ROLE, env0(post("healthy", "token-of-healthy")).get("AWS_ROLE_ARN"), "the others are served");
        String metrics = MetricsEndpointTest.scrape();
        assertTrue(metrics.contains("pod_identity_cluster_broken{cluster=\"unreachable\"} 1.0"), metrics);
        assertTrue(metrics.contains("pod_identity_cluster_broken{cluster=\"anonymous\"} 1.0"), metrics);
        assertTrue(metrics.contains("pod_identity_cluster_broken{cluster=\"healthy\"} 0.0"), metrics);
    }

    @Test
    void twentyClustersAreServedEachWithItsOwnSettings() throws Exception {
        for (int i = 0; i < 20; i++) {
            member("fleet-" + i, "aws-default-region", "region-" + i);
        }
        ticker.advance(PAST_THE_BOUND);

        for (int i = 0; i < 20; i++) {
            Map<String, String> env = env0(post("fleet-" + i, "token-of-fleet-" + i));
            assertEquals("region-" + i, env.get("AWS_REGION"), "cluster fleet-" + i);
            assertEquals(ROLE, env.get("AWS_ROLE_ARN"));
        }
        assertEquals(401, post("fleet-3", "token-of-fleet-4").statusCode(), "another member's token");
    }

    @Test
    void anIdDeclaredAsPropertiesIsServedFromThemAndItsSecretIsNotRead() throws Exception {
        secret("declared", "value", kubeconfig("declared"), "caller-token", "token-of-declared",
                "aws-default-region", "from-secret");
        ticker.advance(PAST_THE_BOUND);

        Response answer = given().contentType("application/json")
                .body(Files.readString(Path.of("../examples/irsa-pod.json"))).post("/clusters/declared/mutate");

        assertEquals(200, answer.statusCode(), "no caller token asked: the properties declare none");
        JsonNode pod = applyPatch(Base64.getDecoder().decode(MAPPER.readTree(answer.asByteArray())
                .at("/response/patch").asText()), MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")))
                .at("/request/object"));
        assertTrue(env(pod.at("/spec/containers/0")).contains("AWS_REGION=from-properties"), pod.toString());
    }

    @Test
    void refusedCallersAreCountedForRegisteredClustersOnly() throws Exception {
        member("counted");
        ticker.advance(PAST_THE_BOUND);

        assertEquals(401, post("counted", "wrong").statusCode());
        assertEquals(401, post("counted", null).statusCode());
        assertEquals(404, post("never-registered", "wrong").statusCode());

        String metrics = MetricsEndpointTest.scrape();
        assertTrue(metrics.contains("pod_identity_callers_refused_total{cluster=\"counted\"} 2.0"), metrics);
        assertFalse(metrics.contains("cluster=\"never-registered\""), "an id a caller made up gets no meter");
    }
}
