package dev.podidentity.oidc;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#oidc
class JwksCheckTest {

    static final String RSA = "{\"kty\":\"RSA\",\"kid\":\"a\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"}";

    @Test
    void aJwksOfPublicKeysIsServedAsItIs() throws Exception {
        String ours = OidcDocuments.of("https://oidc.example.com", SigningKeys.readPem(
                Files.readString(Path.of("src/test/resources/oidc/rsa.pub")) + Files.readString(
                        Path.of("src/test/resources/oidc/ec.pub")))).jwks();
        String apiServers = "{\"keys\":[" + RSA + ",{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}";

        assertEquals(ours, JwksCheck.checked(ours));
        assertEquals(apiServers, JwksCheck.checked(apiServers));
    }

    @Test
    void anythingElseIsRefusedWithTheReasonAndNoKeyMaterial() {
        List<String[]> cases = List.of(
                new String[] {"not json", "is not JSON"},
                new String[] {"[]", "is not a JSON object"},
                new String[] {"{}", "has no keys array"},
                new String[] {"{\"keys\":{}}", "has no keys array"},
                new String[] {"{\"keys\":[]}", "has no keys"},
                new String[] {"{\"keys\":[1]}", "key 0 is not an object"},
                new String[] {"{\"keys\":[{\"n\":\"AQAB\"}]}", "key 0 has no kty"},
                new String[] {"{\"keys\":[{\"kty\":7}]}", "key 0 has no kty"},
                new String[] {"{\"keys\":[" + RSA + ",{\"kty\":\"RSA\",\"n\":\"x\",\"e\":\"x\",\"d\":\"SECRET\"}]}",
                    "key 1 holds the private member d"},
                new String[] {"{\"keys\":[{\"kty\":\"RSA\",\"p\":\"SECRET\"}]}", "key 0 holds the private member p"},
                new String[] {"{\"keys\":[{\"kty\":\"RSA\",\"q\":\"SECRET\"}]}", "key 0 holds the private member q"},
                new String[] {"{\"keys\":[{\"kty\":\"RSA\",\"qi\":\"SECRET\"}]}", "key 0 holds the private member qi"},
                new String[] {"{\"keys\":[{\"kty\":\"EC\",\"d\":\"SECRET\"}]}", "key 0 holds the private member d"},
                new String[] {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"SECRET\"}]}", "key 0 is a secret (oct) key"});
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JwksCheck.checked(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
        }
    }
}
