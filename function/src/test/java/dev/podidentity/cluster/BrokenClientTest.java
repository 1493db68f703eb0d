package dev.podidentity.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import dev.podidentity.admission.MetricsEndpointTest;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.podidentity.TestJson.MAPPER;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster whose Kubernetes client cannot be built (its CA file holds no certificate) is answered
 * as its {@code on-lookup-failure} says, with the reason as a warning and a decision: never a 500.
 */
// Contract: docs/contract.md#multi-cluster
@QuarkusTest
@QuarkusTestResource(value = BrokenClientTest.GarbageCa.class, restrictToAnnotatedClass = true)
class BrokenClientTest {

    /** Cluster garbage-ca: a CA file that is not PEM, and a caller token. */
    public static class GarbageCa implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                Path dir = Files.createTempDirectory("broken-client");
                Path ca = Files.writeString(dir.resolve("ca.crt"), "this is not a certificate\n");
                Path token = Files.writeString(dir.resolve("caller-token"), "garbage-token\n");
                return Map.of("pod-identity.clusters.garbage-ca.api-server-url", "https://127.0.0.1:1",
                        "pod-identity.clusters.garbage-ca.ca-file", ca.toString(),
                        "pod-identity.clusters.garbage-ca.caller-token-file", token.toString());
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void aClusterWhoseClientCannotBeBuiltIsAnsweredAsOnLookupFailureSaysWithTheReason() throws Exception {
        Response response = given().contentType("application/json").header("Authorization", "Bearer garbage-token")
                .body(Files.readString(Path.of("../examples/irsa-pod.json"))).post("/clusters/garbage-ca/mutate");

        assertEquals(200, response.statusCode(), response.asString());
        JsonNode answer = MAPPER.readTree(response.asByteArray()).get("response");
        assertTrue(answer.get("allowed").asBoolean());
        assertFalse(answer.has("patch"));
        String warning = answer.at("/warnings/0").asText();
        assertTrue(warning.startsWith("AWS credentials were not added to this pod: cluster garbage-ca cannot be served:"
                + " its API server client cannot be built"), warning);
        assertTrue(MetricsEndpointTest.scrape().matches("(?s).*pod_identity_admissions_total\\{cluster=\"garbage-ca\","
                + "mode=\"none\",outcome=\"not-mutated\"} 1\\.0.*"), "counted as a decision of that cluster");
    }
}
