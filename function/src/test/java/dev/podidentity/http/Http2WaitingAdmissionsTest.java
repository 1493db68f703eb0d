package dev.podidentity.http;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admissions that wait for room in the in-flight budget over HTTP/2 do not hold up the body of the
 * admission that has room, on the same connection: their bodies arrive and sit unread, and HTTP/2
 * counts them against the window the connection's streams share ({@link Http2Capacity}).
 *
 * <p>The cluster's share holds one admission. One admission takes it and keeps its body open; then
 * more admissions than the protocol's default connection window holds send their bodies and wait.
 * Only then does the first send its last byte: it must arrive, be answered, and give the room to the
 * next. Every deadline in the profile is a bound for a stuck test, far beyond what it takes.
 */
// Contract: docs/contract.md#limits
@QuarkusTest
@TestProfile(Http2WaitingAdmissionsTest.OneAdmissionAtATime.class)
class Http2WaitingAdmissionsTest {

    /** Bodies of the waiting admissions together: well past HTTP/2's default window of 65,535 bytes. */
    static final int WAITING = 24;
    static final int PADDED_TO = 8 * 1024;

    public static class OneAdmissionAtATime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pod-identity.limits.max-in-flight-bytes-per-cluster", "16K",
                    "pod-identity.limits.max-queue-wait", "120s",
                    "pod-identity.limits.body-timeout", "120s");
        }
    }

    @Test
    void theAdmissionHoldingRoomGetsItsBodyPastTheWaitingOnesOnTheSameConnection() throws Exception {
        String review = Files.readString(Path.of("../examples/irsa-pod.json"));
        String padded = review + " ".repeat(PADDED_TO - review.length());
        URI mutate = URI.create("http://localhost:" + RestAssured.port + "/mutate");
        HttpClient client = H2c.connect();

        CompletableFuture<Void> lastByte = new CompletableFuture<>();
        CompletableFuture<Void> holding = new CompletableFuture<>();
        CompletableFuture<HttpResponse<String>> holder = client.sendAsync(post(mutate,
                new Trickle(padded, lastByte, holding)), HttpResponse.BodyHandlers.ofString());
        holding.get(60, TimeUnit.SECONDS);

        AtomicLong sent = new AtomicLong();
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < WAITING; i++) {
            waiting.add(client.sendAsync(post(mutate, new Trickle(padded, CompletableFuture.completedFuture(null),
                    new CompletableFuture<>(), sent)), HttpResponse.BodyHandlers.ofString()));
        }
        // The waiting bodies have gone out as far as the connection lets them: the client hands
        // nothing more over for a while.
        long before;
        do {
            before = sent.get();
            Thread.sleep(500);
        } while (sent.get() != before || before < 65_535);
        lastByte.complete(null);

        HttpResponse<String> answered = holder.get(60, TimeUnit.SECONDS);
        assertEquals(200, answered.statusCode(), answered.body());
        assertTrue(answered.body().contains("\"patch\""), answered.body());
        for (CompletableFuture<HttpResponse<String>> call : waiting) {
            HttpResponse<String> response = call.get(60, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode(), response.body());
        }
    }

    static HttpRequest post(URI uri, Trickle body) {
        return HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.fromPublisher(body, body.length())).build();
    }
}
