package dev.podidentity.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.podidentity.LogCapture;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.applyPatch;
import static dev.podidentity.TestJson.assertKeptEverything;
import static dev.podidentity.TestJson.env;
import static dev.podidentity.TestJson.envNames;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admission endpoint over HTTP, with the example ServiceAccounts (see %test in application.properties). */
@QuarkusTest
class MutateEndpointTest {

    static final String TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";

    static ObjectNode example(String name) throws Exception {
        return (ObjectNode) MAPPER.readTree(Files.readString(Path.of("../examples", name + ".json")));
    }

    static JsonNode post(JsonNode review) {
        return post(review.toString(), "application/json", 200);
    }

    static JsonNode post(String body, String contentType, int expectedStatus) {
        Response response = given().contentType(contentType).body(body).post("/mutate");
        assertEquals(expectedStatus, response.statusCode(), response.asString());
        assertTrue(response.contentType().startsWith("application/json"), response.contentType());
        try {
            return MAPPER.readTree(response.asByteArray());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Posts the review and returns the pod with the answer's patch applied. */
    static JsonNode mutatedPod(JsonNode review) {
        JsonNode answer = post(review);
        JsonNode response = answer.get("response");
        assertTrue(response.get("allowed").asBoolean(), answer.toString());
        assertEquals("JSONPatch", response.path("patchType").asText(), answer.toString());
        JsonNode pod = applyPatch(Base64.getDecoder().decode(response.get("patch").asText()), review.at("/request/object"));
        assertKeptEverything(review.at("/request/object"), pod, "");
        return pod;
    }

    /** Runs the function on its own output: there must be nothing left to do. */
    static void assertIdempotent(ObjectNode review, JsonNode mutatedPod) {
        ObjectNode again = review.deepCopy();
        ((ObjectNode) again.get("request")).set("object", mutatedPod);
        JsonNode response = post(again).get("response");
        assertTrue(response.get("allowed").asBoolean());
        assertFalse(response.has("patch"), "second pass patched again: " + response);
    }

    // Contract: docs/contract.md#env-vars, docs/contract.md#volume
    @Test
    void irsaExampleGetsVolumeMountAndEnvInOrder() throws Exception {
        ObjectNode review = example("irsa-pod");

        JsonNode pod = mutatedPod(review);

        assertEquals(List.of("AWS_DEFAULT_REGION=eu-west-1", "AWS_REGION=eu-west-1",
                "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/s3-reader", "AWS_WEB_IDENTITY_TOKEN_FILE=" + TOKEN_FILE),
                env(pod.at("/spec/containers/0")));
        assertEquals("scratch", pod.at("/spec/volumes/0/name").asText());
        assertEquals("aws-iam-token", pod.at("/spec/volumes/1/name").asText());
        assertEquals(86400, pod.at("/spec/volumes/1/projected/sources/0/serviceAccountToken/expirationSeconds").asInt());
        assertEquals("aws-iam-token", pod.at("/spec/containers/0/volumeMounts/1/name").asText());
        assertIdempotent(review, pod);
    }

    // Contract: docs/contract.md#patch-shape
    @Test
    void nativeSidecarGrpcProbesAndInitContainersSurvive() throws Exception {
        ObjectNode review = example("init-and-native-sidecar");

        JsonNode pod = mutatedPod(review);

        assertEquals("Always", pod.at("/spec/initContainers/1/restartPolicy").asText());
        assertEquals(9090, pod.at("/spec/initContainers/1/startupProbe/grpc/port").asInt());
        assertEquals("health", pod.at("/spec/containers/0/livenessProbe/grpc/service").asText());
        assertEquals("NotRequired", pod.at("/spec/containers/0/resizePolicy/0/restartPolicy").asText());
        assertEquals(List.of("MODE", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ROLE_ARN",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME"), envNames(pod.at("/spec/initContainers/0")));
        assertEquals(List.of("AWS_REGION=us-east-2", "AWS_STS_REGIONAL_ENDPOINTS=regional",
                "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/payments", "AWS_WEB_IDENTITY_TOKEN_FILE=" + TOKEN_FILE,
                "AWS_ROLE_SESSION_NAME=<fieldRef:metadata.name>"), env(pod.at("/spec/containers/0")),
                "a present AWS_REGION skips both region variables");
        assertEquals(3600, pod.at("/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds").asInt());
        assertIdempotent(review, pod);
    }

    // Contract: docs/contract.md#windows
    @Test
    void windowsExampleGetsAWindowsTokenPath() throws Exception {
        ObjectNode review = example("windows-pod");

        JsonNode pod = mutatedPod(review);

        assertEquals("AWS_WEB_IDENTITY_TOKEN_FILE=C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token",
                env(pod.at("/spec/containers/0")).get(3));
        assertIdempotent(review, pod);
    }

    // Contract: docs/contract.md#containers
    @Test
    void skipContainersExampleLeavesTheMeshAlone() throws Exception {
        ObjectNode review = example("skip-containers");

        JsonNode pod = mutatedPod(review);

        assertEquals(review.at("/request/object/spec/initContainers/0"), pod.at("/spec/initContainers/0"));
        assertEquals(review.at("/request/object/spec/containers/1"), pod.at("/spec/containers/1"));
        assertTrue(pod.at("/spec/containers/0").has("env"));
        assertIdempotent(review, pod);
    }

    @Test
    void podIdentityExampleGetsContainerCredentialsAndTheLabel() throws Exception {
        ObjectNode review = example("pod-identity");

        JsonNode pod = mutatedPod(review);

        assertEquals("enabled", pod.at("/metadata/labels").get("eks.amazonaws.com/pod-identity").asText());
        assertEquals(List.of("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), envNames(pod.at("/spec/containers/0")));
        long expiration = pod.at("/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds").asLong();
        assertTrue(expiration >= 79200 && expiration <= 86400, "jittered: " + expiration);
        assertIdempotent(review, pod);
    }

    // Contract: docs/contract.md#admission-review, docs/contract.md#identity-modes
    @Test
    void unannotatedServiceAccountIsAllowedWithoutPatch() throws Exception {
        JsonNode answer = post(example("unannotated-pod"));

        assertEquals("{\"uid\":\"0b5a2c1e-0000-4000-8000-000000000006\",\"allowed\":true}", answer.get("response").toString());
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void v1AndV1beta1ReviewsEchoTheirTypeMetaAndUid() throws Exception {
        for (String version : List.of("admission.k8s.io/v1", "admission.k8s.io/v1beta1")) {
            ObjectNode review = example("irsa-pod");
            review.put("apiVersion", version);

            JsonNode answer = post(review);

            assertEquals(version, answer.get("apiVersion").asText());
            assertEquals("AdmissionReview", answer.get("kind").asText());
            assertEquals("0b5a2c1e-0000-4000-8000-000000000001", answer.at("/response/uid").asText());
        }
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void aReviewWithoutTypeMetaIsAnsweredWithV1() throws Exception {
        ObjectNode review = example("irsa-pod");
        review.remove("apiVersion");

        JsonNode answer = post(review);

        assertEquals("admission.k8s.io/v1", answer.get("apiVersion").asText());
        assertEquals("AdmissionReview", answer.get("kind").asText());
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void dryRunIsAnsweredLikeARealRequest() throws Exception {
        ObjectNode review = example("irsa-pod");
        ObjectNode dryRun = review.deepCopy();
        ((ObjectNode) dryRun.get("request")).put("dryRun", true);

        assertEquals(post(review).at("/response/patch"), post(dryRun).at("/response/patch"));
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void contentTypeWithParametersIsAccepted() throws Exception {
        JsonNode answer = post(example("irsa-pod").toString(), "application/json; charset=utf-8", 200);

        assertEquals("JSONPatch", answer.at("/response/patchType").asText());
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void contentTypeInAnyCaseIsAccepted() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        for (String type : List.of("Application/JSON", "APPLICATION/json; Charset=UTF-8")) {
            // Sent as written: REST Assured would add or normalise parts of the header.
            HttpResponse<String> answer = client.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + RestAssured.port + "/mutate")).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString(example("irsa-pod").toString())).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, answer.statusCode(), type + ": " + answer.body());
            assertEquals("JSONPatch", MAPPER.readTree(answer.body()).at("/response/patchType").asText(), type);
        }
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void aBodyWithoutContentTypeIsRefusedWith415() throws Exception {
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + RestAssured.port + "/mutate"))
                .POST(HttpRequest.BodyPublishers.ofString(example("irsa-pod").toString())).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(415, answer.statusCode(), answer.body());
        assertEquals("UnsupportedMediaType", MAPPER.readTree(answer.body()).get("reason").asText());
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void the400MessageQuotesTheBodyToTheCallerOnlyAndTheLogGetsALineWithoutIt() {
        try (LogCapture log = LogCapture.start()) {
            JsonNode status = post("secret-token-42 is not json", "application/json", 400);

            assertTrue(status.get("message").asText().contains("secret"), "the caller is told what was wrong: " + status);
            assertTrue(log.contains("refused an admission request whose body is not a readable AdmissionReview"),
                    "one line for the log");
            assertFalse(log.records().stream().anyMatch(r -> String.valueOf(r.getMessage()).contains("secret")
                    || java.util.Arrays.toString(r.getParameters()).contains("secret")), "the body never reaches the log");
        }
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void otherContentTypesAreRefusedWith415() throws Exception {
        JsonNode status = post(example("irsa-pod").toString(), "text/plain", 415);

        assertTrue(status.get("message").asText().startsWith("Content-Type must be application/json, was text/plain"),
                status.toString());
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void nonJsonBodyGets400WithAJsonMessage() {
        JsonNode status = post("this is not json", "application/json", 400);

        assertEquals("Status", status.get("kind").asText());
        assertEquals(400, status.get("code").asInt());
        assertTrue(status.get("message").asText().startsWith("the request body is not valid JSON: Unrecognized token"),
                status.toString());
    }

    @Test
    void reviewWithoutRequestGets400() {
        JsonNode status = post("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
                "application/json", 400);

        assertEquals("the AdmissionReview has no request", status.get("message").asText());
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void emptyBodyAndNonObjectBodiesGet400() {
        assertEquals("the request body is empty: expected an AdmissionReview",
                post("", "application/json", 400).get("message").asText());
        assertEquals("the request body is not a JSON object: expected an AdmissionReview",
                post("[1,2]", "application/json", 400).get("message").asText());
        assertEquals("expected kind AdmissionReview, got Pod",
                post("{\"kind\":\"Pod\",\"request\":{}}", "application/json", 400).get("message").asText());
    }

    @Test
    void trailingContentAfterTheReviewGets400() throws Exception {
        JsonNode status = post(example("irsa-pod") + " {}", "application/json", 400);

        assertTrue(status.get("message").asText().startsWith("the request body is not valid JSON"), status.toString());
    }

    // Contract: docs/contract.md#http-errors, docs/contract.md#limits
    @Test
    void nestingBeyondTheLimitIsRefusedNotFollowed() {
        String deep = "{\"request\":" + "[".repeat(500) + "]".repeat(500) + "}";

        JsonNode status = post(deep, "application/json", 400);

        assertTrue(status.get("message").asText().startsWith("the request body exceeds a JSON limit"), status.toString());
    }

    // Contract: docs/contract.md#limits
    @Test
    void aStringLongerThanTheLimitIsRefusedNotRead() {
        String review = "{\"request\":{\"uid\":\"" + "u".repeat(JsonLimits.MAX_STRING_LENGTH + 1) + "\"}}";

        JsonNode status = post(review, "application/json", 400);

        assertTrue(status.get("message").asText().startsWith("the request body exceeds a JSON limit"), status.toString());
    }

    @Test
    void aPodWithThousandsOfContainersAndEnvVarsIsAnsweredInFull() throws Exception {
        ObjectNode review = example("irsa-pod");
        var containers = ((ObjectNode) review.at("/request/object/spec")).putArray("containers");
        for (int c = 0; c < 500; c++) {
            var env = containers.addObject().put("name", "c" + c).put("image", "busybox").putArray("env");
            for (int e = 0; e < 40; e++) {
                env.addObject().put("name", "VAR_" + e).put("value", "value-" + e);
            }
        }

        JsonNode pod = mutatedPod(review);

        assertEquals(500, pod.at("/spec/containers").size());
        for (JsonNode container : pod.at("/spec/containers")) {
            assertEquals(44, container.get("env").size(), container.get("name").asText());
        }
    }

    // Contract: docs/contract.md#http-errors
    @Test
    void getAndOtherMethodsGet405() {
        for (String method : List.of("GET", "PUT", "DELETE")) {
            Response response = given().request(method, "/mutate");

            assertEquals(405, response.statusCode(), method);
            assertEquals("POST", response.header("Allow"));
            assertEquals("MethodNotAllowed", response.jsonPath().getString("reason"));
        }
    }

    // Contract: docs/contract.md#http-errors, docs/contract.md#limits
    @Test
    void aBodyOverTheLimitGets413() {
        String big = "{\"pad\":\"" + "x".repeat(3 * 1024 * 1024 + 10) + "\"}";

        JsonNode status = post(big, "application/json", 413);

        assertEquals(413, status.get("code").asInt());
    }

    // Contract: docs/contract.md#denials
    @Test
    void anObjectThatIsNotAPodIsDeniedWithTheUidAndAMessage() throws Exception {
        ObjectNode review = example("irsa-pod");
        ((ObjectNode) review.at("/request/object/spec")).put("containers", "not-a-list");

        JsonNode response = post(review).get("response");

        assertEquals("0b5a2c1e-0000-4000-8000-000000000001", response.get("uid").asText());
        assertFalse(response.get("allowed").asBoolean());
        assertEquals("spec.containers must be an array, was a string", response.at("/status/message").asText());
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void withoutAKindARequestForThePodsResourceIsConsideredAndOtherResourcesAreNot() throws Exception {
        ObjectNode pods = example("irsa-pod");
        ((ObjectNode) pods.get("request")).remove("kind");
        ObjectNode deployments = pods.deepCopy();
        ((ObjectNode) deployments.at("/request/resource")).put("group", "apps").put("resource", "deployments");

        assertEquals("JSONPatch", post(pods).at("/response/patchType").asText(), "resource pods: a pod");
        JsonNode other = post(deployments).get("response");
        assertTrue(other.get("allowed").asBoolean());
        assertNull(other.get("patch"), other.toString());
    }

    // Contract: docs/contract.md#service-account
    @Test
    void theServiceAccountIsLookedUpInTheRequestsNamespaceNotThePodsOwn() throws Exception {
        // examples/service-accounts.yaml: default/s3-reader has a role; there is no shop/s3-reader.
        ObjectNode inDefault = example("irsa-pod");
        ((ObjectNode) inDefault.at("/request/object/metadata")).put("namespace", "shop");
        ObjectNode inShop = example("irsa-pod");
        ((ObjectNode) inShop.get("request")).put("namespace", "shop");
        ((ObjectNode) inShop.at("/request/object/metadata")).put("namespace", "default");

        assertEquals("JSONPatch", post(inDefault).at("/response/patchType").asText());
        JsonNode response = post(inShop).get("response");
        assertNull(response.get("patch"), response.toString());
        assertEquals("ServiceAccount shop/s3-reader not found, pod admitted without AWS credentials",
                response.at("/warnings/0").asText());
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void nonCreateAndNonPodRequestsAreAllowedUntouched() throws Exception {
        ObjectNode update = example("irsa-pod");
        ((ObjectNode) update.get("request")).put("operation", "UPDATE");
        ObjectNode deployment = example("irsa-pod");
        ((ObjectNode) deployment.at("/request/kind")).put("group", "apps").put("kind", "Deployment");
        ObjectNode subresource = example("irsa-pod");
        ((ObjectNode) subresource.get("request")).put("subResource", "ephemeralcontainers");

        for (ObjectNode review : List.of(update, deployment, subresource)) {
            JsonNode response = post(review).get("response");

            assertTrue(response.get("allowed").asBoolean());
            assertNull(response.get("patch"), response.toString());
            assertEquals("0b5a2c1e-0000-4000-8000-000000000001", response.get("uid").asText());
        }
    }

    // Contract: docs/contract.md#warnings, docs/contract.md#volume
    @Test
    void problemsThatDoNotStopAdmissionComeBackAsWarnings() throws Exception {
        ObjectNode review = example("irsa-pod");
        ((ObjectNode) review.at("/request/object/spec/volumes/0")).put("name", "aws-iam-token");
        ((ObjectNode) review.at("/request/object/spec/containers/0/volumeMounts/0")).put("name", "aws-iam-token");

        JsonNode response = post(review).get("response");

        assertTrue(response.get("allowed").asBoolean());
        assertNull(response.get("patch"));
        assertTrue(response.at("/warnings/0").asText().contains("aws-iam-token exists and is not a projected"),
                response.toString());
    }

    // Contract: docs/contract.md#warnings
    @Test
    void aPodWhoseServiceAccountDoesNotExistIsAdmittedWithAWarning() throws Exception {
        ObjectNode review = example("irsa-pod");
        ((ObjectNode) review.at("/request/object/spec")).put("serviceAccountName", "ghost");

        JsonNode response = post(review).get("response");

        assertTrue(response.get("allowed").asBoolean());
        assertEquals("ServiceAccount default/ghost not found, pod admitted without AWS credentials",
                response.at("/warnings/0").asText());
    }

    // Contract: docs/contract.md#endpoints
    @Test
    void healthEndpointsAnswerWithoutAnyCluster() {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }
}
