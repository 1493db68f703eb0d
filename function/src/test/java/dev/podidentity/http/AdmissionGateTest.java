package dev.podidentity.http;

import dev.podidentity.admission.InFlightBytes;
import dev.podidentity.admission.MetricsEndpointTest;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Past what may be in flight, an admission is answered 429 without its body being kept. */
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
    void aRefusedBodyIsDroppedAndAnsweredWhenItHasArrivedOnAConnectionThatStaysOpen() throws Exception {
        taken = inFlight.maxBytes() - InFlightBytes.MIN_WEIGHT / 2;
        assertTrue(inFlight.tryReserve(taken));
        String body = "{\"kind\":\"AdmissionReview\"}";
        String head = "POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n";

        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(300);
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            socket.getOutputStream().write((head + body.substring(0, 5)).getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            // An HTTP/2 client still sending when the answer ends resets the stream; answering only
            // once the body is in keeps a busy function from drawing a flood of resets.
            assertThrows(SocketTimeoutException.class, in::readLine, "no answer while the body is coming");

            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(body.substring(5).getBytes(StandardCharsets.US_ASCII));
            assertEquals("HTTP/1.1 429 Too Many Requests", in.readLine());
            skipResponse(in);

            // The body was read to its end, so the same connection carries the next request.
            socket.getOutputStream().write((head + body).getBytes(StandardCharsets.US_ASCII));
            assertEquals("HTTP/1.1 429 Too Many Requests", in.readLine());
        }
    }

    @Test
    void aRefusedBodyThatNeverArrivesIsNotWaitedFor() throws Exception {
        taken = inFlight.maxBytes() - InFlightBytes.MIN_WEIGHT / 2;
        assertTrue(inFlight.tryReserve(taken));

        // A body announced as 2 MB of which 10 bytes ever arrive: answered after the drain limit.
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

    @Test
    void aBodyTricklingInPastTheBodyTimeoutIsCutOffAndGivesBackItsWeight() throws Exception {
        long before = inFlight.available();
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.getOutputStream().write(("POST /mutate HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
                    .getBytes(StandardCharsets.US_ASCII));
            // One byte every 200 ms never lets the connection go idle (the test profile's
            // body-timeout is 5 s): only a deadline on the whole body ends it.
            long deadline = System.nanoTime() + 30_000_000_000L;
            boolean closed = false;
            while (!closed && System.nanoTime() < deadline) {
                try {
                    socket.getOutputStream().write(' ');
                    socket.getOutputStream().flush();
                    socket.setSoTimeout(200);
                    closed = socket.getInputStream().read() == -1;
                } catch (SocketTimeoutException stillOpen) {
                    // not yet
                } catch (java.io.IOException reset) {
                    closed = true;
                }
            }
            assertTrue(closed, "the server closed the connection");
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (inFlight.available() != before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before, inFlight.available(), "the cut-off request gave back its weight");
    }

    /** Reads one response's headers and its body of Content-Length bytes. */
    private static void skipResponse(BufferedReader in) throws Exception {
        int length = 0;
        for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        for (int i = 0; i < length; i++) {
            in.read();
        }
    }
}
