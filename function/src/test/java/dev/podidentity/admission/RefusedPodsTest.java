package dev.podidentity.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.podidentity.TestJson;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.serviceaccount.ServiceAccountRef;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A pod creation without the namespace or the pod it is about is refused, saying so, before any lookup. */
// Contract: docs/contract.md#denials
class RefusedPodsTest {

    final List<ServiceAccountRef> lookedUp = new ArrayList<>();
    final List<Decision> decisions = new ArrayList<>();
    final AdmissionHandler handler = TestHandlers.of("test", new IdentityResolver(IdentitySettings.defaults(),
            ref -> {
                lookedUp.add(ref);
                return Optional.empty();
            }, PodIdentityAssociations.NONE, RoleMappingSource.NONE, () -> 4L), decisions::add);

    static ObjectNode irsaReview() throws Exception {
        return (ObjectNode) MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")));
    }

    AdmissionReviewAnswer.Response answer(ObjectNode review) {
        return handler.handle(TestJson.review(review)).response();
    }

    @Test
    void aPodCreationWithoutANamespaceIsRefusedWithTheUidAndNeverLookedUp() throws Exception {
        ObjectNode review = irsaReview();
        ((ObjectNode) review.get("request")).remove("namespace");

        AdmissionReviewAnswer.Response response = answer(review);

        assertFalse(response.allowed());
        assertEquals("0b5a2c1e-0000-4000-8000-000000000001", response.uid());
        assertEquals(400, response.status().code());
        assertEquals("request.namespace is missing: cannot find the pod's ServiceAccount", response.status().message());
        assertEquals(List.of(), lookedUp);
        assertEquals(Outcome.DENIED, decisions.get(0).outcome());
        assertEquals("no namespace", decisions.get(0).reason());
    }

    @Test
    void aPodCreationWithoutThePodIsRefusedSayingSo() throws Exception {
        ObjectNode review = irsaReview();
        ((ObjectNode) review.get("request")).remove("object");

        AdmissionReviewAnswer.Response response = answer(review);

        assertFalse(response.allowed());
        assertEquals(400, response.status().code());
        assertEquals("request.object is missing: there is no pod to mutate", response.status().message());
        assertEquals(List.of(), lookedUp);
    }
}
