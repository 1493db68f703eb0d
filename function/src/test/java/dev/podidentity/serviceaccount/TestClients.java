package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Clients of test API servers, as a cluster's properties would make them. */
public final class TestClients {

    private TestClients() {
    }

    /**
     * The client of the API server at {@code url}, with a token file and a CA file as
     * {@code api-server-url}, {@code token-file} and {@code ca-file} give them (each may be null).
     */
    public static ApiServerClient forUrl(String url, Path tokenFile, Path caFile, boolean insecureSkipTlsVerify,
            Duration requestTimeout) {
        try {
            return new KubernetesClients(new VertxHttpClientFactory(), requestTimeout).forApiServer(
                    new ClusterAccess.ApiServer(url, tokenFile == null ? null : ClusterAccess.Token.file(tokenFile),
                            caFile == null ? null : Files.readString(caFile), insecureSkipTlsVerify));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
