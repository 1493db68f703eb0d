package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

/**
 * Builds the {@link ApiServerClient}s the function talks to API servers with, from runtime properties
 * ({@code quarkus.kubernetes-client.*} is fixed at build time, so it cannot serve a deployed image).
 *
 * <pre>{@code
 * String caPem = Files.readString(Path.of("/var/run/secrets/ca.crt"));
 * ApiServerClient client = KubernetesClients.forApiServer(new ClusterAccess.ApiServer("https://10.0.0.1:6443",
 *         ClusterAccess.Token.file(Path.of("/var/run/secrets/token")), caPem, false), Duration.ofSeconds(1));
 * }</pre>
 *
 * <p>Every client has fabric8's own retries off: {@link ApiGuard} alone decides how often an API
 * server is called (with fabric8's default of 10 retries, one lookup became 17 requests).
 */
public final class KubernetesClients {

    private KubernetesClients() {
    }

    /** An API server at a URL, with its bearer token (a file is re-read for every connection: tokens rotate). */
    public static ApiServerClient forApiServer(ClusterAccess.ApiServer server, Duration requestTimeout) {
        ConfigBuilder config = new ConfigBuilder(Config.empty()).withMasterUrl(server.url());
        ClusterAccess.Token token = server.token();
        if (token != null && token.file() != null) {
            Path tokenFile = token.file();
            config.withOauthTokenProvider(() -> readToken(tokenFile));
        } else if (token != null) {
            config.withOauthToken(token.value());
        }
        if (server.caPem() != null) {
            config.withCaCertData(base64(server.caPem()));
        }
        if (server.clientCertificatePem() != null) {
            config.withClientCertData(base64(server.clientCertificatePem()))
                    .withClientKeyData(base64(server.clientKeyPem()));
        }
        boolean insecure = server.insecureSkipTlsVerify();
        config.withTrustCerts(insecure).withDisableHostnameVerification(insecure);
        return build(config, requestTimeout);
    }

    /** An API server named by a kubeconfig, with its context. */
    public static ApiServerClient fromKubeconfig(ClusterAccess.Kubeconfig kubeconfig, Duration requestTimeout) {
        return from(kubeconfigConfig(kubeconfig), requestTimeout);
    }

    /**
     * The client configuration a kubeconfig describes; a kubeconfig of a file resolves the paths
     * in it against that file.
     *
     * @throws IllegalArgumentException when it cannot be read, or names a context it does not have
     */
    public static Config kubeconfigConfig(ClusterAccess.Kubeconfig kubeconfig) {
        try {
            return Config.fromKubeconfig(kubeconfig.context(), kubeconfig.content(),
                    kubeconfig.file() ? kubeconfig.origin() : null);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the kubeconfig of " + kubeconfig.origin() + " cannot be read: "
                    + e.getMessage(), e);
        }
    }

    /** A copy of an existing configuration (in-cluster, {@code KUBECONFIG}, or Quarkus's own). */
    public static ApiServerClient from(Config base, Duration requestTimeout) {
        return build(new ConfigBuilder(base), requestTimeout);
    }

    private static ApiServerClient build(ConfigBuilder config, Duration requestTimeout) {
        int millis = (int) Math.min(Integer.MAX_VALUE, requestTimeout.toMillis());
        Config built = config
                .withRequestRetryBackoffLimit(0)
                .withRequestTimeout(millis)
                .withConnectionTimeout(millis)
                .build();
        return ApiServerClient.of(built);
    }

    private static String base64(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static String readToken(Path tokenFile) {
        try {
            return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API server token file " + tokenFile, e);
        }
    }
}
