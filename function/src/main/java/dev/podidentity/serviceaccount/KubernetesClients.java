package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClientOptions;

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
 * @Inject KubernetesClients clients;
 * String caPem = Files.readString(Path.of("/var/run/secrets/ca.crt"));
 * ApiServerClient client = clients.forApiServer(new ClusterAccess.ApiServer("https://10.0.0.1:6443",
 *         ClusterAccess.Token.file(Path.of("/var/run/secrets/token")), caPem, false));
 * }</pre>
 *
 * <p>Every client has fabric8's own retries off: {@link ApiGuard} alone decides how often an API
 * server is called. Each keeps as many connections as its cluster's lookups may have in flight
 * ({@code lookup.max-concurrent}): fabric8 asks Vert.x for a pool of 8,192, whose slots Vert.x
 * allocates when the client is made, for every cluster.
 */
public final class KubernetesClients {

    private final HttpClient.Factory http;
    private final Duration requestTimeout;

    /**
     * @param http fabric8's HTTP clients ({@link #boundedPools})
     * @param requestTimeout the limit of one API call
     */
    public KubernetesClients(HttpClient.Factory http, Duration requestTimeout) {
        this.http = http;
        this.requestTimeout = requestTimeout;
    }

    /** fabric8's Vert.x HTTP clients on this Vert.x, each with at most that many connections. */
    public static HttpClient.Factory boundedPools(Vertx vertx, int maxConnections) {
        return new BoundedPools(vertx, maxConnections);
    }

    /** fabric8's Vert.x HTTP clients, each with a connection pool of a bounded size. */
    private static final class BoundedPools extends VertxHttpClientFactory {
        private final int maxConnections;

        BoundedPools(Vertx vertx, int maxConnections) {
            super(vertx);
            this.maxConnections = maxConnections;
        }

        @Override
        protected void additionalConfig(WebClientOptions options) {
            options.setMaxPoolSize(maxConnections);
        }
    }

    /** An API server at a URL, with its bearer token (a file is re-read for every connection: tokens rotate). */
    public ApiServerClient forApiServer(ClusterAccess.ApiServer server) {
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
        return build(config);
    }

    /** An API server named by a kubeconfig, with its context. */
    public ApiServerClient fromKubeconfig(ClusterAccess.Kubeconfig kubeconfig) {
        return from(kubeconfigConfig(kubeconfig));
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
    public ApiServerClient from(Config base) {
        return build(new ConfigBuilder(base));
    }

    private ApiServerClient build(ConfigBuilder config) {
        int millis = (int) Math.min(Integer.MAX_VALUE, requestTimeout.toMillis());
        Config built = config
                .withRequestRetryBackoffLimit(0)
                .withRequestTimeout(millis)
                .withConnectionTimeout(millis)
                .build();
        return ApiServerClient.of(built, http);
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
