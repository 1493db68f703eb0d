package dev.podidentity.serviceaccount;

/**
 * One cluster's API server as the function uses it: a client and the fault-tolerance policy that
 * every call to that server goes through (so one circuit breaker covers all of them).
 *
 * <pre>{@code
 * ClusterApi api = new ClusterApi("default", client, guard);
 * }</pre>
 *
 * @param cluster the cluster id, for messages and metrics
 * @param client the API server's client, with fabric8's own retries off
 * @param guard timeout, retries and circuit breaker
 */
public record ClusterApi(String cluster, ApiServerClient client, ApiGuard guard) implements AutoCloseable {

    @Override
    public void close() {
        client.close();
    }
}
