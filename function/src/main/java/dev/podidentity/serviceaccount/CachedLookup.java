package dev.podidentity.serviceaccount;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * An on-demand API lookup with a Caffeine cache in front: what a serverless function has instead
 * of informers.
 *
 * <pre>{@code
 * CachedLookup<ServiceAccountRef, Optional<ServiceAccount>> lookup = new CachedLookup<>("ServiceAccount",
 *         serviceAccounts::find, LookupSettings.defaults(), Ticker.systemTicker(), executor);
 * Optional<ServiceAccount> sa = lookup.get(ref); // cached, coalesced, refreshed, stale-if-error
 * }</pre>
 *
 * <ul>
 *   <li><b>Coalesced</b>: concurrent lookups of one key share one fetch.</li>
 *   <li><b>Fresh</b>: a value whose fetch started more than {@code freshFor} before the lookup is
 *       fetched again before it is used — also one a refresh already in flight would bring — so a
 *       change made at T is seen by every lookup after T + freshFor; values in use are refreshed
 *       in the background after {@code refreshAfter}, so busy keys never wait.</li>
 *   <li><b>Stale if error</b>: when a fetch fails or takes longer than the budget, the last known
 *       value is served while it is younger than {@code maxStale}.</li>
 *   <li>Absence (a 404) is a value like any other: negative answers age out just as fast.</li>
 * </ul>
 *
 * @param <K> the key
 * @param <V> the fetched value
 */
public final class CachedLookup<K, V> {

    private record Stamped<V>(V value, long fetchStarted) {
    }

    private final String what;
    private final AsyncLoadingCache<K, Stamped<V>> cache;
    private final Ticker ticker;
    private final long budgetNanos;
    private final long freshForNanos;
    private final long maxStaleNanos;
    private final LookupListener listener;

    /**
     * @param what what is looked up, for messages
     * @param fetch the API call; throws {@link LookupFailedException} when it fails
     */
    public CachedLookup(String what, Function<K, V> fetch, LookupSettings settings, Ticker ticker, Executor executor) {
        this(what, fetch, settings, ticker, executor, LookupListener.NONE);
    }

    public CachedLookup(String what, Function<K, V> fetch, LookupSettings settings, Ticker ticker, Executor executor,
            LookupListener listener) {
        this(what, (key, previous) -> fetch.apply(key), settings, ticker, executor, listener);
    }

    /**
     * A lookup whose fetch is given the value it replaces (null when there is none), so that it
     * can keep that value when what it fetched has not changed.
     *
     * @param fetch the API call; throws {@link LookupFailedException} when it fails
     */
    public CachedLookup(String what, BiFunction<K, V, V> fetch, LookupSettings settings, Ticker ticker,
            Executor executor, LookupListener listener) {
        this(what, fetch, settings, null, ticker, executor, listener);
    }

    /**
     * A lookup whose fetch is given the value it replaces, and whose values also go once they have
     * not been asked for a while.
     *
     * @param idleAfter how long a value not asked for is kept, or null: until {@code maxStale}
     */
    public CachedLookup(String what, BiFunction<K, V, V> fetch, LookupSettings settings, Duration idleAfter,
            Ticker ticker, Executor executor, LookupListener listener) {
        this.what = what;
        this.listener = listener;
        this.ticker = ticker;
        this.budgetNanos = settings.budget().toNanos();
        this.freshForNanos = settings.freshFor().toNanos();
        this.maxStaleNanos = settings.maxStale().toNanos();
        Caffeine<Object, Object> builder = Caffeine.newBuilder();
        if (idleAfter != null) {
            builder.expireAfterAccess(idleAfter);
        }
        this.cache = builder
                .maximumSize(settings.cacheSize())
                .refreshAfterWrite(settings.refreshAfter())
                .expireAfterWrite(settings.maxStale())
                .ticker(ticker)
                .executor(executor)
                .buildAsync(new CacheLoader<K, Stamped<V>>() {
                    @Override
                    public Stamped<V> load(K key) {
                        long started = ticker.read();
                        return new Stamped<>(fetch.apply(key, null), started);
                    }

                    @Override
                    public Stamped<V> reload(K key, Stamped<V> previous) {
                        long started = ticker.read();
                        return new Stamped<>(fetch.apply(key, previous.value()), started);
                    }
                });
    }

    /**
     * The cached value if it is fresh now, without waiting or fetching (a value in use is still
     * refreshed in the background after {@code refreshAfter}); null otherwise.
     */
    public V getIfFresh(K key) {
        CompletableFuture<Stamped<V>> cached = cache.getIfPresent(key);
        if (cached == null || !cached.isDone() || cached.isCompletedExceptionally()) {
            return null;
        }
        Stamped<V> known = cached.join();
        if (!fresh(known, ticker.read())) {
            return null;
        }
        listener.cacheHit();
        return known.value();
    }

    /** Forgets the key's value: the next lookup fetches it. */
    public void invalidate(K key) {
        cache.synchronous().invalidate(key);
    }

    /**
     * @throws LookupFailedException when no value younger than {@code maxStale} can be had in time
     */
    public V get(K key) {
        long deadline = System.nanoTime() + budgetNanos;
        // Freshness is measured from when this lookup was asked, not from when its wait ended: a
        // change made more than freshFor before this moment must be in what it returns.
        long asked = ticker.read();
        CompletableFuture<Stamped<V>> cached = cache.getIfPresent(key);
        Stamped<V> known = await(cached != null ? cached : cache.get(key), deadline);
        if (fresh(known, asked)) {
            if (cached != null) {
                listener.cacheHit();
            } else {
                listener.cacheMiss();
            }
            return known.value();
        }
        // Too old to decide a new pod with (its ServiceAccount may just have been annotated):
        // fetch again now, sharing a fetch already in flight for this key only if it started late
        // enough. One that started long before this lookup (a background refresh, a slow API
        // server) may predate a change this lookup must see: once it has ended, a new fetch starts,
        // after this lookup was asked. The budget bounds the waits.
        listener.cacheMiss();
        Stamped<V> newest = known;
        try {
            Stamped<V> refreshed = await(cache.synchronous().refresh(key), deadline);
            while (!fresh(refreshed, asked)) {
                newest = refreshed;
                refreshed = await(cache.synchronous().refresh(key), deadline);
            }
            return refreshed.value();
        } catch (LookupFailedException e) {
            if (ticker.read() - newest.fetchStarted() <= maxStaleNanos) {
                listener.staleServed();
                return newest.value(); // stale if error: the last known answer beats none
            }
            throw e;
        }
    }

    /** Whether the value's fetch started at most {@code freshFor} before the lookup was asked. */
    private boolean fresh(Stamped<V> value, long asked) {
        return asked - value.fetchStarted() <= freshForNanos;
    }

    private Stamped<V> await(CompletableFuture<Stamped<V>> future, long deadline) {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : e.getCause();
            if (cause instanceof LookupFailedException failed) {
                throw failed;
            }
            throw new LookupFailedException(what + " lookup failed: " + cause, cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TransientApiException(what + " lookup took longer than its budget of "
                    + TimeUnit.NANOSECONDS.toMillis(budgetNanos) + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LookupFailedException(what + " lookup interrupted", e);
        }
    }
}
