package dev.podidentity.admission;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Past what may be in flight, an admission is answered 429 at once, before its body is read. */
// Contract: docs/contract.md#limits, docs/contract.md#http-errors
@QuarkusTest
class AdmissionGateTest {

    @Inject
    InFlightBytes inFlight;

    long taken;

    @AfterEach
    void giveBack() {
        inFlight.release(taken);
        taken = 0;
    }

    static Response post(String body) {
        return given().contentType("application/json").body(body).post("/mutate");
    }

    @Test
    void whenEverythingIsInFlightAnAdmissionIsAnswered429WithRetryAfterAndCounted() throws Exception {
        String review = Files.readString(Path.of("../examples/irsa-pod.json"));
        taken = inFlight.maxBytes() - InFlightBytes.MIN_WEIGHT / 2; // less than one more request fits
        assertTrue(inFlight.tryReserve(taken));

        Response busy = post(review);

        assertEquals(429, busy.statusCode(), busy.asString());
        assertEquals("1", busy.header("Retry-After"));
        assertEquals("TooManyRequests", busy.jsonPath().getString("reason"));
        assertEquals("the function has as many admissions in flight as its heap allows; retry",
                busy.jsonPath().getString("message"));
        String metrics = MetricsEndpointTest.scrape();
        assertTrue(metrics.matches("(?s).*pod_identity_shed_total\\{cluster=\"default\",stage=\"admission\"} [1-9].*"),
                metrics);

        inFlight.release(taken);
        taken = 0;
        assertEquals(200, post(review).statusCode(), "answered again once there is room");
    }

    @Test
    void aRequestWeighsItsDeclaredBodyAndGivesItBackWhenAnswered() throws Exception {
        String review = Files.readString(Path.of("../examples/irsa-pod.json"));
        String padded = review.substring(0, review.lastIndexOf('}')) + ",\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}";
        taken = inFlight.maxBytes() - 512 * 1024; // room for small requests, not for a 1 MiB one
        assertTrue(inFlight.tryReserve(taken));

        assertEquals(429, post(padded).statusCode());
        assertEquals(200, post(review).statusCode());
        // Given back when the response has ended, which the client may see first.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (inFlight.available() != inFlight.maxBytes() - taken && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(inFlight.maxBytes() - taken, inFlight.available(), "every answered request gave back its weight");
    }

    @Test
    void theAnswerComesBeforeTheBodyIsRead() throws Exception {
        taken = inFlight.maxBytes() - InFlightBytes.MIN_WEIGHT / 2;
        assertTrue(inFlight.tryReserve(taken));

        // A body announced as 2 MB of which 10 bytes ever arrive: only an answer that does not wait
        // for the body can come back.
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /mutate HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{\"kind\":\"A")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();

            assertEquals("HTTP/1.1 429 Too Many Requests", statusLine);
        }
    }
}
