package dev.podidentity.cluster;

import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.serviceaccount.ClusterApi;

/**
 * One cluster as the function serves it, built by {@link ClusterFactory}: the handler of its
 * admissions and, unless its ServiceAccounts come from a file, its API server.
 *
 * <pre>{@code
 * @Inject ClusterFactory factory;
 * Registration.Usable prod = (Registration.Usable) registry.find("prod-eu").join().orElseThrow();
 * try (ServedCluster served = factory.build(prod.settings())) {
 *     served.handler().handle(objectMapper.readValue(reviewBytes, AdmissionReview.class));
 * }
 * }</pre>
 *
 * @param settings what it was built from
 * @param handler answers its admissions
 * @param api its API server (client and guard), or null when its ServiceAccounts come from a file
 */
public record ServedCluster(ClusterSettings settings, AdmissionHandler handler, ClusterApi api) implements AutoCloseable {

    /** Closes its Kubernetes client, if it has one. */
    @Override
    public void close() {
        if (api != null) {
            api.close();
        }
    }
}
