package dev.podidentity.http;

import io.restassured.RestAssured;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A JDK client holding one HTTP/2 connection to the test server: cleartext, upgraded from HTTP/1.1
 * on a request without a body, so that every request sent with it afterwards shares that connection.
 */
final class H2c {

    private H2c() {
    }

    static HttpClient connect() throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> upgraded = client.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + RestAssured.port + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, upgraded.version(), "the test needs an HTTP/2 connection");
        return client;
    }
}
