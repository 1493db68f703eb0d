package dev.podidentity.serviceaccount;

import io.smallrye.faulttolerance.api.CircuitBreakerState;

/**
 * What API lookups report about themselves, for metrics: cache hits, misses and stale answers,
 * each API call's duration and outcome, and circuit-breaker changes.
 *
 * <pre>{@code
 * LookupListener listener = metrics.cluster("prod-eu");
 * new ApiGuard("prod-eu", settings, LookupBulkhead.of(16, 64, settings.budget()), listener);
 * }</pre>
 */
public interface LookupListener {

    /** Reports nothing. */
    LookupListener NONE = new LookupListener() {
    };

    /** A fresh cached value answered without waiting. */
    default void cacheHit() {
    }

    /** No usable cached value: the admission waited for the API server. */
    default void cacheMiss() {
    }

    /** The API server failed and the last known value answered. */
    default void staleServed() {
    }

    /** One guarded API call (retries included) ended. */
    default void apiCall(long nanos, boolean succeeded) {
    }

    /** A call was not made: the cluster's lookups in flight were at their limit. */
    default void lookupShed() {
    }

    default void breakerState(CircuitBreakerState state) {
    }
}
