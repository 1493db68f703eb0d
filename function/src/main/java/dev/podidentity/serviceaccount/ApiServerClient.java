package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The function's client of one API server: {@code GET} of a path, answered with the raw JSON. It is
 * fabric8's HTTP client as a {@code KubernetesClient} would build it from the same {@link Config},
 * with its authentication (bearer token, re-read token files, client certificates, exec plugins),
 * TLS and proxy settings, but without the typed client around it, and trusting a configured CA alone
 * where fabric8 would trust the JDK's public CAs too ({@link ClusterCaTrust}).
 *
 * <pre>{@code
 * @Inject KubernetesClients clients;
 * try (ApiServerClient api = clients.forApiServer(
 *         new ClusterAccess.ApiServer("https://10.0.0.1:6443", null, null, false))) {
 *     String json = api.get("/api/v1/namespaces/shop/serviceaccounts/api");
 * }
 * }</pre>
 *
 * <p>Why not fabric8's {@code KubernetesClient}: the function makes GETs of three kinds and reads
 * only a few fields of each, while building the typed client registers a handler per resource type
 * and loads its DSL, classes every process would load and keep for nothing.
 */
public final class ApiServerClient implements AutoCloseable {

    private final Config config;
    private final HttpClient http;
    private final String masterUrl;

    /**
     * A client of the API server {@code config} describes, built as fabric8 builds its clients' HTTP
     * clients, except that a configured CA is the only one trusted ({@link ClusterCaTrust}).
     */
    static ApiServerClient of(Config config, HttpClient.Factory factory) {
        return new ApiServerClient(config, ClusterCaTrust.httpClient(config, ClusterCaTrust.clusterCas(config), factory));
    }

    private ApiServerClient(Config config, HttpClient http) {
        this.config = config;
        this.http = http;
        this.masterUrl = config.getMasterUrl().replaceAll("/+$", "");
    }

    /**
     * {@code GET} of a path of the API server, as fabric8's {@code KubernetesClient.raw} makes it.
     *
     * @param path the path, from {@code /}
     * @return the body of a 2xx answer
     * @throws KubernetesClientException with the answer's status code for any other answer
     *     ({@code 404} included), with none when there was no answer (refused, timed out, TLS)
     */
    public String get(String path) {
        String url = masterUrl + path;
        HttpRequest request = http.newHttpRequestBuilder().uri(url)
                .timeout(config.getRequestTimeout(), TimeUnit.MILLISECONDS).build();
        HttpResponse<String> response;
        try {
            response = http.sendAsync(request, String.class).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KubernetesClientException("GET " + url + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new KubernetesClientException("GET " + url + ": no answer", e.getCause());
        }
        if (!response.isSuccessful()) {
            throw new KubernetesClientException("GET " + url + ": HTTP " + response.code(), response.code(), null);
        }
        return response.body();
    }

    /**
     * {@link #get(String)}, with {@code 404 Not Found} as an answer: the object does not exist.
     *
     * @return the body of a 2xx answer, null for a 404
     */
    public String getOrNull(String path) {
        try {
            return get(path);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return null;
            }
            throw e;
        }
    }

    /** The API server's URL, for messages. */
    public String masterUrl() {
        return masterUrl;
    }

    @Override
    public void close() {
        http.close();
    }
}
