package dev.podidentity.serviceaccount;

import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.metrics.Metrics;

import io.fabric8.kubernetes.client.Config;
import io.quarkus.arc.DefaultBean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Chooses where ServiceAccounts come from: the file named by {@code pod-identity.service-accounts-file}
 * when set (no cluster needed), else the Kubernetes API, reached through
 * {@code pod-identity.kubernetes.*} or, when unset, in-cluster credentials / {@code KUBECONFIG}.
 *
 * <pre>{@code
 * @Inject ServiceAccountSource serviceAccounts;
 * }</pre>
 *
 * <p>Nothing here is created by start-up itself: a function scaled to zero must answer its first
 * request without waiting for a connection first. {@link LookupWarmUp} builds the client on a
 * spare CPU in the background meanwhile, without connecting; otherwise the first use does.
 */
@ApplicationScoped
public class ServiceAccountSourceProducer {

    private static final Logger LOG = Logger.getLogger(ServiceAccountSourceProducer.class);

    @Produces
    @Singleton
    LookupSettings lookupSettings(PodIdentityConfig config) {
        PodIdentityConfig.Lookup l = config.lookup();
        return new LookupSettings(l.requestTimeout(), l.maxRetries(), l.retryDelay(), l.retryJitter(), l.budget(),
                l.refreshAfter(), l.freshFor(), l.maxStale(), l.cacheSize(), l.breakerRequests(),
                l.breakerFailureRatio(), l.breakerDelay());
    }

    /** The clock of cache ages; tests replace it to move time without sleeping. */
    @Produces
    @Singleton
    @DefaultBean
    Ticker ticker() {
        return Ticker.systemTicker();
    }

    /** API calls block on I/O: one virtual thread each. */
    @Produces
    @Singleton
    @LookupExecutor
    ExecutorService lookupExecutor() {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("api-lookup-", 0).factory());
    }

    void closeExecutor(@Disposes @LookupExecutor ExecutorService executor) {
        executor.shutdownNow();
    }

    @Produces
    @Singleton
    ClusterApi defaultCluster(PodIdentityConfig config, LookupSettings settings, Instance<Config> quarkusConfig,
            Metrics metrics) {
        PodIdentityConfig.Kubernetes k = config.kubernetes();
        var client = k.apiServerUrl().isPresent()
                ? KubernetesClients.forUrl(k.apiServerUrl().get(), k.tokenFile().orElse(null), k.caFile().orElse(null),
                        k.insecureSkipTlsVerify(), settings.requestTimeout())
                : KubernetesClients.from(quarkusConfig.get(), settings.requestTimeout());
        LOG.infof("ServiceAccounts come from the API server at %s", client.getConfiguration().getMasterUrl());
        return new ClusterApi("default", client, new ApiGuard("default", settings, bulkhead(config, settings),
                metrics.cluster("default")));
    }

    /** A new bulkhead for one cluster, sized by {@code pod-identity.lookup.max-concurrent} and {@code .max-queued}. */
    public static LookupBulkhead bulkhead(PodIdentityConfig config, LookupSettings settings) {
        return LookupBulkhead.of(config.lookup().maxConcurrent(), config.lookup().maxQueued(), settings.budget());
    }

    void closeCluster(@Disposes ClusterApi api) {
        api.close();
    }

    @Produces
    @ApplicationScoped
    ServiceAccountSource serviceAccountSource(PodIdentityConfig config, LookupSettings settings, Ticker ticker,
            @LookupExecutor ExecutorService executor, Instance<ClusterApi> cluster, Metrics metrics) {
        if (config.serviceAccountsFile().isPresent()) {
            LOG.infof("ServiceAccounts come from the file %s", config.serviceAccountsFile().get());
            return ServiceAccountFile.watching(config.serviceAccountsFile().get(), config.fileCheckInterval());
        }
        ClusterApi api = cluster.get();
        return new KubernetesServiceAccounts(api.client(), api.guard(), settings, ticker, executor,
                metrics.cluster("default"));
    }
}
