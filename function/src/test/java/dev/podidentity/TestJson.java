package dev.podidentity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.JsonPatch;

import dev.podidentity.admission.AdmissionJson;
import dev.podidentity.admission.AdmissionReview;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** JSON helpers for tests: parse, apply an RFC 6902 patch, read env, and check nothing was lost. */
public final class TestJson {

    /** Reads and writes admission reviews as the function does (AdmissionJson). */
    public static final ObjectMapper MAPPER = new ObjectMapper().registerModule(AdmissionJson.module());

    private TestJson() {
    }

    /** Parses JSON written with single quotes for readability. */
    public static ObjectNode json(String singleQuoted) {
        try {
            return (ObjectNode) MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a review the way the function reads a request body: streamed from its bytes. */
    public static AdmissionReview review(JsonNode review) {
        try {
            return MAPPER.readValue(MAPPER.writeValueAsBytes(review), AdmissionReview.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode parse(byte[] bytes) {
        try {
            return MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Applies the JSON Patch document to a copy of the document. */
    public static JsonNode applyPatch(byte[] patch, JsonNode document) {
        return JsonPatch.apply(parse(patch), document.deepCopy());
    }

    /** {@code [NAME=value, NAME=<fieldRef:path>, ...]} of a container, in order. */
    public static List<String> env(JsonNode container) {
        List<String> env = new ArrayList<>();
        for (JsonNode e : container.path("env")) {
            if (e.has("valueFrom")) {
                env.add(e.path("name").asText() + "=<fieldRef:" + e.at("/valueFrom/fieldRef/fieldPath").asText() + ">");
            } else {
                env.add(e.path("name").asText() + "=" + e.path("value").asText());
            }
        }
        return env;
    }

    /** The names of the env entries of a container, in order. */
    public static List<String> envNames(JsonNode container) {
        List<String> names = new ArrayList<>();
        container.path("env").forEach(e -> names.add(e.path("name").asText()));
        return names;
    }

    /**
     * Asserts that every field of {@code before} is in {@code after} with the same value, except
     * that arrays may have grown at their end (the function only appends).
     */
    public static void assertKeptEverything(JsonNode before, JsonNode after, String path) {
        if (before.isObject()) {
            assertTrue(after.isObject(), path + " is no longer an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = before.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode now = after.get(field.getKey());
                if (now == null) {
                    fail(path + "/" + field.getKey() + " was lost");
                }
                assertKeptEverything(field.getValue(), now, path + "/" + field.getKey());
            }
        } else if (before.isArray()) {
            assertTrue(after.isArray(), path + " is no longer an array");
            ArrayNode was = (ArrayNode) before;
            assertTrue(after.size() >= was.size(), path + " lost elements");
            for (int i = 0; i < was.size(); i++) {
                assertKeptEverything(was.get(i), after.get(i), path + "/" + i);
            }
        } else {
            assertEquals(before, after, path + " changed");
        }
    }
}
