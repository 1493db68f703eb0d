package dev.podidentity.oidc;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.podidentity.TestJson.MAPPER;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The OIDC documents served per cluster: public, cacheable, each cluster with its own keys only. */
// Contract: docs/contract.md#oidc
@QuarkusTest
@TestProfile(OidcEndpointsTest.TwoSelfHostedClusters.class)
class OidcEndpointsTest {

    public static class TwoSelfHostedClusters implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String keys = Path.of("src/test/resources/oidc").toAbsolutePath().toString();
            return Map.of(
                    "pod-identity.clusters.alpha.api-server-url", "https://127.0.0.1:1",
                    "pod-identity.clusters.alpha.oidc.issuer", "https://oidc.example.com/clusters/alpha",
                    "pod-identity.clusters.alpha.oidc.public-key-files", keys + "/rsa.pub," + keys + "/ec.pub",
                    "pod-identity.clusters.beta.api-server-url", "https://127.0.0.1:1",
                    "pod-identity.clusters.beta.oidc.issuer", "https://oidc.example.com/clusters/beta",
                    "pod-identity.clusters.beta.oidc.public-key-files", keys + "/other.pub",
                    "pod-identity.clusters.gamma.api-server-url", "https://127.0.0.1:1");
        }
    }

    static JsonNode get(String path) throws Exception {
        Response response = given().get(path);
        assertEquals(200, response.statusCode(), path);
        assertEquals("application/json", response.contentType(), path);
        assertEquals("public, max-age=3600", response.header("Cache-Control"));
        return MAPPER.readTree(response.asByteArray());
    }

    @Test
    void headIsAnsweredLikeGetWithoutTheDocument() {
        for (String path : List.of("/clusters/alpha/.well-known/openid-configuration", "/clusters/alpha/openid/v1/jwks")) {
            Response head = given().head(path);

            assertEquals(200, head.statusCode(), path);
            assertEquals("application/json", head.contentType(), path);
            assertEquals("public, max-age=3600", head.header("Cache-Control"), path);
            assertEquals("", head.asString(), path);
        }
    }

    @Test
    void everyOtherMethodIs405AllowingGetAndHead() {
        for (String path : List.of("/clusters/alpha/.well-known/openid-configuration", "/clusters/alpha/openid/v1/jwks")) {
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
                Response response = given().request(method, path);

                assertEquals(405, response.statusCode(), method + " " + path);
                assertEquals("GET, HEAD", response.header("Allow"), method + " " + path);
            }
        }
    }

    @Test
    void eachClusterServesItsIssuerAndOnlyItsOwnKeys() throws Exception {
        JsonNode alpha = get("/clusters/alpha/.well-known/openid-configuration");
        assertEquals("https://oidc.example.com/clusters/alpha", alpha.get("issuer").asText());
        assertEquals("https://oidc.example.com/clusters/alpha/openid/v1/jwks", alpha.get("jwks_uri").asText());

        JsonNode alphaKeys = get("/clusters/alpha/openid/v1/jwks");
        JsonNode betaKeys = get("/clusters/beta/openid/v1/jwks");

        assertEquals(SigningKeysTest.RSA_KID, alphaKeys.at("/keys/0/kid").asText());
        assertEquals(SigningKeysTest.EC_KID, alphaKeys.at("/keys/1/kid").asText());
        assertEquals(1, betaKeys.get("keys").size());
        assertFalse(betaKeys.toString().contains(SigningKeysTest.RSA_KID));
        assertFalse(alphaKeys.toString().contains(betaKeys.at("/keys/0/kid").asText()));
    }

    @Test
    void nothingElseIsServedAndNothingCanBeChanged() {
        assertEquals(404, given().get("/clusters/gamma/.well-known/openid-configuration").statusCode(), "no oidc");
        assertEquals(404, given().get("/clusters/unknown/openid/v1/jwks").statusCode());
        assertEquals(404, given().get("/clusters/default/openid/v1/jwks").statusCode());
        assertEquals(404, given().get("/clusters/alpha/api/v1/namespaces").statusCode());
        assertEquals(405, given().post("/clusters/alpha/openid/v1/jwks").statusCode());
    }
}
