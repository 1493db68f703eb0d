package dev.podidentity.http;

import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.admission.AdmissionReview;
import dev.podidentity.admission.AdmissionReviewAnswer;
import dev.podidentity.cluster.ClusterRegistry;
import dev.podidentity.cluster.Registration;

import io.quarkus.funqy.Funq;

import jakarta.inject.Inject;

/**
 * The Funqy function served at {@code POST /mutate}: the Kubernetes API server's mutating
 * admission webhook for pods.
 *
 * <pre>{@code
 * curl -s -H 'Content-Type: application/json' --data @examples/irsa-pod.json localhost:8080/mutate
 * }</pre>
 *
 * <p>HTTP concerns (cluster routing, caller authentication, method, content type, size, error
 * bodies) are handled in front of it by {@link AdmissionHttp}; behaviour lives in
 * {@link AdmissionHandler}, one per cluster.
 */
public class MutateFunction {

    private final ClusterRegistry clusters;

    @Inject
    public MutateFunction(ClusterRegistry clusters) {
        this.clusters = clusters;
    }

    /**
     * Answers for the default cluster; {@link AdmissionHttp} serves the named ones. The default
     * cluster is built on its first admission, as the others are, not when the function starts.
     */
    @Funq("mutate")
    public AdmissionReviewAnswer mutate(AdmissionReview review) {
        // The default cluster is declared as properties: it is found at once, and always.
        Registration registration = clusters.find(ClusterRegistry.DEFAULT).join().orElseThrow();
        return clusters.handler(registration).handle(review);
    }
}
