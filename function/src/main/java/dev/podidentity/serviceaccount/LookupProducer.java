package dev.podidentity.serviceaccount;

import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.config.PodIdentityConfig;

import io.quarkus.arc.DefaultBean;
import io.vertx.core.Vertx;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What every cluster's lookups share: their {@link LookupSettings} from {@code pod-identity.lookup.*},
 * the clock of cache ages, and the executor API calls run on.
 *
 * <pre>{@code
 * @Inject LookupSettings settings;
 * @Inject @LookupExecutor ExecutorService executor;
 * }</pre>
 *
 * <p>Each cluster's own client, guard and cache are built from these by the cluster factory, on
 * the cluster's first use.
 */
@ApplicationScoped
class LookupProducer {

    @Produces
    @Singleton
    LookupSettings lookupSettings(PodIdentityConfig config) {
        PodIdentityConfig.Lookup l = config.lookup();
        return new LookupSettings(l.requestTimeout(), l.maxRetries(), l.retryDelay(), l.retryJitter(), l.budget(),
                l.refreshAfter(), l.freshFor(), l.maxStale(), l.cacheSize(), l.breakerRequests(),
                l.breakerFailureRatio(), l.breakerDelay());
    }

    /** The clients of API servers: on the function's Vert.x, each pool as large as a cluster's lookups in flight. */
    @Produces
    @Singleton
    KubernetesClients kubernetesClients(Vertx vertx, LookupSettings settings, PodIdentityConfig config) {
        return new KubernetesClients(KubernetesClients.boundedPools(vertx, config.lookup().maxConcurrent()),
                settings.requestTimeout());
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
}
