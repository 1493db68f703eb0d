package dev.podidentity.admission;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.flipkart.zjsonpatch.JsonPatch;

import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.serviceaccount.ServiceAccount;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of decode + mutate (the streaming read of the body), seeded with the reviews of examples/ (copied to
 * AdmissionFuzzTestInputs/). Any input must end in a well-formed AdmissionReview answer whose patch
 * applies to the request's object, or in a clean "not an AdmissionReview" (HTTP 400) — never in
 * any other exception. Crashers the fuzzer finds are written next to the seeds and stay as
 * regression inputs.
 *
 * <pre>{@code
 * ./mvnw -pl function test -Dtest=AdmissionFuzzTest                  # the regression inputs only
 * JAZZER_FUZZ=1 ./mvnw -pl function test -Dtest=AdmissionFuzzTest    # fuzz for maxDuration
 * }</pre>
 */
// Contract: docs/contract.md#http-errors, docs/contract.md#patch-shape
class AdmissionFuzzTest {

    /** Configured as the function's ObjectMapper is (JsonLimits, AdmissionJson). */
    static final ObjectMapper MAPPER = configured();

    /** Every ServiceAccount exists and has a role, so every readable pod is mutated. */
    static final AdmissionHandler HANDLER = TestHandlers.of("fuzz", new IdentityResolver(
            IdentitySettings.builder().region("eu-west-1").regionalSts(true).build(),
            ref -> Optional.of(new ServiceAccount(ref, Map.of("eks.amazonaws.com/role-arn",
                    "arn:aws:iam::111122223333:role/fuzz", "eks.amazonaws.com/role-session-name", "pod-name"))),
            PodIdentityAssociations.NONE, RoleMappingSource.NONE, () -> 7L), decision -> { });

    static ObjectMapper configured() {
        ObjectMapper mapper = new JsonMapper();
        new JsonLimits().customize(mapper);
        new AdmissionJson().customize(mapper);
        return mapper;
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryEntries({"\"request\"", "\"object\"", "\"spec\"", "\"metadata\"", "\"containers\"",
        "\"initContainers\"", "\"ephemeralContainers\"", "\"env\"", "\"volumeMounts\"", "\"volumes\"", "\"name\"",
        "\"mountPath\"", "\"projected\"", "\"serviceAccountToken\"", "\"path\"", "\"aws-iam-token\"", "\"CREATE\"",
        "\"Pod\"", "\"pods\"", "\"kind\"", "\"namespace\"", "\"uid\"", "\"labels\"", "\"annotations\"",
        "\"nodeSelector\"", "\"os\"", "\"windows\"", "\"AWS_ROLE_ARN\"", "\"AWS_REGION\"",
        "\"AWS_STS_REGIONAL_ENDPOINTS\"", "\"eks.amazonaws.com/skip-containers\"", "\"serviceAccountName\""})
    void decodeAndMutate(byte[] body) {
        AdmissionReview review;
        try {
            review = MAPPER.readValue(body, AdmissionReview.class); // streamed, as the function reads it
        } catch (IOException unreadable) {
            return; // answered 400 by the HTTP edge
        }
        AdmissionReviewAnswer answer;
        try {
            answer = HANDLER.handle(review);
        } catch (BadReviewException notAReview) {
            assertNotNull(notAReview.getMessage());
            return; // answered 400 with this message
        }
        JsonNode written = MAPPER.valueToTree(answer);
        assertEquals("AdmissionReview", written.path("kind").asText());
        assertTrue(written.path("apiVersion").isTextual());
        assertTrue(written.at("/response/allowed").isBoolean(), written.toString());
        if (answer.response().patch() != null) {
            JsonNode patch;
            try {
                patch = MAPPER.readTree(answer.response().patch());
            } catch (IOException e) {
                throw new AssertionError("the patch is not JSON", e);
            }
            // The oracle is the body as a tree, as the API server holds it: the patch must apply to it.
            JsonNode tree;
            try {
                tree = MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("the streaming read accepted a body the tree read refuses", e);
            }
            JsonNode patched = JsonPatch.apply(patch, tree.at("/request/object"));
            assertNotNull(patched);
        }
        if (!answer.response().allowed()) {
            assertTrue(answer.response().status().message() != null && !answer.response().status().message().isEmpty());
        }
    }
}
