package dev.podidentity.serviceaccount;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import dev.podidentity.FakeTicker;
import dev.podidentity.TestJson;
import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.admission.AdmissionReviewAnswer;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.LookupFailurePolicy;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;

import io.fabric8.kubernetes.client.KubernetesClient;
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
 * answer, how many requests reached the server, and that the admission stayed within its budget.
 */
class ApiFaultTest {

    static final String SA_PATH = "/api/v1/namespaces/default/serviceaccounts/s3-reader";
    static final String SA_JSON = """
            {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"s3-reader","namespace":"default",
             "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/s3-reader"}}}""";

    /** Short timeouts so the suite is fast; the budget still bounds three attempts. */
    static final LookupSettings SETTINGS = new LookupSettings(Duration.ofMillis(300), 2, Duration.ofMillis(20),
            Duration.ofMillis(10), Duration.ofMillis(1500), Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofMinutes(10), 100, 4, 0.5, Duration.ofMillis(500));

    WireMockServer api;
    KubernetesClient client;
    ApiGuard guard;
    ExecutorService executor;
    final FakeTicker ticker = new FakeTicker();
    JsonNode review;

    @BeforeEach
    void start() throws Exception {
        api = new WireMockServer(options().dynamicPort());
        api.start();
        client = KubernetesClients.forUrl(api.baseUrl(), null, null, false, SETTINGS.requestTimeout());
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
        guard = new ApiGuard("test", SETTINGS);
        ServiceAccountSource source = new KubernetesServiceAccounts(client, guard, SETTINGS, ticker, executor);
        IdentityResolver resolver = new IdentityResolver(IdentitySettings.defaults().withOnLookupFailure(policy), source,
                PodIdentityAssociations.NONE, RoleMappingSource.NONE, (java.util.random.RandomGenerator) () -> 4L);
        return new AdmissionHandler("test", resolver);
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

    /** Within the lookup budget, with room for the rest of the admission. */
    static void assertWithinBudget(Timed timed) {
        assertTrue(timed.millis() < SETTINGS.budget().toMillis() + 500, "took " + timed.millis() + " ms");
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
        assertWithinBudget(timed);
    }

    @Test
    void a429IsRetried() {
        failsOnceWith(aResponse().withStatus(429).withHeader("Retry-After", "0"));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertMutated(timed);
        assertEquals(2, requests());
        assertWithinBudget(timed);
    }

    @Test
    void aServerSlowerThanTheTimeoutIsRetriedThenAdmittedWithAWarning() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson(SA_JSON).withFixedDelay(1_000)));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertAdmittedWithLookupWarning(timed);
        assertEquals(3, requests(), "first call and two retries");
        assertWithinBudget(timed);
    }

    @Test
    void aConnectionResetIsRetriedThenAdmittedWithAWarning() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertAdmittedWithLookupWarning(timed);
        assertEquals(3, requests());
        assertWithinBudget(timed);
    }

    @Test
    void a403IsNotRetried() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(403)));

        Timed timed = admit(handler(LookupFailurePolicy.ADMIT));

        assertAdmittedWithLookupWarning(timed);
        assertEquals(1, requests());
        assertWithinBudget(timed);
    }

    @Test
    void a404IsAnAnswerNotAFailure() {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(404)));

        Timed timed = admit(handler(LookupFailurePolicy.DENY));

        assertTrue(timed.response().allowed(), "a missing ServiceAccount never denies");
        assertEquals(List.of("ServiceAccount default/s3-reader not found, pod admitted without AWS credentials"),
                timed.response().warnings());
        assertEquals(1, requests());
        assertWithinBudget(timed);
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
        assertWithinBudget(timed);
    }

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
        assertWithinBudget(denied);
    }

    @Test
    void theBreakerOpensAfterRepeatedFailuresAndClosesAfterRecovery() throws Exception {
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(aResponse().withStatus(500)));
        AdmissionHandler handler = handler(LookupFailurePolicy.ADMIT);

        // Each admission makes up to three failing calls; under load one may end on its budget
        // and the next join its fetch, so count admissions until the breaker opens (bounded).
        for (int i = 0; i < 20 && guard.breakerState() != CircuitBreakerState.OPEN; i++) {
            assertAdmittedWithLookupWarning(admit(handler));
        }
        assertEquals(CircuitBreakerState.OPEN, guard.breakerState());
        int whenOpened = requests();
        assertTrue(whenOpened >= SETTINGS.breakerRequests() * SETTINGS.breakerFailureRatio(),
                "opened after " + whenOpened + " failed calls");
        for (int i = 0; i < 5; i++) {
            assertAdmittedWithLookupWarning(admit(handler));
        }
        assertEquals(whenOpened, requests(), "an open breaker sends nothing to the API server");

        api.resetAll();
        api.stubFor(get(urlPathEqualTo(SA_PATH)).willReturn(okJson(SA_JSON)));
        Thread.sleep(SETTINGS.breakerDelay().toMillis() + 100);

        assertMutated(admit(handler));
        assertEquals(CircuitBreakerState.CLOSED, guard.breakerState());
    }

    @Test
    void twoHundredConcurrentAdmissionsForOneUncachedServiceAccountCostOneGet() throws Exception {
        // Slow enough that the callers pile up on the one call, far enough below the 300 ms timeout
        // that a busy machine does not turn it into a timeout and a retry (a second GET).
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
