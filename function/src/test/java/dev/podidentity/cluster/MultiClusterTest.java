package dev.podidentity.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.common.QuarkusTestResource;
import dev.podidentity.serviceaccount.ManualTicker;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.applyPatch;
import static dev.podidentity.TestJson.env;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One deployment, two clusters whose ServiceAccounts share names: routing, authentication, isolation.
 * The counts of API requests are exact whatever the machine's load: cache ages move only with the
 * {@link ManualTicker} (never, here), and no API call can time out and be retried.
 */
// Contract: docs/contract.md#multi-cluster
@QuarkusTest
@TestProfile(MultiClusterTest.ControlledTime.class)
@QuarkusTestResource(value = TwoApiServers.class, restrictToAnnotatedClass = true)
class MultiClusterTest {

    /** A cache clock that stands still, and API calls that never time out. */
    public static class ControlledTime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pod-identity.lookup.request-timeout", "30s", "pod-identity.lookup.budget", "60s");
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(ManualTicker.class);
        }
    }

    static String review;

    @BeforeEach
    void reset() throws Exception {
        review = Files.readString(Path.of("../examples/irsa-pod.json"));
        Files.writeString(TwoApiServers.alphaToken, "alpha-secret\n");
        TwoApiServers.alpha.resetRequests();
        TwoApiServers.beta.resetRequests();
    }

    static Response post(String path, String token) {
        var request = given().contentType("application/json").body(review);
        if (token != null) {
            request = request.header("Authorization", "Bearer " + token);
        }
        return request.post(path);
    }

    static List<String> env0(Response response) throws Exception {
        assertEquals(200, response.statusCode(), response.asString());
        JsonNode answer = MAPPER.readTree(response.asByteArray());
        JsonNode pod = applyPatch(Base64.getDecoder().decode(answer.at("/response/patch").asText()),
                MAPPER.readTree(review).at("/request/object"));
        return env(pod.at("/spec/containers/0"));
    }

    static int apiRequests() {
        return TwoApiServers.alpha.findAll(anyRequestedFor(anyUrl())).size()
                + TwoApiServers.beta.findAll(anyRequestedFor(anyUrl())).size();
    }

    @Test
    void eachClusterGetsRolesFromItsOwnServiceAccounts() throws Exception {
        int afterFirstRound = 0;
        for (int round = 0; round < 2; round++) { // the second round is answered from each cluster's cache
            assertTrue(env0(post("/clusters/alpha/mutate", "alpha-secret"))
                    .contains("AWS_ROLE_ARN=arn:aws:iam::111122223333:role/alpha-reader"));
            List<String> beta = env0(post("/clusters/beta/mutate", "beta-secret"));
            assertTrue(beta.contains("AWS_ROLE_ARN=arn:aws:iam::111122223333:role/beta-reader"), beta.toString());
            assertTrue(beta.contains("AWS_REGION=us-west-2"), "beta's own region override");
            assertTrue(env0(post("/mutate", null))
                    .contains("AWS_ROLE_ARN=arn:aws:iam::111122223333:role/s3-reader"), "default: the file");
            if (round == 0) {
                afterFirstRound = apiRequests();
            }
        }
        assertTrue(afterFirstRound <= 2, "at most one GET per cluster (none when an earlier test filled its cache)");
        assertEquals(afterFirstRound, apiRequests(), "cached per cluster, never shared across clusters");
    }

    // Contract: docs/contract.md#metrics
    @Test
    void cacheApiAndBreakerMetricsAreLabelledByCluster() throws Exception {
        post("/clusters/beta/mutate", "beta-secret");
        post("/clusters/beta/mutate", "beta-secret");

        String metrics = dev.podidentity.admission.MetricsEndpointTest.scrape();

        assertTrue(metrics.matches("(?s).*pod_identity_serviceaccount_cache_total\\{cluster=\"beta\",result=\"hit\"\\} [1-9].*"),
                metrics);
        assertTrue(metrics.matches("(?s).*pod_identity_serviceaccount_cache_total\\{cluster=\"beta\",result=\"miss\"\\} [1-9].*"));
        assertTrue(metrics.contains("pod_identity_serviceaccount_cache_total{cluster=\"beta\",result=\"stale\"}"));
        assertTrue(metrics.matches("(?s).*pod_identity_api_lookup_duration_seconds_count\\{cluster=\"beta\",result=\"success\"\\} [1-9].*"));
        assertTrue(metrics.contains("pod_identity_circuit_breaker_state{cluster=\"beta\"} 0.0"));
    }

    @Test
    void missingOrWrongTokensGet401AndNothingIsLookedUp() {
        for (String token : new String[] {null, "wrong", "beta-secret", ""}) {
            Response response = post("/clusters/alpha/mutate", token);

            assertEquals(401, response.statusCode(), String.valueOf(token));
            assertEquals("Bearer", response.header("WWW-Authenticate"));
            assertEquals("valid credentials for cluster alpha are required", response.jsonPath().getString("message"));
        }
        assertEquals(0, apiRequests());
    }

    @Test
    void anUnknownClusterGets404AndNothingIsLookedUp() {
        for (String cluster : new String[] {"gamma", "default", "ALPHA"}) {
            Response response = post("/clusters/" + cluster + "/mutate", "alpha-secret");

            assertEquals(404, response.statusCode(), cluster);
            assertEquals("no cluster " + cluster + " is served here", response.jsonPath().getString("message"));
        }
        assertEquals(0, apiRequests());
    }

    // Contract: docs/contract.md#caller-authentication, docs/contract.md#watched-files
    @Test
    void aRotatedTokenFileIsHonouredWithoutRestart() throws Exception {
        assertEquals(200, post("/clusters/alpha/mutate", "alpha-secret").statusCode());

        Files.writeString(TwoApiServers.alphaToken, "alpha-rotated");

        assertEquals(401, post("/clusters/alpha/mutate", "alpha-secret").statusCode());
        assertEquals(200, post("/clusters/alpha/mutate", "alpha-rotated").statusCode());
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void theClusterPathAnswersBadBodiesLikeMutate() {
        Response notJson = given().contentType("application/json").header("Authorization", "Bearer beta-secret")
                .body("{not json").post("/clusters/beta/mutate");
        Response noRequest = given().contentType("application/json").header("Authorization", "Bearer beta-secret")
                .body("{\"kind\":\"AdmissionReview\"}").post("/clusters/beta/mutate");
        Response tooLarge = given().contentType("application/json").header("Authorization", "Bearer beta-secret")
                .body("{\"pad\":\"" + "x".repeat(3 * 1024 * 1024 + 10) + "\"}").post("/clusters/beta/mutate");

        assertEquals(400, notJson.statusCode());
        assertTrue(notJson.jsonPath().getString("message").startsWith("the request body is not valid JSON"));
        assertEquals(400, noRequest.statusCode());
        assertEquals("the AdmissionReview has no request", noRequest.jsonPath().getString("message"));
        assertEquals(413, tooLarge.statusCode());
        assertEquals(0, apiRequests());
    }

    @Test
    void theClusterPathWithATrailingSlashIsServedAndAFormBodyGets415() throws Exception {
        assertTrue(env0(post("/clusters/beta/mutate/", "beta-secret"))
                .contains("AWS_ROLE_ARN=arn:aws:iam::111122223333:role/beta-reader"));
        Response form = given().contentType("application/x-www-form-urlencoded").header("Authorization",
                "Bearer beta-secret").body(review)
                .post("/clusters/beta/mutate");

        assertEquals(415, form.statusCode(), form.asString());
    }

    @Test
    void theClusterPathServesOnlyPostLikeMutate() {
        Response response = given().header("Authorization", "Bearer beta-secret").get("/clusters/beta/mutate");

        assertEquals(405, response.statusCode());
    }

    // Contract: docs/contract.md#denials
    @Test
    void invalidServiceAccountNamesAndNamespacesAreDeniedAndNeverReachTheApiServer() throws Exception {
        String original = review;
        String[] names = {"api#x", "api?x=1", "../../kube-system/serviceaccounts/x", "a/b", "a%2Fb", "API", "-a",
            "a-", "a..b", ".a", "a b", "a\u0000", "\u00e9", "a".repeat(254)};
        for (String name : names) {
            ObjectNode changed = (ObjectNode) MAPPER.readTree(original);
            ((ObjectNode) changed.at("/request/object/spec")).put("serviceAccountName", name);
            review = changed.toString();

            JsonNode answer = MAPPER.readTree(post("/clusters/beta/mutate", "beta-secret").then().statusCode(200)
                    .extract().asByteArray());

            assertEquals(false, answer.at("/response/allowed").booleanValue(), name);
            assertEquals("0b5a2c1e-0000-4000-8000-000000000001", answer.at("/response/uid").asText());
            assertTrue(answer.at("/response/status/message").asText().startsWith("spec.serviceAccountName '"),
                    answer.toString());
            assertTrue(answer.at("/response/status/message").asText().contains(
                    "is not a valid ServiceAccount name"), answer.toString());
        }
        String[] namespaces = {"kube-system/serviceaccounts", "..", "NS", "a.b", "a".repeat(64), "a\u0000", "a#b"};
        for (String namespace : namespaces) {
            ObjectNode changed = (ObjectNode) MAPPER.readTree(original);
            ((ObjectNode) changed.get("request")).put("namespace", namespace);
            review = changed.toString();

            JsonNode answer = MAPPER.readTree(post("/clusters/beta/mutate", "beta-secret").then().statusCode(200)
                    .extract().asByteArray());

            assertEquals(false, answer.at("/response/allowed").booleanValue(), namespace);
            assertTrue(answer.at("/response/status/message").asText().contains("is not a valid namespace name"),
                    answer.toString());
        }
        assertEquals(0, apiRequests());

        review = original;
        ObjectNode longest = (ObjectNode) MAPPER.readTree(original);
        String name = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        ((ObjectNode) longest.at("/request/object/spec")).put("serviceAccountName", name);
        ((ObjectNode) longest.get("request")).put("namespace", "n".repeat(63));
        review = longest.toString();
        JsonNode answer = MAPPER.readTree(post("/clusters/beta/mutate", "beta-secret").asByteArray());
        assertEquals(true, answer.at("/response/allowed").booleanValue(), "valid names of the greatest length");
        assertTrue(apiRequests() > 0, "looked up");
    }
}
