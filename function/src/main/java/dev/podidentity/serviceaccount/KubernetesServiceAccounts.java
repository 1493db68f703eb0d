package dev.podidentity.serviceaccount;

import com.github.benmanes.caffeine.cache.Ticker;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * ServiceAccounts from a cluster's API server: an on-demand {@code GET}, under the cluster's
 * {@link ApiGuard}, behind a {@link CachedLookup}. No informer and no list: a function that scales
 * to zero must not read the whole cluster to answer one pod.
 *
 * <pre>{@code
 * ServiceAccountSource source = new KubernetesServiceAccounts(client, new ApiGuard("default", settings),
 *         settings, Ticker.systemTicker(), executor);
 * source.find(new ServiceAccountRef("shop", "api"));
 * }</pre>
 */
public final class KubernetesServiceAccounts implements ServiceAccountSource {

    private final KubernetesClient client;
    private final ApiGuard guard;
    private final CachedLookup<ServiceAccountRef, Optional<ServiceAccount>> lookup;

    public KubernetesServiceAccounts(KubernetesClient client, ApiGuard guard, LookupSettings settings, Ticker ticker,
            Executor executor) {
        this(client, guard, settings, ticker, executor, LookupListener.NONE);
    }

    /** @param listener told about cache hits, misses and stale answers, for metrics */
    public KubernetesServiceAccounts(KubernetesClient client, ApiGuard guard, LookupSettings settings, Ticker ticker,
            Executor executor, LookupListener listener) {
        this.client = client;
        this.guard = guard;
        this.lookup = new CachedLookup<>("ServiceAccount", this::fetch, settings, ticker, executor, listener);
    }

    @Override
    public Optional<ServiceAccount> find(ServiceAccountRef ref) {
        if (!KubernetesNames.isValid(ref)) {
            // No such ServiceAccount can exist, and the name must not reach a URL. Admissions are
            // denied before this; the check stays for every other caller.
            return Optional.empty();
        }
        return lookup.get(ref);
    }

    /** One guarded GET; a 404 is an answer (absent), not a failure. */
    Optional<ServiceAccount> fetch(ServiceAccountRef ref) {
        io.fabric8.kubernetes.api.model.ServiceAccount found = guard.call("GET ServiceAccount " + ref,
                () -> client.serviceAccounts().inNamespace(ref.namespace()).withName(ref.name()).get());
        if (found == null) {
            return Optional.empty();
        }
        ObjectMeta metadata = found.getMetadata();
        return Optional.of(new ServiceAccount(ref, metadata == null ? null : metadata.getAnnotations()));
    }
}
