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
 * those types are built in the interpreter, on the path of the first admission.
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
            return field(p, "metadata", "metadata",
                    metadata -> field(metadata, "annotations", "metadata.annotations", ServiceAccountJson::strings));
        }
    }

    /** How the value of a field, an object the parser has just entered, is read. */
    private interface ObjectReader {
        Map<String, String> read(JsonParser p) throws IOException;
    }

    /**
     * Reads the rest of the object the parser is in: the field {@code name}, when it is there and
     * not null, must be an object and is read by {@code reader}; every other field is skipped.
     * Empty when the field is absent or null. {@code path} names the field in an error.
     */
    private static Map<String, String> field(JsonParser p, String name, String path, ObjectReader reader)
            throws IOException {
        Map<String, String> found = Map.of();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals(name) && value != JsonToken.VALUE_NULL) {
                expect(value == JsonToken.START_OBJECT, p, path + " as an object");
                found = reader.read(p);
            } else {
                p.skipChildren();
            }
        }
        return found;
    }

    /** An object of strings, the parser inside it. */
    private static Map<String, String> strings(JsonParser p) throws IOException {
        Map<String, String> strings = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            expect(p.nextToken() == JsonToken.VALUE_STRING, p, "a string for annotation " + key);
            strings.put(key, p.getText());
        }
        return strings;
    }

    private static void expect(boolean condition, JsonParser p, String what) throws IOException {
        if (!condition) {
            throw new IOException("expected " + what + " at " + p.currentLocation().offsetDescription());
        }
    }
}
