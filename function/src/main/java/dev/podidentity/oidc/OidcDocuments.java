package dev.podidentity.oidc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The two documents AWS STS fetches to trust a cluster's ServiceAccount tokens, written as the
 * Kubernetes API server writes them: the OpenID discovery document and the JWKS it points at.
 *
 * <pre>{@code
 * OidcDocuments docs = OidcDocuments.of("https://oidc.example.com/clusters/prod", keys);
 * docs.discovery(); // {"issuer":"https://oidc.example.com/clusters/prod","jwks_uri":".../openid/v1/jwks",...}
 * docs.jwks();      // {"keys":[{"use":"sig","kty":"RSA","kid":"…","alg":"RS256","n":"…","e":"AQAB"}]}
 * }</pre>
 *
 * @param issuer the issuer URL, equal to the API server's {@code --service-account-issuer}
 * @param keys the public keys that verify the cluster's tokens
 */
record OidcDocuments(String issuer, List<PublicKey> keys) {

    /** Where the JWKS lives below the issuer, as on the API server. */
    public static final String JWKS_PATH = "/openid/v1/jwks";

    private static final ObjectMapper JSON = new ObjectMapper();

    public OidcDocuments {
        if (issuer == null || !issuer.startsWith("https://") || issuer.contains("?") || issuer.contains("#")) {
            throw new IllegalArgumentException("issuer must be an https URL without query or fragment, was '"
                    + issuer + "'");
        }
        while (issuer.endsWith("/")) {
            issuer = issuer.substring(0, issuer.length() - 1);
        }
        keys = List.copyOf(keys);
    }

    public static OidcDocuments of(String issuer, List<PublicKey> keys) {
        return new OidcDocuments(issuer, keys);
    }

    public String jwksUri() {
        return issuer + JWKS_PATH;
    }

    /** {@code /.well-known/openid-configuration}. */
    public String discovery() {
        return discovery(issuer, keys.stream().map(OidcDocuments::algorithm).toList());
    }

    /** The discovery document of an issuer whose keys sign with these algorithms. */
    public static String discovery(String issuer, java.util.Collection<String> algorithms) {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        ObjectNode doc = JSON.createObjectNode();
        doc.put("issuer", base);
        doc.put("jwks_uri", base + JWKS_PATH);
        doc.putArray("response_types_supported").add("id_token");
        doc.putArray("subject_types_supported").add("public");
        ArrayNode algs = doc.putArray("id_token_signing_alg_values_supported");
        (algorithms.isEmpty() ? List.of("RS256") : algorithms).stream().distinct().sorted().forEach(algs::add);
        return doc.toString();
    }

    /** The JWKS. */
    public String jwks() {
        ObjectNode doc = JSON.createObjectNode();
        ArrayNode array = doc.putArray("keys");
        for (PublicKey key : keys) {
            ObjectNode jwk = array.addObject();
            jwk.put("use", "sig");
            if (key instanceof RSAPublicKey rsa) {
                jwk.put("kty", "RSA");
                jwk.put("kid", SigningKeys.keyId(key));
                jwk.put("alg", "RS256");
                jwk.put("n", base64Url(unsigned(rsa.getModulus(), 0)));
                jwk.put("e", base64Url(unsigned(rsa.getPublicExponent(), 0)));
            } else if (key instanceof ECPublicKey ec) {
                int size = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
                jwk.put("kty", "EC");
                jwk.put("kid", SigningKeys.keyId(key));
                jwk.put("crv", curve(size));
                jwk.put("alg", algorithm(key));
                jwk.put("x", base64Url(unsigned(ec.getW().getAffineX(), size)));
                jwk.put("y", base64Url(unsigned(ec.getW().getAffineY(), size)));
            } else {
                throw new IllegalArgumentException("only RSA and EC keys sign ServiceAccount tokens");
            }
        }
        return doc.toString();
    }

    private static String algorithm(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            return switch (curve((ec.getParams().getCurve().getField().getFieldSize() + 7) / 8)) {
                case "P-256" -> "ES256";
                case "P-384" -> "ES384";
                default -> "ES512";
            };
        }
        return "RS256";
    }

    private static String curve(int bytes) {
        return switch (bytes) {
            case 32 -> "P-256";
            case 48 -> "P-384";
            case 66 -> "P-521";
            default -> throw new IllegalArgumentException("unsupported EC curve of " + bytes + " bytes");
        };
    }

    /** Big-endian bytes without a sign byte, left-padded to {@code length} when it is not 0. */
    private static byte[] unsigned(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        if (length > bytes.length) {
            byte[] padded = new byte[length];
            System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
            return padded;
        }
        return bytes;
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
