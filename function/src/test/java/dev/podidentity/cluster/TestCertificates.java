package dev.podidentity.cluster;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificate authorities and the certificates they sign, made in the test (EC P-256: fast to
 * generate), with the PEM and key material a TLS client or server needs.
 *
 * <pre>{@code
 * TestCertificates.Issued ca = TestCertificates.authority("CN=delta-ca");
 * TestCertificates.Issued apiServer = ca.sign("CN=kube-apiserver,O=delta", false);
 * apiServer.chain(); // [leaf, ca]
 * }</pre>
 */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    private TestCertificates() {
    }

    /** A certificate with its key, and the certificate that signed it (null for a root). */
    public record Issued(X509Certificate certificate, KeyPair keys, Issued issuer) {

        /** A certificate signed by this one; a CA if {@code ca}. */
        public Issued sign(String subject, boolean ca) {
            return issue(subject, ca, this);
        }

        /** This certificate, then its issuers up to the root. */
        public X509Certificate[] chain() {
            java.util.List<X509Certificate> chain = new java.util.ArrayList<>();
            for (Issued i = this; i != null; i = i.issuer()) {
                chain.add(i.certificate());
            }
            return chain.toArray(X509Certificate[]::new);
        }

        /** The certificate as PEM. */
        public String pem() {
            return TestCertificates.pem(certificate);
        }

        /** The private key as PKCS#8 PEM. */
        public String keyPem() {
            return "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(keys.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
        }

        /**
         * Writes this certificate and its key to {@code dir} and returns the properties that make
         * the function serve HTTPS with them, on a free test port.
         */
        public Map<String, String> servingProperties(Path dir) {
            try {
                Path certificate = Files.writeString(dir.resolve("tls.crt"), pem());
                Path key = Files.writeString(dir.resolve("tls.key"), keyPem());
                return Map.of(
                        "quarkus.http.ssl.certificate.files", certificate.toString(),
                        "quarkus.http.ssl.certificate.key-files", key.toString(),
                        "quarkus.http.test-ssl-port", "0");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Writes the certificate as PEM. */
        public Path writePem(Path file) {
            try {
                return Files.writeString(file, pem());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A server TLS context that presents {@code serving} (with its chain) and asks for no client certificate. */
    public static SSLContext serverContext(Issued serving) {
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("serving", serving.keys().getPrivate(), new char[0], serving.chain());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            return tls;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A client TLS context that trusts {@code serverCa} and, when {@code client} is not null,
     * presents that certificate.
     */
    public static SSLContext clientContext(Issued serverCa, Issued client) {
        try {
            KeyManager[] keyManagers = null;
            if (client != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", client.keys().getPrivate(), new char[0], client.chain());
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
                keyManagers = kmf.getKeyManagers();
            }
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("server-ca", serverCa.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(keyManagers, tmf.getTrustManagers(), null);
            return tls;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed certificate authority, with an ECDSA P-256 key. */
    public static Issued authority(String subject) {
        return issue(subject, true, null);
    }

    /** A self-signed certificate authority with an RSA 2048 key, as most clusters' CAs have. */
    public static Issued rsaAuthority(String subject) {
        return issue(subject, true, null, "RSA");
    }

    /** A self-signed certificate authority with an ECDSA key on {@code curve} ("secp384r1"). */
    public static Issued ecAuthority(String subject, String curve) {
        return issue(subject, true, null, curve);
    }

    /** A self-signed certificate that is not a CA. */
    public static Issued selfSigned(String subject) {
        return issue(subject, false, null);
    }

    public static String pem(X509Certificate certificate) {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Issued issue(String subject, boolean ca, Issued issuer) {
        return issue(subject, ca, issuer, "secp256r1");
    }

    /** {@code key}: "RSA" for an RSA 2048 key, else the name of an EC curve. */
    private static Issued issue(String subject, boolean ca, Issued issuer, String key) {
        try {
            KeyPairGenerator generator;
            if (key.equals("RSA")) {
                generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
            } else {
                generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec(key));
            }
            KeyPair keys = generator.generateKeyPair();
            KeyPair signer = issuer == null ? keys : issuer.keys();
            // From the JDK's encoding: BouncyCastle reads an RFC 2253 string in the other order.
            X500Name subjectName = X500Name.getInstance(new javax.security.auth.x500.X500Principal(subject).getEncoded());
            X500Name issuerName = issuer == null ? subjectName
                    : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(2))), subjectName, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca
                    ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (!ca) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(
                                org.bouncycastle.asn1.x509.GeneralName.dNSName, "localhost")));
            }
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(signer.getPrivate().getAlgorithm().equals("RSA")
                            ? "SHA256withRSA" : "SHA256withECDSA").build(signer.getPrivate())));
            return new Issued(certificate, keys, issuer);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a test certificate for " + subject, e);
        }
    }
}
