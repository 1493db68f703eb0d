package dev.podidentity.cluster;

import dev.podidentity.config.PodIdentityConfig;

import java.util.Optional;

/** The default cluster as properties register it, for tests outside this package. */
public final class ClusterRegistryProbe {

    private ClusterRegistryProbe() {
    }

    public static Optional<Registration> defaultCluster(PodIdentityConfig config) {
        return new PropertyClusters(config).find(ClusterRegistry.DEFAULT);
    }
}
