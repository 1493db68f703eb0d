package dev.podidentity.oidc;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#oidc
class SigningKeysTest {

    /**
     * Known answers: the kid Kubernetes computes is base64url(SHA-256(DER SubjectPublicKeyInfo)),
     * here computed independently with
     * {@code openssl pkey -pubin -in K.pub -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='}.
     */
    static final String RSA_KID = "YbvBWSitifzvWU1kuoPH2BDi-Z5bSJ8Rg4LgwBk4I6I";
    static final String EC_KID = "kQ27_rKrDP4YGUpUfR9ZUFzdRGFyFe3tZajo0vRivjI";

    static PublicKey key(String name) throws Exception {
        return SigningKeys.readPem(Files.readString(Path.of("src/test/resources/oidc/" + name + ".pub"))).get(0);
    }

    @Test
    void keyIdsAreTheOnesKubernetesComputes() throws Exception {
        assertEquals(RSA_KID, SigningKeys.keyId(key("rsa")));
        assertEquals(EC_KID, SigningKeys.keyId(key("ec")));
    }

    @Test
    void rsaAndEcKeysBecomeJwksEntries() throws Exception {
        JsonNode jwks = MAPPER.readTree(OidcDocuments.of("https://oidc.example.com/prod", List.of(key("rsa"), key("ec")))
                .jwks());

        JsonNode rsa = jwks.at("/keys/0");
        assertEquals("RSA", rsa.get("kty").asText());
        assertEquals(RSA_KID, rsa.get("kid").asText());
        assertEquals("RS256", rsa.get("alg").asText());
        assertEquals("sig", rsa.get("use").asText());
        assertEquals("AQAB", rsa.get("e").asText());
        assertEquals(342, rsa.get("n").asText().length(), "2048-bit modulus, no sign byte, unpadded base64url");
        JsonNode ec = jwks.at("/keys/1");
        assertEquals("EC", ec.get("kty").asText());
        assertEquals(EC_KID, ec.get("kid").asText());
        assertEquals("P-256", ec.get("crv").asText());
        assertEquals("ES256", ec.get("alg").asText());
        assertEquals(43, ec.get("x").asText().length());
        assertEquals(43, ec.get("y").asText().length());
    }

    @Test
    void theDiscoveryDocumentPointsAtTheJwksBelowTheIssuer() throws Exception {
        JsonNode discovery = MAPPER.readTree(OidcDocuments.of("https://oidc.example.com/prod/", List.of(key("rsa"),
                key("ec"))).discovery());

        assertEquals("https://oidc.example.com/prod", discovery.get("issuer").asText());
        assertEquals("https://oidc.example.com/prod/openid/v1/jwks", discovery.get("jwks_uri").asText());
        assertEquals("[\"ES256\",\"RS256\"]", discovery.get("id_token_signing_alg_values_supported").toString());
        assertEquals("[\"public\"]", discovery.get("subject_types_supported").toString());
    }

    @Test
    void badPemIsAClearError() {
        assertEquals("no PEM public key found (expected -----BEGIN PUBLIC KEY-----)",
                assertThrows(IllegalArgumentException.class, () -> SigningKeys.readPem("hello")).getMessage());
        assertEquals("a PRIVATE KEY block is not a public key; give the public key (openssl pkey -in sa.key -pubout)",
                assertThrows(IllegalArgumentException.class,
                        () -> SigningKeys.readPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"))
                        .getMessage());
        assertEquals("a PUBLIC KEY block is neither an RSA nor an EC key", assertThrows(IllegalArgumentException.class,
                () -> SigningKeys.readPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> OidcDocuments.of("http://plain.example.com", List.of()));
    }

    @Test
    void theCommandWritesBothDocumentsAndTheApiServerFlags() throws Exception {
        Path out = Files.createTempDirectory("site");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();

        int exit = OidcDocumentsCommand.run(new String[] {"--issuer", "https://oidc.example.com/prod", "--key",
            "src/test/resources/oidc/rsa.pub", "--out", out.toString()}, new PrintStream(stdout), System.err);

        assertEquals(0, exit);
        assertEquals(RSA_KID, MAPPER.readTree(out.resolve("openid/v1/jwks").toFile()).at("/keys/0/kid").asText());
        assertEquals("https://oidc.example.com/prod", MAPPER.readTree(
                out.resolve(".well-known/openid-configuration").toFile()).get("issuer").asText());
        assertTrue(stdout.toString().contains("--service-account-issuer=https://oidc.example.com/prod"));
        assertEquals(2, OidcDocumentsCommand.run(new String[] {"--issuer", "x"}, new PrintStream(stdout),
                new PrintStream(new ByteArrayOutputStream())));
    }
}
