package dev.podidentity.http;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One HTTP/2 connection carries as many admissions as the in-flight budget admits, so that a caller
 * in a burst is refused by the budget rather than driven to open connection after connection.
 */
// Contract: docs/contract.md#limits
@QuarkusTest
class Http2CapacityTest {

    @Inject
    Vertx vertx;

    @Test
    void theServerOffersAStreamForEveryAdmissionTheDefaultBudgetAdmits() throws Exception {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        try {
            HttpClientRequest request = client.request(HttpMethod.GET, RestAssured.port, "localhost", "/q/health/ready")
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            HttpClientResponse response = request.send().toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertEquals(HttpVersion.HTTP_2, response.version(), "the test needs an HTTP/2 connection");

            // limits.max-in-flight-bytes (8M) over the weight of an ordinary admission (16 KiB)
            assertEquals(512, request.connection().remoteSettings().getMaxConcurrentStreams());
        } finally {
            client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void streamsFollowTheBudgetAndTheWindowHoldsEveryStreamsWindow() {
        HttpServerOptions options = new HttpServerOptions();

        Http2Capacity.size(options, Http2Capacity.streamsFor(12 << 20));

        assertEquals(768, options.getInitialSettings().getMaxConcurrentStreams());
        assertEquals(768 * 65_535, options.getHttp2ConnectionWindowSize());
    }
}
