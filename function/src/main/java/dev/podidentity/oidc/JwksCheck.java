package dev.podidentity.oidc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.List;

/**
 * Checks a JWKS fetched from a cluster's API server before it is published for an hour: a JSON
 * object whose {@code keys} is a non-empty array of objects, each with a {@code kty}, and none
 * holding private or secret key material ({@code d}, {@code p}, {@code q}, {@code dp}, {@code dq},
 * {@code qi}, {@code oth}, {@code k}, or {@code kty: oct}). Whatever an API server or a proxy in
 * front of it answers, a private key is never published, and a broken document is not cached by
 * STS or by anyone else.
 *
 * <pre>{@code
 * String jwks = JwksCheck.checked(fetched); // the same string, or IllegalArgumentException saying why
 * }</pre>
 */
final class JwksCheck {

    /** Members of private JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
    private static final List<String> PRIVATE_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");
    private static final ObjectMapper JSON = new ObjectMapper();

    private JwksCheck() {
    }

    /**
     * @return the document unchanged
     * @throws IllegalArgumentException saying what is wrong, never quoting key material
     */
    static String checked(String jwks) {
        JsonNode root;
        try {
            root = JSON.readTree(jwks);
        } catch (IOException e) {
            throw new IllegalArgumentException("the JWKS is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the JWKS is not a JSON object");
        }
        JsonNode keys = root.get("keys");
        if (keys == null || !keys.isArray()) {
            throw new IllegalArgumentException("the JWKS has no keys array");
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the JWKS has no keys");
        }
        for (int i = 0; i < keys.size(); i++) {
            JsonNode key = keys.get(i);
            if (!key.isObject()) {
                throw new IllegalArgumentException("the JWKS key " + i + " is not an object");
            }
            JsonNode kty = key.get("kty");
            if (kty == null || !kty.isTextual() || kty.textValue().isEmpty()) {
                throw new IllegalArgumentException("the JWKS key " + i + " has no kty");
            }
            if (kty.textValue().equals("oct")) {
                throw new IllegalArgumentException("the JWKS key " + i + " is a secret (oct) key");
            }
            for (String member : PRIVATE_MEMBERS) {
                if (key.has(member)) {
                    throw new IllegalArgumentException("the JWKS key " + i + " holds the private member " + member);
                }
            }
        }
        return jwks;
    }
}
