package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.internal.CertUtils;
import io.fabric8.kubernetes.client.internal.SSLUtils;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.List;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP client of an API server whose certificate is checked against the cluster's CA alone, as
 * kubectl and client-go (the AWS webhook's) check it.
 *
 * <pre>{@code
 * Config config = new ConfigBuilder(Config.empty()).withMasterUrl("https://10.0.0.1:6443")
 *         .withCaCertFile("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt").build();
 * HttpClient.Factory factory = new io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory();
 * HttpClient http = ClusterCaTrust.httpClient(config, ClusterCaTrust.clusterCas(config), factory); // that CA alone
 * }</pre>
 *
 * <p>fabric8 adds a configured CA ({@code caCertData}, {@code caCertFile}) to the JDK's own
 * {@code cacerts}, so that an API server with a certificate from any public CA is trusted too, and
 * every client it builds reads and parses all of them first. No public CA vouches for an API
 * server, so here a configured CA is the only one trusted; the client's other settings (client
 * certificates, proxy, timeouts, TLS versions, authentication) are fabric8's, from the same
 * configuration. Without a CA, or with a trust store file or {@code trustCerts}, the client is
 * fabric8's as it builds it.
 */
final class ClusterCaTrust {

    private ClusterCaTrust() {
    }

    /**
     * The client of the API server {@code config} describes.
     *
     * @param clusterCas what {@link #clusterCas(Config)} read from {@code config}: the certificates
     *     trusted alone, or null for a client that is fabric8's as it builds it
     * @param factory fabric8's HTTP clients, as the function makes them
     */
    static HttpClient httpClient(Config config, Collection<? extends Certificate> clusterCas,
            HttpClient.Factory factory) {
        if (clusterCas == null) {
            return factory.newBuilder(config).build();
        }
        TrustManager[] trust = trustManagers(clusterCas);
        // fabric8 builds the client from a copy without the CA, with its trust-all manager as a
        // placeholder that costs nothing; the next call replaces it, and the key managers, at once.
        Config withoutCa = new ConfigBuilder(config).withCaCertData(null).withCaCertFile(null).withTrustCerts(true)
                .build();
        HttpClient.Builder builder = factory.newBuilder(withoutCa);
        try {
            builder.sslContext(SSLUtils.keyManagers(config), trust);
        } catch (IOException | GeneralSecurityException e) {
            throw KubernetesClientException.launderThrowable(e);
        }
        return builder.build();
    }

    /** Whether a CA is configured, and neither a trust store file nor trusting every certificate. */
    static boolean checksClusterCaAlone(Config config) {
        return (notBlank(config.getCaCertData()) || notBlank(config.getCaCertFile()))
                && !notBlank(config.getTrustStoreFile()) && !config.isTrustCerts();
    }

    /**
     * The CA certificates a client of {@code config} trusts alone; null where fabric8's rules apply
     * ({@link #checksClusterCaAlone(Config)} false).
     *
     * @throws KubernetesClientException when the configured CA cannot be read or holds no certificate
     */
    static Collection<? extends Certificate> clusterCas(Config config) {
        if (!checksClusterCaAlone(config)) {
            return null;
        }
        Collection<? extends Certificate> cas;
        try {
            cas = caCertificates(config);
        } catch (IOException | GeneralSecurityException e) {
            throw new KubernetesClientException("cannot read the CA certificates of " + where(config) + ": " + e, e);
        }
        if (cas.isEmpty()) {
            throw new KubernetesClientException("no CA certificate in " + where(config));
        }
        return cas;
    }

    /** Trust managers that accept a chain to one of {@code cas} and nothing else. */
    static TrustManager[] trustManagers(Collection<? extends Certificate> cas) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int index = 0;
            for (Certificate ca : cas) {
                store.setCertificateEntry("cluster-ca-" + index++, ca);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory.getTrustManagers();
        } catch (IOException | GeneralSecurityException e) {
            throw new KubernetesClientException("cannot set up trust in the cluster's CA: " + e, e);
        }
    }

    /**
     * The CA certificates {@code config} names, read as fabric8 reads them: {@code caCertData}
     * (base64 of PEM) if given, else {@code caCertFile}; none if neither is.
     */
    static Collection<? extends Certificate> caCertificates(Config config) throws IOException, GeneralSecurityException {
        String data = notBlank(config.getCaCertData()) ? config.getCaCertData() : null;
        String file = notBlank(config.getCaCertFile()) ? config.getCaCertFile() : null;
        if (data == null && file == null) {
            return List.of();
        }
        try (InputStream pem = CertUtils.getInputStreamFromDataOrFile(data, file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(pem);
        }
    }

    private static String where(Config config) {
        return notBlank(config.getCaCertData()) ? "the configured CA data" : config.getCaCertFile();
    }

    private static boolean notBlank(String value) {
        return value != null && !value.isBlank();
    }
}
