package dev.podidentity.serviceaccount;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The annotations of a ServiceAccount as an API server sends it, and nothing else of it. */
// Contract: docs/contract.md#lookups
class ServiceAccountJsonTest {

    @Test
    void readsTheAnnotationsOfAWholeServiceAccount() throws IOException {
        String json = """
                {"kind":"ServiceAccount","apiVersion":"v1",
                 "metadata":{"name":"api","namespace":"shop","uid":"7e1c","resourceVersion":"42",
                   "labels":{"app":"shop"},
                   "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/api",
                                  "eks.amazonaws.com/token-expiration":"3600"},
                   "managedFields":[{"manager":"kubectl","fieldsV1":{"f:metadata":{"f:annotations":{}}}}],
                   "ownerReferences":[]},
                 "secrets":[{"name":"api-token"}],"automountServiceAccountToken":false}""";
        assertEquals(Map.of("eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/api",
                "eks.amazonaws.com/token-expiration", "3600"), ServiceAccountJson.annotations(json));
    }

    @Test
    void aServiceAccountWithoutAnnotationsHasNone() throws IOException {
        assertTrue(ServiceAccountJson.annotations("{\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"api\"}}").isEmpty());
        assertTrue(ServiceAccountJson.annotations("{\"metadata\":{\"annotations\":null}}").isEmpty());
        assertTrue(ServiceAccountJson.annotations("{\"metadata\":null}").isEmpty());
        assertTrue(ServiceAccountJson.annotations("{}").isEmpty());
    }

    @Test
    void annotationsThatAreNotStringsAreNotGuessedAt() {
        IOException e = assertThrows(IOException.class,
                () -> ServiceAccountJson.annotations("{\"metadata\":{\"annotations\":{\"a\":1}}}"));
        assertTrue(e.getMessage().contains("a string for annotation a"), e.getMessage());
        assertThrows(IOException.class, () -> ServiceAccountJson.annotations("{\"metadata\":{\"annotations\":[]}}"));
        assertThrows(IOException.class, () -> ServiceAccountJson.annotations("{\"metadata\":\"api\"}"));
        assertThrows(IOException.class, () -> ServiceAccountJson.annotations("[]"));
        assertThrows(IOException.class, () -> ServiceAccountJson.annotations("{\"metadata\":{\"annotations\":{\"a\":\"b\""));
    }
}
