package dev.podidentity.serviceaccount;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

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

import io.smallrye.faulttolerance.api.CircuitBreakerState;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lookup stack (fabric8 client, fault-tolerance guard, cache, resolver, admission handler)
 * against WireMock standing in for a misbehaving API server. Each test asserts the admission
 * answer and how many requests reached the server.
 *
 * <p>Nothing here may depend on how fast the machine is: on a loaded one, a healthy answer can
 * take longer than a short timeout, and a test that relies on it sees a retry it did not ask
 * for. So only the tests about timeouts and the budget have short ones, against an API server
 * that answers far later or never; every other test has limits no machine comes near, and cache
 * ages move only with {@link FakeTicker}.
 */
// Contract: docs/contract.md#lookups
class ApiFaultTest {

    static final String SA_PATH = "/api/v1/namespaces/default/serviceaccounts/s3-reader";
    static final String SA_JSON = """
            {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"s3-reader","namespace":"default",
             "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/s3-reader"}}}""";

    /** Limits no machine comes near: only the faults of the API server decide. */
    static final LookupSettings SETTINGS = TestLookupSettings.UNHURRIED;
    /** A short timeout against a server that answers far later: every attempt times out. */
    static final LookupSettings SHORT_TIMEOUT = settings(Duration.ofMillis(300), Duration.ofSeconds(60),
            Duration.ofMinutes(5));
    /** A short budget against a server that never answers, with a timeout that never fires. */
    static final LookupSettings SHORT_BUDGET = settings(Duration.ofSeconds(30), Duration.ofMillis(300),
            Duration.ofMinutes(5));
    /** A breaker that, once open, lets a call through again soon. */
    static final LookupSettings SHORT_BREAKER_DELAY = settings(Duration.ofSeconds(30), Duration.ofSeconds(60),
            Duration.ofMillis(200));

    static LookupSettings settings(Duration requestTimeout, Duration budget, Duration breakerDelay) {
        return TestLookupSettings.of(requestTimeout, budget, breakerDelay);
    }

    WireMockServer api;
    ApiServerClient client;
    ApiGuard guard;
    ExecutorService executor;
    final FakeTicker ticker = new FakeTicker();
    JsonNode review;

    @BeforeEach
    void start() throws Exception {
        api = new WireMockServer(options().dynamicPort());
        api.start();
        client = TestClients.forUrl(api.baseUrl(), null, null, false, SETTINGS.requestTimeout());
        executor = Executors.newVirtualThreadPerTaskExecutor();
        review = MAPPER.readTree(Files.readString(Path.of("../examples/irsa-pod.json")));
    }

    @AfterEach
    void stop() {
        executor.shutdownNow();
        client.close();
        api.stop();
    }

    /** A fresh stack: its own cache and its own circuit breaker. */
    AdmissionHandler handler(LookupFailurePolicy policy) {
        return handler(policy, SETTINGS);
    }

    AdmissionHandler handler(LookupFailurePolicy policy, LookupSettings settings) {
        guard = TestGuards.of("test", settings);
        ServiceAccountSource source = new KubernetesServiceAccounts(client, guard, settings, ticker, executor);
        IdentityResolver resolver = new IdentityResolver(IdentitySettings.builder().onLookupFailure(policy).build(),
                source, PodIdentityAssociations.NONE, RoleMappingSource.NONE, (java.util.random.RandomGenerator) () -> 4L);
        return TestHandlers.logging("test", resolver);
    }

    record Timed(AdmissionReviewAnswer.Response response, long millis) {
    }

    Timed admit(AdmissionHandler handler) {
        long started = System.nanoTime();
        AdmissionReviewAnswer answer = handler.handle(TestJson.review(review));
        return new Timed(answer.response(), (System.nanoTime() - started) / 1_000_000);
    }

    int requests() {
        return api.countRequestsMatching(getRequestedFor(urlPathEqualTo(SA_PATH)).build()).getCount();
    }

    static void assertMutated(Timed timed) {
        assertEquals("JSONPatch", timed.response().patchType(), String.valueOf(timed.response().warnings()));
        assertEquals(List.of(), timed.response().warnings());
    }

