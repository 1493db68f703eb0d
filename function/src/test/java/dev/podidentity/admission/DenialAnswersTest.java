package dev.podidentity.admission;

import dev.podidentity.TestJson;
import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.serviceaccount.LookupFailedException;
import dev.podidentity.serviceaccount.ServiceAccount;
import dev.podidentity.serviceaccount.ServiceAccountSource;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.podidentity.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every way a pod is denied, byte for byte: the answer the API server gets and the decision line
 * (its duration aside). A pod denied before its identity is known is logged with mode {@code none};
 * one denied because it cannot be mutated is logged with the mode it would have had.
 */
class DenialAnswersTest {

    final List<Decision> decisions = new ArrayList<>();

    static final ServiceAccountSource ANNOTATED = ref -> Optional.of(new ServiceAccount(ref,
            Map.of("eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/api")));

    AdmissionHandler handler(ServiceAccountSource serviceAccounts, AnswerLimits limits) {
        IdentityResolver resolver = new IdentityResolver(
                IdentitySettings.builder().onLookupFailure(LookupFailurePolicy.DENY).build(), serviceAccounts,
                PodIdentityAssociations.NONE, RoleMappingSource.NONE, () -> 4L);
        return new AdmissionHandler("prod-eu", resolver, decisions::add, limits, InFlightBytes.of(1L << 30));
    }

    /** The answer's bytes, then the decision line with its duration set to zero. */
    List<String> denied(AdmissionHandler handler, String request) {
        AdmissionReviewAnswer answer = handler.handle(TestJson.review(json(
                "{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u-1',"
                        + "'kind':{'kind':'Pod'},'operation':'CREATE'," + request + "}}")));
        Decision d = decisions.getLast();
        Decision timeless = new Decision(d.cluster(), d.namespace(), d.pod(), d.serviceAccount(), d.mode(), d.outcome(),
                d.reason(), 0, d.uid());
        return List.of(new String(AdmissionReviewAnswerWriter.toBytes(answer), StandardCharsets.UTF_8),
                DecisionLog.json(timeless));
    }

    static List<String> expected(String message, String line) {
        return List.of("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u-1\","
                + "\"allowed\":false,\"status\":{\"code\":400,\"message\":\"" + message + "\"}}}", line);
    }

    @Test
    void aRequestWithoutNamespace() {
        assertEquals(expected("request.namespace is missing: cannot find the pod's ServiceAccount",
                "{\"cluster\":\"prod-eu\",\"namespace\":\"\",\"pod\":\"\",\"serviceAccount\":\"\",\"mode\":\"none\","
                        + "\"outcome\":\"denied\",\"reason\":\"no namespace\",\"durationMs\":0.0,\"uid\":\"u-1\"}"),
                denied(handler(ANNOTATED, AnswerLimits.defaults()),
                        "'object':{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'}]}}"));
    }

    @Test
    void anUnreadablePod() {
        assertEquals(expected("spec.containers must be an array, was a string",
                "{\"cluster\":\"prod-eu\",\"namespace\":\"shop\",\"pod\":\"\",\"serviceAccount\":\"\",\"mode\":\"none\","
                        + "\"outcome\":\"denied\",\"reason\":\"unreadable pod\",\"durationMs\":0.0,\"uid\":\"u-1\"}"),
                denied(handler(ANNOTATED, AnswerLimits.defaults()),
                        "'namespace':'shop','object':{'spec':{'containers':'x'}}"));
    }

    @Test
    void aNamespaceKubernetesWouldRefuse() {
        assertEquals(expected("request.namespace 'Shop_1' is not a valid namespace name: a DNS-1123 label (at most 63"
                + " lower-case letters, digits and '-', starting and ending with a letter or digit)",
                "{\"cluster\":\"prod-eu\",\"namespace\":\"Shop_1\",\"pod\":\"p\",\"serviceAccount\":\"api\",\"mode\":\"none\","
                        + "\"outcome\":\"denied\",\"reason\":\"invalid namespace\",\"durationMs\":0.0,\"uid\":\"u-1\"}"),
                denied(handler(ANNOTATED, AnswerLimits.defaults()), "'namespace':'Shop_1','object':{'metadata':"
                        + "{'name':'p'},'spec':{'serviceAccountName':'api','containers':[{'name':'a'}]}}"));
    }

    @Test
    void aServiceAccountNameKubernetesWouldRefuse() {
        assertEquals(expected("spec.serviceAccountName 'API' is not a valid ServiceAccount name: a DNS-1123 subdomain"
                + " (at most 253 lower-case letters, digits, '-' and '.', each part between dots starting and ending"
                + " with a letter or digit)",
                "{\"cluster\":\"prod-eu\",\"namespace\":\"shop\",\"pod\":\"p\",\"serviceAccount\":\"API\",\"mode\":\"none\","
                        + "\"outcome\":\"denied\",\"reason\":\"invalid service account name\",\"durationMs\":0.0,"
                        + "\"uid\":\"u-1\"}"),
                denied(handler(ANNOTATED, AnswerLimits.defaults()), "'namespace':'shop','object':{'metadata':"
                        + "{'name':'p'},'spec':{'serviceAccountName':'API','containers':[{'name':'a'}]}}"));
    }

    @Test
    void aServiceAccountThatCannotBeLookedUpUnderOnLookupFailureDeny() {
        ServiceAccountSource failing = ref -> {
            throw new LookupFailedException("GET ServiceAccount shop/api: HTTP 503 from the API server");
        };

        assertEquals(expected("ServiceAccount shop/api could not be looked up (GET ServiceAccount shop/api: HTTP 503"
                + " from the API server); the pod is denied so that its controller retries",
                "{\"cluster\":\"prod-eu\",\"namespace\":\"shop\",\"pod\":\"p\",\"serviceAccount\":\"api\",\"mode\":\"none\","
                        + "\"outcome\":\"denied\",\"reason\":\"lookup failed\",\"durationMs\":0.0,\"uid\":\"u-1\"}"),
                denied(handler(failing, AnswerLimits.defaults()), "'namespace':'shop','object':{'metadata':"
                        + "{'name':'p'},'spec':{'serviceAccountName':'api','containers':[{'name':'a'}]}}"));
    }

    @Test
    void aPodTooLargeToMutateUnderOnLookupFailureDenyKeepsItsMode() {
        assertEquals(expected("AWS credentials cannot be added to this pod: the pod has 2 containers, more than the 1"
                + " this function mutates",
                "{\"cluster\":\"prod-eu\",\"namespace\":\"shop\",\"pod\":\"p\",\"serviceAccount\":\"api\","
                        + "\"mode\":\"sts_web_identity\",\"outcome\":\"denied\",\"reason\":\"too large\","
                        + "\"durationMs\":0.0,\"uid\":\"u-1\"}"),
                denied(handler(ANNOTATED, new AnswerLimits(1, 4096)), "'namespace':'shop','object':{'metadata':"
                        + "{'name':'p'},'spec':{'serviceAccountName':'api','containers':[{'name':'a'},{'name':'b'}]}}"));
    }
}
