package dev.podidentity.serviceaccount;

import dev.podidentity.admission.TestHandlers;
import dev.podidentity.FakeTicker;
import dev.podidentity.TestJson;
import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.admission.AdmissionReviewAnswer;
import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.metrics.Metrics;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.podidentity.Eventually.eventually;
import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An API server that never answers, and many more admissions at once than the cluster's bulkhead
 * lets through: the calls in flight and the threads stay bounded, and the excess is answered at
 * once, as {@code on-lookup-failure} says, with a warning and a metric that say why. Nothing here
 * depends on timing: the stand-in API blocks until the test lets it go.
 */
// Contract: docs/contract.md#lookups, docs/contract.md#lookup-failure, docs/contract.md#limits
class LookupBulkheadTest {

    /** Timeouts and budget far longer than the test: only the bulkhead decides. */
    static final LookupSettings PATIENT = new LookupSettings(Duration.ofMinutes(5), 0, Duration.ZERO, Duration.ZERO,
            Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(10), 1000, 100, 1.0,
            Duration.ofSeconds(5));
    static final int CONCURRENT = 4;
    static final int QUEUED = 4;

    final CountDownLatch apiAnswers = new CountDownLatch(1);
    final AtomicInteger apiCalls = new AtomicInteger();
    final AtomicInteger liveLookupTasks = new AtomicInteger();
    final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final LookupBulkhead bulkhead = LookupBulkhead.of(CONCURRENT, QUEUED, PATIENT.budget());

    @AfterEach
    void stop() {
        apiAnswers.countDown();
        threads.shutdownNow();
    }

    /** The lookup stack of one cluster in front of a stand-in API that answers only when let go. */
    AdmissionHandler handler(LookupFailurePolicy policy) {
        LookupListener listener = new Metrics(registry).cluster("test");
        ApiGuard guard = new ApiGuard("test", PATIENT, bulkhead, listener);
        CachedLookup<ServiceAccountRef, Optional<ServiceAccount>> lookup = new CachedLookup<>("ServiceAccount",
                ref -> guard.call("GET ServiceAccount " + ref, () -> {
                    apiCalls.incrementAndGet();
                    apiAnswers.await();
                    return Optional.<ServiceAccount>empty();
                }), PATIENT, new FakeTicker(), task -> threads.execute(() -> {
                    liveLookupTasks.incrementAndGet();
                    try {
                        task.run();
                    } finally {
                        liveLookupTasks.decrementAndGet();
                    }
                }), listener);
        return TestHandlers.logging("test", new IdentityResolver(
                IdentitySettings.builder().onLookupFailure(policy).build(), lookup::get, PodIdentityAssociations.NONE, RoleMappingSource.NONE, () -> 4L));
    }

