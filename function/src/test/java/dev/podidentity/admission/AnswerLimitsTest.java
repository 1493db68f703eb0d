package dev.podidentity.admission;

import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.serviceaccount.ServiceAccount;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pod too large to mutate is answered as the failure policy says, before its patch exists. */
// Contract: docs/contract.md#limits, docs/contract.md#lookup-failure
class AnswerLimitsTest {

    final List<Decision> decisions = new ArrayList<>();

    InFlightBytes inFlight = InFlightBytes.of(1L << 30);

    AdmissionHandler handler(LookupFailurePolicy policy, String roleArn, AnswerLimits limits) {
        IdentityResolver resolver = new IdentityResolver(IdentitySettings.builder().onLookupFailure(policy).build(),
                ref -> Optional.of(new ServiceAccount(ref, Map.of("eks.amazonaws.com/role-arn", roleArn))),
                PodIdentityAssociations.NONE, RoleMappingSource.NONE, () -> 4L);
        return new AdmissionHandler("test", resolver, decisions::add, limits, inFlight);
    }

    static AdmissionReviewAnswer.Response answer(AdmissionHandler handler, int containers) throws Exception {
        return handler.handle(MAPPER.readValue(HeapProbe.review("pod", containers, null), AdmissionReview.class))
                .response();
    }

    @Test
    void aPodWithMoreContainersThanTheLimitIsAdmittedUnmutatedWithAWarning() throws Exception {
        AdmissionReviewAnswer.Response response = answer(
                handler(LookupFailurePolicy.ADMIT, HeapProbe.ROLE, new AnswerLimits(10, 4096)), 11);

        assertTrue(response.allowed());
        assertNull(response.patch());
        assertEquals(List.of("AWS credentials were not added to this pod: the pod has 11 containers, more than the 10"
                + " this function mutates; pod admitted without AWS credentials"), response.warnings());
        assertEquals(Outcome.NOT_MUTATED, decisions.getFirst().outcome());
        assertTrue(decisions.getFirst().reason().startsWith("too large: the pod has 11 containers"));
    }

    @Test
    void withOnLookupFailureDenySuchAPodIsDeniedWithTheReason() throws Exception {
        AdmissionReviewAnswer.Response response = answer(
                handler(LookupFailurePolicy.DENY, HeapProbe.ROLE, new AnswerLimits(10, 4096)), 11);

        assertFalse(response.allowed());
        assertEquals("AWS credentials cannot be added to this pod: the pod has 11 containers, more than the 10"
                + " this function mutates", response.status().message());
        assertEquals(Outcome.DENIED, decisions.getFirst().outcome());
    }

    @Test
    void aPatchLongerThanTheLimitIsNotWrittenAndThePodIsAnsweredTheSameWay() throws Exception {
        // Few containers, but a role ARN (an annotation: up to 256 KB) repeated in each of them.
        String hugeArn = "arn:aws:iam::111122223333:role/" + "r".repeat(100_000);

        AdmissionReviewAnswer.Response response = answer(
                handler(LookupFailurePolicy.ADMIT, hugeArn, new AnswerLimits(1000, 1024 * 1024)), 20);

        assertTrue(response.allowed());
        assertNull(response.patch());
        assertEquals("AWS credentials were not added to this pod: its patch would be longer than 1048576 bytes;"
                + " pod admitted without AWS credentials", response.warnings().getLast());
    }

    @Test
    void aLargePatchThatDoesNotFitInWhatIsInFlightIsNotWrittenAndThePodIsAnsweredAtOnce() throws Exception {
        inFlight = InFlightBytes.of(64 * 1024);
        assertTrue(inFlight.tryReserve(64 * 1024)); // everything is taken by other admissions

        AdmissionReviewAnswer.Response busy = answer(handler(LookupFailurePolicy.ADMIT, HeapProbe.ROLE,
                AnswerLimits.defaults()), 200);
        AdmissionReviewAnswer.Response small = answer(handler(LookupFailurePolicy.ADMIT, HeapProbe.ROLE,
                AnswerLimits.defaults()), 20);

        assertNull(busy.patch());
        assertEquals("AWS credentials were not added to this pod: the function is writing as many large patches as"
                + " its memory allows; retry; pod admitted without AWS credentials", busy.warnings().getLast());
        assertEquals("JSONPatch", small.patchType(), "an ordinary patch reserves nothing");
        inFlight.release(64 * 1024);
        assertEquals("JSONPatch", answer(handler(LookupFailurePolicy.ADMIT, HeapProbe.ROLE,
                AnswerLimits.defaults()), 200).patchType());
        assertEquals(64 * 1024, inFlight.available(), "every reservation was given back");
    }

    @Test
    void podsWithinTheLimitsAreMutated() throws Exception {
        AdmissionReviewAnswer.Response response = answer(
                handler(LookupFailurePolicy.DENY, HeapProbe.ROLE, new AnswerLimits(10, 64 * 1024)), 10);

        assertTrue(response.allowed());
        assertEquals("JSONPatch", response.patchType());
        assertEquals(Outcome.MUTATED, decisions.getFirst().outcome());
    }

    @Test
    void limitsThatCannotWorkAreRefusedWithTheirValue() {
        assertEquals("maxContainers must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> new AnswerLimits(0, 4096)).getMessage());
        assertEquals("maxPatchBytes must be >= 1024, was 10",
                assertThrows(IllegalArgumentException.class, () -> new AnswerLimits(1, 10)).getMessage());
    }
}
