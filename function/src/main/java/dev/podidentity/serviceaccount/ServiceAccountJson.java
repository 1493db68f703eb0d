package dev.podidentity.serviceaccount;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads what the function needs of a ServiceAccount as the API server sends it: the annotations
 * under {@code metadata}, nothing else, token by token.
 *
 * <pre>{@code
 * Map<String, String> annotations = ServiceAccountJson.annotations(
 *         "{\"kind\":\"ServiceAccount\",\"metadata\":{\"annotations\":{\"eks.amazonaws.com/role-arn\":\"arn:...\"}}}");
 * // {eks.amazonaws.com/role-arn=arn:...}
 * }</pre>
 *
 * <p>Why not fabric8's typed {@code get()}: it binds the whole object through its model (ObjectMeta,
 * managed fields, owner references, secrets), and after a cold start the Jackson deserializers for
 * those types are built in the interpreter, on the path of the first admission. Profiled from
 * process start to the first patched answer on one CPU, Jackson's data binding held 5 % of the
 * CPU samples with {@code get()} and 1 % with this reader (benchmarks/README.md, "Cold start").
 */
final class ServiceAccountJson {

    private static final JsonFactory JSON = new JsonFactory();

    private ServiceAccountJson() {
    }

    /**
     * The annotations of the ServiceAccount in {@code json}: empty when it has none.
     *
     * @throws IOException when {@code json} is not a JSON object, or its metadata or annotations
     *         are not objects of strings
     */
    static Map<String, String> annotations(String json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, p, "a ServiceAccount object");
            Map<String, String> annotations = Map.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("metadata") && value != JsonToken.VALUE_NULL) {
                    expect(value == JsonToken.START_OBJECT, p, "metadata as an object");
                    annotations = readMetadata(p);
                } else {
                    p.skipChildren();
                }
            }
            return annotations;
        }
    }

    private static Map<String, String> readMetadata(JsonParser p) throws IOException {
        Map<String, String> annotations = Map.of();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("annotations") && value != JsonToken.VALUE_NULL) {
                expect(value == JsonToken.START_OBJECT, p, "metadata.annotations as an object");
                annotations = new HashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    expect(p.nextToken() == JsonToken.VALUE_STRING, p, "a string for annotation " + key);
                    annotations.put(key, p.getText());
                }
            } else {
                p.skipChildren();
            }
        }
        return annotations;
    }

    private static void expect(boolean condition, JsonParser p, String what) throws IOException {
        if (!condition) {
            throw new IOException("expected " + what + " at " + p.currentLocation().offsetDescription());
        }
    }
}
