package dev.podidentity.oidc;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A JWKS fetched from a cluster's API server is checked before it is served or cached. */
// Contract: docs/contract.md#oidc
@QuarkusTest
@QuarkusTestResource(value = JwksFromApiServerTest.ApiServer.class, restrictToAnnotatedClass = true)
class JwksFromApiServerTest {

    /** An API server (WireMock) of cluster delta, whose JWKS the test sets. */
    public static class ApiServer implements QuarkusTestResourceLifecycleManager {
        static WireMockServer server;

        @Override
        public Map<String, String> start() {
            server = new WireMockServer(options().dynamicPort());
            server.start();
            return Map.of("pod-identity.clusters.delta.api-server-url", server.baseUrl(),
                    "pod-identity.clusters.delta.oidc.issuer", "https://oidc.example.com/clusters/delta");
        }

        @Override
        public void stop() {
            server.stop();
        }
    }

    static void serves(String jwks) {
        ApiServer.server.stubFor(get(urlPathEqualTo("/openid/v1/jwks")).willReturn(okJson(jwks)));
    }

    @Test
    void aJwksWithPrivateKeyMaterialIsRefusedAndNotCached() {
        serves("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"PRIVATE-EXPONENT\"}]}");

        Response refused = given().get("/clusters/delta/openid/v1/jwks");

        assertEquals(503, refused.statusCode());
        assertEquals("10", refused.header("Retry-After"));
        assertFalse(refused.asString().contains("PRIVATE"), refused.asString());
        assertNull(refused.header("Cache-Control"), "an error is not cacheable for an hour");
        assertEquals(503, given().get("/clusters/delta/.well-known/openid-configuration").statusCode());

        serves("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}");

        Response served = given().get("/clusters/delta/openid/v1/jwks");
        assertEquals(200, served.statusCode(), "the refused document was not cached");
        assertEquals("public, max-age=3600", served.header("Cache-Control"));
        assertEquals("a", served.jsonPath().getString("keys[0].kid"));
    }
}
