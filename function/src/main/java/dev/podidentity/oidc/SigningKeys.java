package dev.podidentity.oidc;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ServiceAccount token signing keys, as Kubernetes sees them: read from PEM, and identified by the
 * {@code kid} the API server puts in every token it signs (base64url, unpadded, of the SHA-256 of
 * the key's DER SubjectPublicKeyInfo), so a JWKS built here verifies those tokens.
 *
 * <pre>{@code
 * List<PublicKey> keys = SigningKeys.readPem(Files.readString(Path.of("sa.pub")));
 * SigningKeys.keyId(keys.get(0)); // "kIr0hY…"
 * }</pre>
 */
final class SigningKeys {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private SigningKeys() {
    }

    /** The key id Kubernetes computes for the key. */
    public static String keyId(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Every public key in a PEM text: {@code PUBLIC KEY} blocks (RSA or EC), or the public half of
     * {@code CERTIFICATE} blocks.
     *
     * @throws IllegalArgumentException with a clear message when there is none or one is unreadable
     */
    public static List<PublicKey> readPem(String pem) {
        List<PublicKey> keys = new ArrayList<>();
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2).getBytes(StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a " + type + " block is not valid base64", e);
            }
            keys.add(switch (type) {
                case "PUBLIC KEY" -> publicKey(der);
                case "CERTIFICATE" -> certificateKey(der);
                case "RSA PUBLIC KEY" -> throw new IllegalArgumentException(
                        "PKCS#1 'RSA PUBLIC KEY' blocks are not supported: convert with "
                                + "openssl rsa -RSAPublicKey_in -in key.pem -pubout");
                default -> throw new IllegalArgumentException("a " + type + " block is not a public key;"
                        + " give the public key (openssl pkey -in sa.key -pubout)");
            });
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no PEM public key found (expected -----BEGIN PUBLIC KEY-----)");
        }
        return keys;
    }

    private static PublicKey publicKey(byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                PublicKey key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
                if (key instanceof RSAPublicKey || key instanceof ECPublicKey) {
                    return key;
                }
            } catch (Exception notThisAlgorithm) {
                // try the next one
            }
        }
        throw new IllegalArgumentException("a PUBLIC KEY block is neither an RSA nor an EC key");
    }

    private static PublicKey certificateKey(byte[] der) {
        try {
            return java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der)).getPublicKey();
        } catch (Exception e) {
            throw new IllegalArgumentException("a CERTIFICATE block cannot be read: " + e.getMessage(), e);
        }
    }
}