    static void assertAdmittedWithLookupWarning(Timed timed) {
        assertTrue(timed.response().allowed());
        assertEquals(null, timed.response().patch());
        assertEquals(List.of("ServiceAccount default/s3-reader lookup failed, pod admitted without AWS credentials"),
                timed.response().warnings());
    }


    /** The API server fails once with that response, then answers. */
    void failsOnceWith(com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder failure) {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(failure).willSetStateTo("recovered"));
        api.stubFor(get(urlPathEqualTo(SA_PATH)).inScenario("flaky").whenScenarioStateIs("recovered")
                .willReturn(okJson(SA_JSON)));
    }

    @Test
    void a500ThenA200IsRetriedAndMutates() {
        failsOnceWith(aResponse().withStatus(500));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertMutated(timed);
        assertEquals(2, requests());
    }

    @Test
    void a429IsRetried() {
        failsOnceWith(aResponse().withStatus(429).withHeader("Retry-After", "0"));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertMutated(timed);
        assertEquals(2, requests());
    }

    @Test
    void aServerSlowerThanTheTimeoutIsRetriedThenAdmittedWithAWarning() {
        // Far above the 300 ms timeout: however slow the machine, no answer comes in time. The
        // budget is long enough for all three attempts to be made before the admission is answered.
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson(SA_JSON).withFixedDelay(5_000)));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT, SHORT_TIMEOUT));

        assertAdmittedWithLookupWarning(timed);
        assertEquals(3, requests(), "first call and two retries");
        assertTrue(timed.millis() >= 3 * SHORT_TIMEOUT.requestTimeout().toMillis(), "each attempt waited its timeout");
    }

    @Test
    void anAdmissionWaitsNoLongerThanItsBudgetForAServerThatDoesNotAnswer() {
        // The server answers long after the budget and the call's own timeout never fires: the
        // budget alone ends the wait.
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson(SA_JSON).withFixedDelay(10_000)));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT, SHORT_BUDGET));

        // Had the admission waited for the server's answer, that answer (a ServiceAccount with a
        // role) would have mutated the pod: the warning is the evidence that the budget ended it.
        assertAdmittedWithLookupWarning(timed);
        assertTrue(requests() <= 1, "no retry: the only call is still waiting");
        assertTrue(timed.millis() >= SHORT_BUDGET.budget().toMillis(), "waited the budget: " + timed.millis() + " ms");
    }

    @Test
    void aConnectionResetIsRetriedThenAdmittedWithAWarning() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertAdmittedWithLookupWarning(timed);
        assertEquals(3, requests());
    }

    @Test
    void a403IsNotRetried() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(403)));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertAdmittedWithLookupWarning(timed);
        assertEquals(1, requests());
    }

    @Test
    void a401OrAnyOther4xxIsNotRetriedEither() {
        for (int status : new int[] {401, 400, 410, 422}) {
            api.resetAll();
            api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(status)));

            Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

            assertAdmittedWithLookupWarning(timed);
            assertEquals(1, requests(), "HTTP " + status);
        }
    }

    @Test
    void anAnswerThatIsNotAServiceAccountIsAFailedLookupNotAGuess() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson("{\"metadata\":{\"annotations\":[\"role\"]}}")));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertAdmittedWithLookupWarning(timed);
        assertEquals(1, requests(), "a healthy server that answered is not asked again");
    }

    @Test
    void a404IsAnAnswerNotAFailure() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(404)));

        Timed timed = admit(handler(LookupFailurePolicy.DENY));

        assertTrue(timed.response().allowed(), "a missing ServiceAccount never denies");
        assertEquals(List.of("ServiceAccount default/s3-reader not found, pod admitted without AWS credentials"),
                timed.response().warnings());
        assertEquals(1, requests());
    }

    @Test
    void whenTheApiIsDownTheCachedValueIsServedWithoutWarning() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson(SA_JSON)));
        AdmissionHandler handler = handler(LookupFailurePolicy.ADMIT);
        assertMutated(admit(handler));
        api.resetAll();
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(503)));
        ticker.advance(Duration.ofSeconds(30)); // too old to use without asking the API first

        Timed timed = admit(handler);

        assertMutated(timed);
        assertTrue(requests() >= 1, "the API was asked before the stale value was served");
    }

    // Contract: docs/contract.md#lookup-failure
    @Test
    void whenTheApiIsDownWithNoKnownValueThePodIsAdmittedWithAWarningOrDenied() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(503)));

        Timed admitted = admit(handler(LookupFailurePolicy.ADMIT));
        assertAdmittedWithLookupWarning(admitted);

        Timed denied = admit(handler(LookupFailurePolicy.DENY));
        assertFalse(denied.response().allowed());
        assertTrue(denied.response().status().message().startsWith(
                "ServiceAccount default/s3-reader could not be looked up (GET ServiceAccount default/s3-reader: HTTP 503"),
                denied.response().status().message());
    }

    /**
     * Admits pods until the breaker opens: each admission makes three failing calls (the first and
     * two retries), and the fourth failed call fills the window and opens it. How many admissions
     * that takes is not fixed: one that comes right after a failed one may still be answered with
     * that failure, which the cache drops once the failed call's thread gets to it, and make no
     * call: on a busy machine many admissions can come first (nine in a row were seen under
     * {@code stress-ng}), so this keeps admitting, a millisecond apart, until the breaker opens.
     */
    void openTheBreaker(AdmissionHandler handler) throws InterruptedException {
        for (int i = 0; i < 5_000 && guard.breakerState() != CircuitBreakerState.OPEN; i++) {
            assertAdmittedWithLookupWarning(admit(handler));
            Thread.sleep(1);
        }
        assertEquals(CircuitBreakerState.OPEN, guard.breakerState());
    }

    @Test
    void theBreakerOpensAfterRepeatedFailuresAndThenSendsNothing() throws InterruptedException {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(500)));
        AdmissionHandler handler = handler(LookupFailurePolicy.ADMIT);

        openTheBreaker(handler);
        assertEquals(SETTINGS.breakerRequests(), requests(), "opened by a full window of failed calls");

        for (int i = 0; i < 5; i++) {
            assertAdmittedWithLookupWarning(admit(handler));
        }
        // Its delay (minutes here) has not passed, however slow the machine.
        assertEquals(SETTINGS.breakerRequests(), requests(), "an open breaker sends nothing to the API server");
        assertEquals(CircuitBreakerState.OPEN, guard.breakerState());
    }

    @Test
    void anOpenBreakerLetsACallThroughAfterItsDelayAndClosesWhenItSucceeds() throws Exception {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(500)));
        AdmissionHandler handler = handler(LookupFailurePolicy.ADMIT, SHORT_BREAKER_DELAY);
        openTheBreaker(handler);

        api.resetAll();
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson(SA_JSON)));
        Thread.sleep(SHORT_BREAKER_DELAY.breakerDelay().toMillis() + 100); // at least the delay: later is as good

        assertMutated(admit(handler));
        assertEquals(CircuitBreakerState.CLOSED, guard.breakerState());
        assertEquals(1, requests(), "one trial call, and it closed the breaker");
    }

    @Test
    void twoHundredConcurrentAdmissionsForOneUncachedServiceAccountCostOneGet() throws Exception {
        // Slow enough that the callers pile up on the one call; the timeout is far longer, so no
        // machine turns it into a retry (a second GET). The cache's clock does not move, so a
        // caller that comes after the answer finds it fresh.
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson(SA_JSON).withFixedDelay(100)));
        AdmissionHandler handler = handler(LookupFailurePolicy.ADMIT);
        ExecutorService callers = Executors.newFixedThreadPool(200);
        List<java.util.concurrent.Callable<Timed>> tasks = java.util.Collections.nCopies(200, () -> admit(handler));

        for (var result : callers.invokeAll(tasks)) {
            assertMutated(result.get());
        }
        callers.shutdownNow();

        assertEquals(1, requests());
    }
}