    /** Admissions of pods of as many different ServiceAccounts, all at once: nothing is coalesced. */
    List<Future<AdmissionReviewAnswer.Response>> admitAll(AdmissionHandler handler, int pods) throws Exception {
        ObjectNode review = (ObjectNode) MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")));
        List<Future<AdmissionReviewAnswer.Response>> answers = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            ObjectNode pod = review.deepCopy();
            ((ObjectNode) pod.at("/request/object/spec")).put("serviceAccountName", "sa-" + i);
            answers.add(threads.submit(() -> handler.handle(TestJson.review(pod)).response()));
        }
        return answers;
    }

    static long done(List<Future<AdmissionReviewAnswer.Response>> answers) {
        return answers.stream().filter(Future::isDone).count();
    }

    double shed() {
        return registry.counter("pod_identity_shed", "cluster", "test", "stage", "lookup").count();
    }

    // Contract: docs/contract.md#warnings, docs/contract.md#metrics
    @Test
    void pastTheBulkheadAdmissionsAreAdmittedAtOnceWithAWarningWhileTheApiHangs() throws Exception {
        int platformThreadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        int pods = 300;

        List<Future<AdmissionReviewAnswer.Response>> answers = admitAll(handler(LookupFailurePolicy.ADMIT), pods);

        // Every admission past the bulkhead is answered while the API has answered nothing at all.
        int waiting = CONCURRENT + QUEUED;
        eventually(() -> done(answers) == pods - waiting, "the excess is answered without waiting for the API");
        eventually(() -> liveLookupTasks.get() == waiting, "refused lookups end at once");
        assertEquals(CONCURRENT, apiCalls.get(), "only the bulkhead's calls reached the API");
        assertEquals(CONCURRENT, bulkhead.inFlight());
        assertEquals(pods - waiting, shed(), "each refused call is counted");
        assertTrue(ManagementFactory.getThreadMXBean().getThreadCount() - platformThreadsBefore < 20,
                "no platform thread per lookup");
        for (Future<AdmissionReviewAnswer.Response> answer : answers) {
            if (answer.isDone()) {
                AdmissionReviewAnswer.Response response = answer.get();
                assertTrue(response.allowed());
                assertEquals(null, response.patch());
                assertEquals(1, response.warnings().size());
                assertTrue(response.warnings().getFirst().matches("ServiceAccount default/sa-\\d+ not looked up: too many"
                        + " lookups in flight to the API server, pod admitted without AWS credentials"),
                        response.warnings().getFirst());
            }
        }

        apiAnswers.countDown(); // the API recovers: the calls in flight and the queued ones are answered
        for (Future<AdmissionReviewAnswer.Response> answer : answers) {
            assertTrue(answer.get(1, TimeUnit.MINUTES).allowed());
        }
        assertEquals(waiting, apiCalls.get(), "the queued calls were made once there was room");
        eventually(() -> bulkhead.inFlight() == 0 && liveLookupTasks.get() == 0, "everything ended");
    }

    @Test
    void withOnLookupFailureDenyTheExcessIsDeniedAtOnceSayingWhy() throws Exception {
        int pods = 40;

        List<Future<AdmissionReviewAnswer.Response>> answers = admitAll(handler(LookupFailurePolicy.DENY), pods);

        eventually(() -> done(answers) == pods - CONCURRENT - QUEUED, "the excess is answered without waiting");
        for (Future<AdmissionReviewAnswer.Response> answer : answers) {
            if (answer.isDone()) {
                AdmissionReviewAnswer.Response response = answer.get();
                assertFalse(response.allowed());
                assertTrue(response.status().message().matches("ServiceAccount default/sa-\\d+ could not be looked up"
                        + " \\(GET ServiceAccount default/sa-\\d+: not sent, the API server of cluster test already"
                        + " has 4 lookups in flight and 4 waiting\\); the pod is denied so that its controller retries"),
                        response.status().message());
            }
        }
    }

    @Test
    void aRefusedCallIsNeitherRetriedNorCountedByTheBreaker() throws Exception {
        LookupBulkhead full = LookupBulkhead.of(1, 0, Duration.ZERO);
        assertTrue(full.enter());
        AtomicInteger calls = new AtomicInteger();
        ApiGuard guard = new ApiGuard("test", LookupSettings.defaults(), full, LookupListener.NONE);

        for (int i = 0; i < 20; i++) {
            assertThrows(LookupShedException.class, () -> guard.call("GET x", calls::incrementAndGet));
        }

        assertEquals(0, calls.get());
        assertEquals(io.smallrye.faulttolerance.api.CircuitBreakerState.CLOSED, guard.breakerState());
        full.exit();
        assertEquals(1, guard.call("GET x", calls::incrementAndGet));
    }

    @Test
    void boundsThatCannotWorkAreRefusedWithTheirValues() {
        assertEquals("a lookup bulkhead needs max-concurrent >= 1 and max-queued >= 0, was 0 and 4",
                assertThrows(IllegalArgumentException.class, () -> LookupBulkhead.of(0, 4, Duration.ZERO)).getMessage());
    }
}
