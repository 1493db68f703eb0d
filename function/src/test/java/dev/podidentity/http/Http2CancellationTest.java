package dev.podidentity.http;

import dev.podidentity.LogCapture;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An API server cancels a webhook call it stopped waiting for by resetting its HTTP/2 stream. Many
 * such cancellations on one connection must not make the function close that connection, with
 * every admission in flight on it (Vert.x's Rapid Reset defence closed it after 200 in 30 s).
 */
// Contract: docs/contract.md#limits
@QuarkusTest
class Http2CancellationTest {

    static final int CANCELLED = 300;
    static final int AT_ONCE = 60;

    @Test
    void threeHundredCancelledStreamsLeaveTheConnectionAndTheAdmissionOnItAlone() throws Exception {
        String review = Files.readString(Path.of("../examples/irsa-pod.json"));
        URI mutate = URI.create("http://localhost:" + RestAssured.port + "/mutate");
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        // One HTTP/2 connection (cleartext, upgraded from HTTP/1.1 on a request without a body):
        // everything below shares it.
        HttpResponse<String> upgraded = client.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + RestAssured.port + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, upgraded.version(), "the test needs an HTTP/2 connection");

        try (LogCapture log = LogCapture.start()) {
            // An admission whose body ends only when the cancellations are over (within the test
            // profile's body timeout) stays in flight on the connection while they come.
            CompletableFuture<Void> cancellationsOver = new CompletableFuture<>();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(mutate)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.fromPublisher(new Trickle(review, cancellationsOver), review.length()))
                    .build(), HttpResponse.BodyHandlers.ofString());

            int cancelled = 0;
            while (cancelled < CANCELLED) {
                List<CompletableFuture<HttpResponse<String>>> batch = new ArrayList<>();
                for (int i = 0; i < AT_ONCE; i++) {
                    // A body that never ends: the client gives up after 50 ms and resets the stream.
                    batch.add(client.sendAsync(HttpRequest.newBuilder(mutate).timeout(Duration.ofMillis(50))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.fromPublisher(new Trickle("{", new CompletableFuture<>()), 100_000))
                            .build(), HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> call : batch) {
                    CompletionException gaveUp = org.junit.jupiter.api.Assertions.assertThrows(
                            CompletionException.class, call::join);
                    assertInstanceOf(HttpTimeoutException.class, gaveUp.getCause());
                }
                cancelled += AT_ONCE;
            }
            cancellationsOver.complete(null);

            HttpResponse<String> answered = inFlight.get(30, TimeUnit.SECONDS);
            assertEquals(200, answered.statusCode(), answered.body());
            assertTrue(answered.body().contains("\"patch\""), answered.body());
            assertFalse(log.contains("RST frames"), "the connection was closed for its resets");
        }
    }

    /** Sends {@code text} but its last byte, and that byte and the end of the body when {@code end} completes. */
    private record Trickle(String text, CompletableFuture<Void> end) implements Flow.Publisher<ByteBuffer> {
        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            subscriber.onSubscribe(new Flow.Subscription() {
                boolean started;

                @Override
                public synchronized void request(long n) {
                    if (started) {
                        return;
                    }
                    started = true;
                    subscriber.onNext(ByteBuffer.wrap(bytes, 0, bytes.length - 1));
                    end.thenRunAsync(() -> {
                        subscriber.onNext(ByteBuffer.wrap(bytes, bytes.length - 1, 1));
                        subscriber.onComplete();
                    });
                }

                @Override
                public void cancel() {
                }
            });
        }
    }
}
