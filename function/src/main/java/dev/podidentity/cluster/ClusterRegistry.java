package dev.podidentity.cluster;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;

import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.metrics.Metrics;

import io.quarkus.runtime.StartupEvent;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The clusters the function serves, found by id: {@value #DEFAULT} at {@code /mutate}, and each
 * other at {@code /clusters/<id>/mutate}, from its properties or from its Secret. Both sources give
 * the same {@link Registration}, and every cluster is served from it by the same code.
 *
 * <pre>{@code
 * Registration prod = registry.find("prod-eu").join().orElseThrow(); // at once for a declared cluster
 * AdmissionHandler handler = registry.handler(prod);                 // built on its first admission
 * }</pre>
 *
 * <p>A cluster is built ({@link ClusterFactory}: its client, cache and circuit breaker, so that one
 * cluster's answers never come from another's) on its first admission, so that start-up and memory
 * do not grow with the clusters registered; built again when its settings change; and closed after
 * {@code cluster-idle-after} without an admission, or once it is no longer registered.
 */
@ApplicationScoped
public class ClusterRegistry {

    /** The cluster served at {@code /mutate}: the one the function runs in, or the file's. */
    public static final String DEFAULT = "default";

    private static final Logger LOG = Logger.getLogger(ClusterRegistry.class);
    /** How long a replaced cluster stays open: admissions that started with it finish with it. */
    private static final Duration REPLACED_GRACE = Duration.ofSeconds(30);

    private final PropertyClusters properties;
    private final SecretClusters secrets;
    private final ClusterFactory factory;
    private final Metrics metrics;
    private final Cache<String, ServedCluster> served;
    private final ScheduledExecutorService closer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofVirtual().name("cluster-closer").factory());

    @Inject
    public ClusterRegistry(PodIdentityConfig config, ClusterFactory factory, SecretClusters secrets,
            Metrics metrics) {
        this.properties = new PropertyClusters(config);
        this.secrets = secrets.enabled() ? secrets : null;
        this.factory = factory;
        this.metrics = metrics;
        this.served = Caffeine.newBuilder()
                .expireAfterAccess(config.clusterIdleAfter())
                .scheduler(Scheduler.systemScheduler())
                .<String, ServedCluster>removalListener((id, cluster, cause) -> retire(id, cluster, cause))
                .build();
    }

    /** Warns of clusters that accept a certificate subject signed by any trusted CA. */
    void started(@Observes StartupEvent started) {
        for (String id : properties.ids()) {
            if (properties.find(id).orElseThrow().callers() instanceof CallerCredentials callers
                    && callers.certificate() != null && !callers.certificate().checksIssuer()) {
                LOG.warnf("cluster %s authenticates callers by certificate subject alone: a certificate with "
                        + "subject %s signed by any CA of the shared trust store is accepted, another cluster's CA "
                        + "too. Set %s.caller-certificate-ca-file to that cluster's CA.", id, callers.certificate(),
                        DEFAULT.equals(id) ? "pod-identity" : "pod-identity.clusters." + id);
            }
        }
    }

    /**
     * The cluster registered under an id: at once for one declared as properties; for one
     * registered as a Secret, at once when its Secret is known and fresh, else once it has been
     * read. Completes exceptionally with a {@code LookupFailedException} when the Secrets cannot be
     * read now and nothing younger than {@code cluster-secrets.max-stale} is known.
     *
     * @return empty for an id that no source registers
     */
    public CompletableFuture<Optional<Registration>> find(String id) {
        Optional<Registration> declared = properties.find(id);
        if (declared.isPresent() || DEFAULT.equals(id)) {
            if (declared.orElse(null) instanceof Registration.Broken) {
                metrics.cluster(id).registered(false);
            }
            return CompletableFuture.completedFuture(declared);
        }
        if (secrets == null || !ClusterIds.isValid(id)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return secrets.find(id).whenComplete((found, failure) -> {
            if (found == null) {
                return;
            }
            if (found.isEmpty()) {
                forget(id); // removed: its client, caches and meters go now, not when idle
            } else if (found.get() instanceof Registration.Broken) {
                metrics.cluster(id).registered(false);
            }
        });
    }

    /** Whether an id is registered as properties (the default cluster included). */
    public boolean declared(String id) {
        return properties.find(id).isPresent();
    }

    /**
     * The admission handler of a registered cluster: of the cluster served from its settings
     * (built on first use, again when they change), or one that answers every pod as its
     * {@code on-lookup-failure} says, with the reason, for a cluster that cannot be served.
     */
    public AdmissionHandler handler(Registration registration) {
        return switch (registration) {
            case Registration.Usable usable -> served(usable).handler();
            case Registration.Broken broken -> factory.unservable(broken.id(), broken.problem(),
                    broken.onLookupFailure());
        };
    }

    /**
     * The cluster served from these settings: built on first use, and again when they change. A
     * cluster whose client cannot be built is kept as such, with a handler that says why, until
     * its settings change: the failure is logged once, not at every admission.
     *
     * @return the served cluster; its {@link ServedCluster#api() api} is null when its
     *     ServiceAccounts come from a file or its client could not be built
     */
    public ServedCluster served(Registration.Usable usable) {
        ServedCluster known = served.getIfPresent(usable.id());
        if (known != null && (known.settings() == usable.settings() || known.settings().equals(usable.settings()))) {
            return known;
        }
        return served.asMap().compute(usable.id(), (id, current) -> current != null
                && current.settings().equals(usable.settings()) ? current : build(usable));
    }

    private ServedCluster build(Registration.Usable usable) {
        try {
            ServedCluster built = factory.build(usable.settings());
            metrics.cluster(usable.id()).registered(true);
            return built;
        } catch (RuntimeException e) {
            String problem = "its API server client cannot be built: " + e.getMessage();
            LOG.errorf("cluster %s cannot be served until its settings change: %s", usable.id(), problem);
            metrics.cluster(usable.id()).registered(false);
            return new ServedCluster(usable.settings(), factory.unservable(usable.id(), problem,
                    usable.settings().identity().onLookupFailure()), null);
        }
    }

    /** Closes what is held for a cluster no longer registered. */
    private void forget(String id) {
        served.invalidate(id);
        metrics.forget(id);
    }

    /**
     * A replaced cluster is closed after a grace period, so that admissions already using it end
     * normally; an idle or removed one at once, with its meters.
     */
    private void retire(String id, ServedCluster cluster, RemovalCause cause) {
        if (cluster == null) {
            return;
        }
        if (cause == RemovalCause.REPLACED) {
            LOG.infof("cluster %s: its settings changed; it is built again", id);
            closer.schedule(cluster::close, REPLACED_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        if (cause == RemovalCause.EXPIRED) {
            LOG.infof("cluster %s: no admission for a while; its client and caches are closed", id);
            metrics.forget(id);
            if (secrets != null) {
                secrets.forget(id);
            }
        }
        cluster.close();
    }

    @PreDestroy
    void close() {
        served.asMap().values().forEach(ServedCluster::close);
        closer.shutdownNow();
    }
}
