package dev.podidentity.serviceaccount;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.fabric8.kubernetes.client.KubernetesClientException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GETs the function makes of an API server: bodies, status codes, and the rotating bearer token. */
class ApiServerClientTest {

    static final String PATH = "/api/v1/namespaces/shop/serviceaccounts/api";

    WireMockServer api;

    @BeforeEach
    void start() {
        api = new WireMockServer(options().dynamicPort());
        api.start();
    }

    @AfterEach
    void stop() {
        api.stop();
    }

    ApiServerClient client(Path tokenFile) {
        return TestClients.forUrl(api.baseUrl() + "/", tokenFile, null, false, Duration.ofSeconds(30));
    }

    @Test
    void aTwoHundredIsItsBodyAndA404IsNullOnlyWhereAsked() {
        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("{\"kind\":\"ServiceAccount\"}")));
        try (ApiServerClient client = client(null)) {
            assertEquals("{\"kind\":\"ServiceAccount\"}", client.get(PATH));
            assertEquals("{\"kind\":\"ServiceAccount\"}", client.getOrNull(PATH));

            assertNull(client.getOrNull("/api/v1/namespaces/shop/serviceaccounts/absent"));
            assertEquals(404, assertThrows(KubernetesClientException.class,
                    () -> client.get("/api/v1/namespaces/shop/serviceaccounts/absent")).getCode());
        }
    }

    @Test
    void anyOtherStatusIsAnExceptionWithThatCode() {
        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(503)));
        try (ApiServerClient client = client(null)) {
            assertEquals(503, assertThrows(KubernetesClientException.class, () -> client.getOrNull(PATH)).getCode());
        }
        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(403)));
        try (ApiServerClient client = client(null)) {
            assertEquals(403, assertThrows(KubernetesClientException.class, () -> client.getOrNull(PATH)).getCode());
        }
    }

    @Test
    void noAnswerIsAnExceptionWithoutAStatusCode() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (ApiServerClient client = TestClients.forUrl("http://127.0.0.1:" + closedPort, null, null, false,
                Duration.ofSeconds(30))) {
            KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> client.getOrNull(PATH));
            assertTrue(e.getCode() <= 0, "code " + e.getCode());
            assertTrue(ApiGuard.classify("GET", e) instanceof TransientApiException);
        }
    }

    @Test
    void theBearerTokenIsReadFromItsFileAtEachRequestForTokensRotate(@TempDir Path dir) throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "first-token\n");
        api.stubFor(get(urlPathEqualTo(PATH)).willReturn(okJson("{}")));
        try (ApiServerClient client = client(token)) {
            client.get(PATH);
            Files.writeString(token, "second-token\n");
            client.get(PATH);
        }
        api.verify(1, getRequestedFor(urlPathEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer first-token")));
        api.verify(1, getRequestedFor(urlPathEqualTo(PATH)).withHeader("Authorization", equalTo("Bearer second-token")));
    }
}
