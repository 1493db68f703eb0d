package dev.podidentity.metrics;

import io.micrometer.core.instrument.MeterRegistry;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link ClusterMetrics} per cluster, so every meter of a cluster is registered once.
 *
 * <pre>{@code
 * @Inject Metrics metrics;
 * metrics.cluster("default").cacheHit();
 * }</pre>
 */
@ApplicationScoped
public class Metrics {

    private final MeterRegistry registry;
    private final Map<String, ClusterMetrics> clusters = new ConcurrentHashMap<>();

    public Metrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The meters of a registered cluster; made on first use. */
    public ClusterMetrics cluster(String cluster) {
        return clusters.computeIfAbsent(cluster, c -> new ClusterMetrics(c, registry));
    }

    /**
     * Removes a cluster's meters, once it is no longer registered or no longer served: clusters come
     * and go, and the meters of those gone must not grow the registry forever. A later use makes
     * them anew, from zero, as after a restart.
     */
    public void forget(String cluster) {
        ClusterMetrics removed = clusters.remove(cluster);
        if (removed != null) {
            removed.remove();
        }
    }
}
