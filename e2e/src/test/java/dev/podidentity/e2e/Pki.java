package dev.podidentity.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Serving certificates for webhooks on 127.0.0.1, signed by the cluster's CA (openssl). */
final class Pki {

    private final Path ca;
    private final Path caKey;
    private final Path log;
    private int serial;

    Pki(Path ca, Path caKey, Path log) {
        this.ca = ca;
        this.caKey = caKey;
        this.log = log;
    }

    Path ca() {
        return ca;
    }

    /**
     * Writes {@code tls.crt} and {@code tls.key} for IP 127.0.0.1 into the directory, replacing
     * what is there by renames (as a Secret volume update does). Returns the certificate's subject CN.
     */
    String issue(Path dir) throws Exception {
        Files.createDirectories(dir);
        String cn = "pod-identity-e2e-" + (++serial);
        Path tmp = Files.createTempDirectory(dir, "issue");
        Files.writeString(tmp.resolve("ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        Shell.run(tmp, log, 60, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=" + cn,
                "-keyout", "tls.key", "-out", "tls.csr");
        Shell.run(tmp, log, 60, "openssl", "x509", "-req", "-in", "tls.csr", "-CA", ca.toString(), "-CAkey",
                caKey.toString(), "-set_serial", String.valueOf(System.nanoTime()), "-days", "2", "-sha256",
                "-extfile", "ext", "-out", "tls.crt");
        Files.move(tmp.resolve("tls.key"), dir.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp.resolve("tls.crt"), dir.resolve("tls.crt"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return cn;
    }

    /** Writes a client certificate {@code client.crt}/{@code client.key} with that subject into the directory. */
    void issueClient(Path dir, String subject) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("client-ext"), "extendedKeyUsage=clientAuth\n");
        Shell.run(dir, log, 60, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", subject,
                "-keyout", "client.key", "-out", "client.csr");
        Shell.run(dir, log, 60, "openssl", "x509", "-req", "-in", "client.csr", "-CA", ca.toString(), "-CAkey",
                caKey.toString(), "-set_serial", String.valueOf(System.nanoTime()), "-days", "2", "-sha256",
                "-extfile", "client-ext", "-out", "client.crt");
    }

    /** Trusts any server certificate: for reading which certificate is served, not for checking it. */
    static final javax.net.ssl.X509TrustManager TRUST_ALL = new javax.net.ssl.X509TrustManager() {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
        }

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
            return new java.security.cert.X509Certificate[0];
        }
    };

    /** A TLS context that accepts any server certificate. */
    static javax.net.ssl.SSLContext trustAll() throws Exception {
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, new javax.net.ssl.TrustManager[] {TRUST_ALL}, null);
        return ssl;
    }

    /** A TLS context that trusts exactly the CA in that PEM file. */
    static javax.net.ssl.SSLContext trusting(Path caPem) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(caPem)) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    /** A PKCS#12 key store of the directory's certificate and key, for a JDK HTTPS server. */
    Path keyStore(Path dir) {
        Shell.run(dir, log, 60, "openssl", "pkcs12", "-export", "-in", "tls.crt", "-inkey", "tls.key", "-out",
                "tls.p12", "-passout", "pass:changeit");
        return dir.resolve("tls.p12");
    }
}
