package dev.podidentity.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.applyPatch;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every setting a named cluster may override, proven on the pods it answers: cluster {@code own}
 * overrides each one, cluster {@code plain} overrides none and gets the top-level value, as the
 * default cluster at {@code /mutate} does. Every top-level value differs from the built-in default,
 * so "the top-level value" cannot pass by accident. All three clusters read the same stand-in API
 * server; only their settings differ.
 */
// Contract: docs/contract.md#multi-cluster
@QuarkusTest
@QuarkusTestResource(value = ClusterOverridesTest.Clusters.class, restrictToAnnotatedClass = true)
class ClusterOverridesTest {

    static final String ROLE = "arn:aws:iam::111122223333:role/";
    static final String OWN = "/clusters/own/mutate";
    static final String PLAIN = "/clusters/plain/mutate";
    static final String DEFAULT = "/mutate";

    /** One API server for all clusters, the associations files, and the top-level and {@code own} settings. */
    public static class Clusters implements QuarkusTestResourceLifecycleManager {

        static WireMockServer api;

        @Override
        public Map<String, String> start() {
            api = new WireMockServer(options().dynamicPort());
            api.start();
            serviceAccount("default", "s3-reader", """
                    {"top.example/role-arn": "%stop", "own.example/role-arn": "%sown"}""".formatted(ROLE, ROLE));
            serviceAccount("default", "mapped", "{}");
            serviceAccount("shop", "agent", "{}");
            serviceAccount("shop", "own-agent", "{}");
            api.stubFor(get(urlPathEqualTo("/api/v1/namespaces/default/serviceaccounts/forbidden"))
                    .willReturn(aResponse().withStatus(403)));
            // Each ConfigMap maps default/mapped to a role named after it: the role says which was read.
            for (String namespace : new String[] {"top-ns", "own-ns"}) {
                for (String name : new String[] {"top-map", "own-map"}) {
                    api.stubFor(get(urlPathEqualTo("/api/v1/namespaces/" + namespace + "/configmaps/" + name))
                            .willReturn(okJson("""
                                    {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","namespace":"%s"},
                                     "data":{"config":"{\\"default/mapped\\":{\\"RoleARN\\":\\"%s%s/%s\\"}}"}}"""
                                    .formatted(name, namespace, ROLE, namespace, name))));
                }
            }
            try {
                Path dir = Files.createTempDirectory("associations");
                Path top = Files.writeString(dir.resolve("top.json"),
                        "{\"identities\":[{\"namespace\":\"shop\",\"serviceAccount\":\"agent\"}]}");
                Path own = Files.writeString(dir.resolve("own.json"),
                        "{\"identities\":[{\"namespace\":\"shop\",\"serviceAccount\":\"own-agent\"}]}");
                Map<String, String> config = new HashMap<>();
                config.put("pod-identity.service-accounts-file", "");
                config.put("pod-identity.kubernetes.api-server-url", api.baseUrl());
                config.put("pod-identity.clusters.plain.api-server-url", api.baseUrl());
                config.put("pod-identity.clusters.own.api-server-url", api.baseUrl());
                config.put("pod-identity.clusters.unmapped.api-server-url", api.baseUrl());
                config.put("pod-identity.clusters.unmapped.config-map.enabled", "false");
                setting(config, "annotation-prefix", "top.example", "own.example");
                setting(config, "token-audience", "top-audience", "own-audience");
                setting(config, "token-mount-path", "/top/irsa", "/own/irsa");
                setting(config, "token-expiration", "7200", "3600");
                setting(config, "aws-default-region", "eu-north-1", "ap-south-1");
                setting(config, "sts-regional-endpoint", "true", "false");
                setting(config, "role-session-name", "pod-name", "none");
                setting(config, "on-lookup-failure", "deny", "admit");
                config.put("pod-identity.config-map.enabled", "true");
                setting(config, "config-map.namespace", "top-ns", "own-ns");
                setting(config, "config-map.name", "top-map", "own-map");
                setting(config, "container-credentials.config-file", top.toString(), own.toString());
                setting(config, "container-credentials.audience", "top-agent", "own-agent");
                setting(config, "container-credentials.mount-path", "/top/agent", "/own/agent");
                setting(config, "container-credentials.volume-name", "top-agent-token", "own-agent-token");
                setting(config, "container-credentials.token-path", "top-token", "own-token");
                setting(config, "container-credentials.full-uri", "http://top.example/credentials",
                        "http://own.example/credentials");
                return config;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** {@code pod-identity.<name>=topLevel} and {@code pod-identity.clusters.own.<name>=own}. */
        private static void setting(Map<String, String> config, String name, String topLevel, String own) {
            config.put("pod-identity." + name, topLevel);
            config.put("pod-identity.clusters.own." + name, own);
        }

        private static void serviceAccount(String namespace, String name, String annotations) {
            api.stubFor(get(urlPathEqualTo("/api/v1/namespaces/" + namespace + "/serviceaccounts/" + name))
                    .willReturn(okJson("""
                            {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"%s","namespace":"%s",
                             "annotations":%s}}""".formatted(name, namespace, annotations))));
        }

        @Override
        public void stop() {
            api.stop();
        }
    }

    /** The example review, for a pod of that ServiceAccount. */
    static ObjectNode review(String namespace, String serviceAccount) {
        try {
            ObjectNode review = (ObjectNode) MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")));
            ((ObjectNode) review.get("request")).put("namespace", namespace);
            ((ObjectNode) review.at("/request/object/spec")).put("serviceAccountName", serviceAccount);
            return review;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cluster's answer to the review. */
    static JsonNode answer(String path, JsonNode review) {
        Response response = given().contentType("application/json").body(review.toString()).post(path);
        assertEquals(200, response.statusCode(), response.asString());
        try {
            return MAPPER.readTree(response.asByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pod of that ServiceAccount as the cluster's answer leaves it. */
    static JsonNode pod(String path, String namespace, String serviceAccount) {
        ObjectNode review = review(namespace, serviceAccount);
        JsonNode patch = answer(path, review).at("/response/patch");
        JsonNode pod = review.at("/request/object");
        return patch.isMissingNode() ? pod : applyPatch(Base64.getDecoder().decode(patch.asText()), pod);
    }

    static String env(JsonNode pod, String name) {
        for (JsonNode env : pod.at("/spec/containers/0/env")) {
            if (env.path("name").asText().equals(name)) {
                return env.has("valueFrom") ? "<" + env.at("/valueFrom/fieldRef/fieldPath").asText() + ">"
                        : env.path("value").asText();
            }
        }
        return "(unset)";
    }

    /** The service account token of the pod's projected volume, whichever its name. */
    static JsonNode token(JsonNode pod) {
        for (JsonNode volume : pod.at("/spec/volumes")) {
            JsonNode token = volume.at("/projected/sources/0/serviceAccountToken");
            if (!token.isMissingNode()) {
                return token;
            }
        }
        return MAPPER.createObjectNode();
    }

    static String tokenVolumeName(JsonNode pod) {
        for (JsonNode volume : pod.at("/spec/volumes")) {
            if (volume.has("projected")) {
                return volume.path("name").asText();
            }
        }
        return "(none)";
    }

    /** Where the container mounts the token volume. */
    static String tokenMountPath(JsonNode pod) {
        for (JsonNode mount : pod.at("/spec/containers/0/volumeMounts")) {
            if (mount.path("name").asText().equals(tokenVolumeName(pod))) {
                return mount.path("mountPath").asText();
            }
        }
        return "(none)";
    }

    /**
     * Asserts what cluster {@code cluster} answers and what both {@code plain} and the default cluster
     * answer, for a pod of {@code namespace/serviceAccount}.
     */
    static void assertPerCluster(String cluster, String namespace, String serviceAccount,
            Function<JsonNode, String> read, String own, String topLevel) {
        assertEquals(own, read.apply(pod(cluster, namespace, serviceAccount)), cluster + ": its own value");
        assertEquals(topLevel, read.apply(pod(PLAIN, namespace, serviceAccount)), "plain: the top-level value");
        assertEquals(topLevel, read.apply(pod(DEFAULT, namespace, serviceAccount)), "default: the top-level value");
    }

    static void assertIrsa(Function<JsonNode, String> read, String own, String topLevel) {
        assertPerCluster(OWN, "default", "s3-reader", read, own, topLevel);
    }

    static void assertPodIdentity(Function<JsonNode, String> read, String own, String topLevel) {
        assertEquals(own, read.apply(pod(OWN, "shop", "own-agent")), "own: its own value");
        assertEquals(topLevel, read.apply(pod(PLAIN, "shop", "agent")), "plain: the top-level value");
        assertEquals(topLevel, read.apply(pod(DEFAULT, "shop", "agent")), "default: the top-level value");
    }

    @Test
    void annotationPrefixIsTheClustersOwnElseTheTopLevels() {
        assertIrsa(pod -> env(pod, "AWS_ROLE_ARN"), ROLE + "own", ROLE + "top");
    }

    @Test
    void tokenAudienceIsTheClustersOwnElseTheTopLevels() {
        assertIrsa(pod -> token(pod).path("audience").asText(), "own-audience", "top-audience");
    }

    @Test
    void tokenMountPathIsTheClustersOwnElseTheTopLevels() {
        assertIrsa(pod -> env(pod, "AWS_WEB_IDENTITY_TOKEN_FILE") + " " + tokenMountPath(pod),
                "/own/irsa/token /own/irsa", "/top/irsa/token /top/irsa");
    }

    @Test
    void tokenExpirationIsTheClustersOwnElseTheTopLevels() {
        assertIrsa(pod -> token(pod).path("expirationSeconds").asText(), "3600", "7200");
    }

    @Test
    void awsDefaultRegionIsTheClustersOwnElseTheTopLevels() {
        assertIrsa(pod -> env(pod, "AWS_REGION"), "ap-south-1", "eu-north-1");
    }

    @Test
    void stsRegionalEndpointIsTheClustersOwnElseTheTopLevels() {
        assertIrsa(pod -> env(pod, "AWS_STS_REGIONAL_ENDPOINTS"), "(unset)", "regional");
    }

    @Test
    void roleSessionNameIsTheClustersOwnElseTheTopLevels() {
        assertIrsa(pod -> env(pod, "AWS_ROLE_SESSION_NAME"), "(unset)", "<metadata.name>");
    }

    @Test
    void onLookupFailureIsTheClustersOwnElseTheTopLevels() {
        Function<String, String> allowed = path -> answer(path, review("default", "forbidden"))
                .at("/response/allowed").asText();

        assertEquals("true", allowed.apply(OWN), "own: admit");
        assertEquals("false", allowed.apply(PLAIN), "plain: deny, the top level's");
        assertEquals("false", allowed.apply(DEFAULT), "default: deny");
    }

    @Test
    void configMapEnabledIsTheClustersOwnElseTheTopLevels() {
        assertPerCluster("/clusters/unmapped/mutate", "default", "mapped", pod -> env(pod, "AWS_ROLE_ARN"),
                "(unset)", ROLE + "top-ns/top-map");
    }

    @Test
    void configMapNamespaceIsTheClustersOwnElseTheTopLevels() {
        assertPerCluster(OWN, "default", "mapped", pod -> env(pod, "AWS_ROLE_ARN").split("/")[1], "own-ns",
                "top-ns");
    }

    @Test
    void configMapNameIsTheClustersOwnElseTheTopLevels() {
        assertPerCluster(OWN, "default", "mapped", pod -> env(pod, "AWS_ROLE_ARN").split("/")[2], "own-map",
                "top-map");
    }

    @Test
    void containerCredentialsConfigFileIsTheClustersOwnElseTheTopLevels() {
        Function<JsonNode, String> uri = pod -> env(pod, "AWS_CONTAINER_CREDENTIALS_FULL_URI");

        assertPerCluster(OWN, "shop", "own-agent", uri, "http://own.example/credentials", "(unset)");
        assertPerCluster(OWN, "shop", "agent", uri, "(unset)", "http://top.example/credentials");
    }

    @Test
    void containerCredentialsAudienceIsTheClustersOwnElseTheTopLevels() {
        assertPodIdentity(pod -> token(pod).path("audience").asText(), "own-agent", "top-agent");
    }

    @Test
    void containerCredentialsMountPathIsTheClustersOwnElseTheTopLevels() {
        assertPodIdentity(ClusterOverridesTest::tokenMountPath, "/own/agent", "/top/agent");
    }

    @Test
    void containerCredentialsVolumeNameIsTheClustersOwnElseTheTopLevels() {
        assertPodIdentity(ClusterOverridesTest::tokenVolumeName, "own-agent-token", "top-agent-token");
    }

    @Test
    void containerCredentialsTokenPathIsTheClustersOwnElseTheTopLevels() {
        assertPodIdentity(pod -> token(pod).path("path").asText() + " "
                + env(pod, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
                "own-token /own/agent/own-token", "top-token /top/agent/top-token");
    }

    @Test
    void containerCredentialsFullUriIsTheClustersOwnElseTheTopLevels() {
        assertPodIdentity(pod -> env(pod, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), "http://own.example/credentials",
                "http://top.example/credentials");
    }
}
