package dev.podidentity.serviceaccount;

import com.github.benmanes.caffeine.cache.Ticker;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * ServiceAccounts from a cluster's API server: an on-demand {@code GET}, under the cluster's
 * {@link ApiGuard}, behind a {@link CachedLookup}. No informer and no list: a function that scales
 * to zero must not read the whole cluster to answer one pod.
 *
 * <pre>{@code
 * ServiceAccountSource source = new KubernetesServiceAccounts(client, guard,
 *         settings, Ticker.systemTicker(), executor);
 * source.find(new ServiceAccountRef("shop", "api"));
 * }</pre>
 */
public final class KubernetesServiceAccounts implements ServiceAccountSource {

    private final ApiServerClient client;
    private final ApiGuard guard;
    private final CachedLookup<ServiceAccountRef, Optional<ServiceAccount>> lookup;

    public KubernetesServiceAccounts(ApiServerClient client, ApiGuard guard, LookupSettings settings, Ticker ticker,
            Executor executor) {
        this(client, guard, settings, ticker, executor, LookupListener.NONE);
    }

    /** @param listener told about cache hits, misses and stale answers, for metrics */
    public KubernetesServiceAccounts(ApiServerClient client, ApiGuard guard, LookupSettings settings, Ticker ticker,
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

    /**
     * One guarded GET; a 404 is an answer (absent), not a failure. The body is read raw: the
     * function needs only the annotations ({@link ServiceAccountJson}).
     */
    Optional<ServiceAccount> fetch(ServiceAccountRef ref) {
        String what = "GET ServiceAccount " + ref;
        String json = guard.call(what,
                () -> client.getOrNull("/api/v1/namespaces/" + ref.namespace() + "/serviceaccounts/" + ref.name()));
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ServiceAccount(ref, ServiceAccountJson.annotations(json)));
        } catch (IOException e) {
            throw new LookupFailedException(what + ": the API server's answer is not a ServiceAccount: "
                    + e.getMessage(), e);
        }
    }
}
