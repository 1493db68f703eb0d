package dev.podidentity.http;

import dev.podidentity.LogCapture;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.podidentity.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An API server cancels a webhook call it stopped waiting for by resetting its HTTP/2 stream. Many
 * such cancellations on one connection must not make the function close that connection, with
 * every admission in flight on it (Vert.x's Rapid Reset defence closed it after 200 in 30 s).
 *
 * <p>Each call is cancelled once its body has started, so its stream is open on the server; the
 * server's hang-up lines show that every reset reached it. The admission that stays in flight
 * meanwhile has a body deadline far beyond what the cancellations take, so it cannot race them.
 */
// Contract: docs/contract.md#limits
@QuarkusTest
@TestProfile(Http2CancellationTest.PatientBodies.class)
class Http2CancellationTest {

    static final int CANCELLED = 300;
    static final int AT_ONCE = 60;
    static final String HUNG_UP = "the client closed the connection before its admission request was answered";

    /** A body deadline that is a bound for a stuck test, not part of it. */
    public static class PatientBodies implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pod-identity.limits.body-timeout", "60s");
        }
    }

    @Test
    void threeHundredCancelledStreamsLeaveTheConnectionAndTheAdmissionOnItAlone() throws Exception {
        String review = Files.readString(Path.of("../examples/irsa-pod.json"));
        URI mutate = URI.create("http://localhost:" + RestAssured.port + "/mutate");
        HttpClient client = H2c.connect(); // everything below shares its one connection

        try (LogCapture log = LogCapture.start()) {
            // An admission whose body ends only when the cancellations are over stays in flight on
            // the connection while they come.
            CompletableFuture<Void> cancellationsOver = new CompletableFuture<>();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(mutate)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.fromPublisher(
                            new Trickle(review, cancellationsOver, new CompletableFuture<>()), review.length()))
                    .build(), HttpResponse.BodyHandlers.ofString());

            for (int cancelled = 0; cancelled < CANCELLED; cancelled += AT_ONCE) {
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                List<CompletableFuture<Void>> bodiesStarted = new ArrayList<>();
                for (int i = 0; i < AT_ONCE; i++) {
                    // A body that never ends, on a stream the client resets once the body has started.
                    CompletableFuture<Void> bodyStarted = new CompletableFuture<>();
                    bodiesStarted.add(bodyStarted);
                    calls.add(client.sendAsync(HttpRequest.newBuilder(mutate)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.fromPublisher(
                                    new Trickle("{", new CompletableFuture<>(), bodyStarted), 100_000))
                            .build(), HttpResponse.BodyHandlers.ofString()));
                }
                for (int i = 0; i < AT_ONCE; i++) {
                    bodiesStarted.get(i).get(60, TimeUnit.SECONDS); // its headers are out: the stream is open
                    calls.get(i).cancel(true);
                }
                for (CompletableFuture<HttpResponse<String>> call : calls) {
                    // Cancelled: as the future itself, or through the exchange it cancelled.
                    RuntimeException gaveUp = assertThrows(RuntimeException.class, call::join);
                    assertTrue(gaveUp instanceof CancellationException
                            || gaveUp.getCause() instanceof CancellationException, gaveUp.toString());
                }
            }
            // Every reset reached the server: each cancelled admission is one hang-up line there.
            eventually(() -> log.count(HUNG_UP) >= CANCELLED, "the server saw " + CANCELLED + " streams reset");
            cancellationsOver.complete(null);

            HttpResponse<String> answered = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(200, answered.statusCode(), answered.body());
            assertTrue(answered.body().contains("\"patch\""), answered.body());
            assertEquals(HttpClient.Version.HTTP_2, answered.version());
            assertFalse(log.contains("RST frames"), "the connection was closed for its resets");
        }
    }
}
