package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Builds the {@link ApiServerClient}s the function talks to API servers with, from runtime properties
 * ({@code quarkus.kubernetes-client.*} is fixed at build time, so it cannot serve a deployed image).
 *
 * <pre>{@code
 * ApiServerClient client = KubernetesClients.forUrl("https://10.0.0.1:6443",
 *         Path.of("/var/run/secrets/token"), Path.of("/var/run/secrets/ca.crt"), false, Duration.ofSeconds(1));
 * }</pre>
 *
 * <p>Every client has fabric8's own retries off: {@link ApiGuard} alone decides how often an API
 * server is called (with fabric8's default of 10 retries, one lookup became 17 requests).
 */
public final class KubernetesClients {

    private KubernetesClients() {
    }

    /** An API server at a URL, with a bearer token re-read from its file (tokens rotate), and a CA. */
    public static ApiServerClient forUrl(String url, Path tokenFile, Path caFile, boolean insecureSkipTlsVerify,
            Duration requestTimeout) {
        ConfigBuilder config = new ConfigBuilder(Config.empty()).withMasterUrl(url);
        if (tokenFile != null) {
            config.withOauthTokenProvider(() -> readToken(tokenFile));
        }
        if (caFile != null) {
            config.withCaCertFile(caFile.toString());
        }
        config.withTrustCerts(insecureSkipTlsVerify).withDisableHostnameVerification(insecureSkipTlsVerify);
        return build(config, requestTimeout);
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

    private static String readToken(Path tokenFile) {
        try {
            return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API server token file " + tokenFile, e);
        }
    }
}
