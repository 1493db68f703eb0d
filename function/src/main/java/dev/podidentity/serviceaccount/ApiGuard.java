package dev.podidentity.serviceaccount;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.Guard;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.logging.Logger;

import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The fault-tolerance policy around every call to one cluster's API server: a bulkhead that bounds
 * the calls in flight and refuses the excess at once, a timeout per call, jittered retries only
 * for transient failures, and a circuit breaker shared by all calls to that cluster (SmallRye
 * Fault Tolerance's programmatic API, because annotations cannot be per cluster).
 *
 * <pre>{@code
 * ApiGuard guard = new ApiGuard("prod-eu", settings, LookupBulkhead.of(16, 64, settings.budget()),
 *         LookupListener.NONE);
 * String json = guard.call("GET ServiceAccount shop/api",
 *         () -> client.getOrNull("/api/v1/namespaces/shop/serviceaccounts/api"));
 * }</pre>
 *
 * <p>fabric8's own retries must be off ({@code requestRetryBackoffLimit=0}) so that this policy
 * alone decides how often the API server is called.
 */
public final class ApiGuard {

    private static final Logger LOG = Logger.getLogger(ApiGuard.class);

    private final String cluster;
    private final Guard guard;
    private final LookupListener listener;
    private final LookupBulkhead bulkhead;
    private volatile CircuitBreakerState breakerState = CircuitBreakerState.CLOSED;

    /** @param bulkhead this cluster's own: a slow cluster must not take the others' calls */
    public ApiGuard(String cluster, LookupSettings settings, LookupBulkhead bulkhead, LookupListener listener) {
        this.cluster = cluster;
        this.listener = listener;
        this.bulkhead = bulkhead;
        this.guard = Guard.create()
                .withDescription("kubernetes-api[" + cluster + "]")
                .withRetry()
                    .maxRetries(settings.maxRetries())
                    .delay(settings.retryDelay().toMillis(), ChronoUnit.MILLIS)
                    .jitter(settings.retryJitter().toMillis(), ChronoUnit.MILLIS)
                    .retryOn(List.of(TransientApiException.class, TimeoutException.class))
                    .done()
                .withCircuitBreaker()
                    .requestVolumeThreshold(settings.breakerRequests())
                    .failureRatio(settings.breakerFailureRatio())
                    .delay(settings.breakerDelay().toMillis(), ChronoUnit.MILLIS)
                    .successThreshold(1)
                    .failOn(List.of(TransientApiException.class, TimeoutException.class))
                    .onStateChange(this::breakerChanged)
                    .done()
                .withTimeout()
                    .duration(settings.requestTimeout().toMillis(), ChronoUnit.MILLIS)
                    .done()
                .build();
    }

    /**
     * Calls the API under the policy.
     *
     * @param what the call, for messages: {@code "GET ServiceAccount shop/api"}
     * @throws LookupFailedException when the call (with its retries) did not succeed
     * @throws LookupShedException when the call was not made: too many in flight already
     */
    public <T> T call(String what, Callable<T> call) {
        // Outside the retries and the breaker: a refused call is neither retried nor a failure of
        // the server, and retries hold their place instead of queueing again.
        if (!bulkhead.enter()) {
            listener.lookupShed();
            throw new LookupShedException(what + ": not sent, the API server of cluster " + cluster + " already has "
                    + bulkhead.maxConcurrent() + " lookups in flight and " + bulkhead.maxQueued() + " waiting");
        }
        try {
            return guarded(what, call);
        } finally {
            bulkhead.exit();
        }
    }

    private <T> T guarded(String what, Callable<T> call) {
        long started = System.nanoTime();
        boolean succeeded = false;
        try {
            @SuppressWarnings("unchecked")
            T result = (T) guard.call(() -> {
                try {
                    return call.call();
                } catch (KubernetesClientException e) {
                    throw classify(what, e);
                }
            }, Object.class);
            succeeded = true;
            return result;
        } catch (LookupFailedException e) {
            throw e;
        } catch (TimeoutException e) {
            throw new TransientApiException(what + ": no answer from the API server of cluster " + cluster
                    + " in time", e);
        } catch (CircuitBreakerOpenException e) {
            throw new LookupFailedException(what + ": the API server of cluster " + cluster
                    + " failed repeatedly; calls are paused (circuit breaker open)", e);
        } catch (Exception e) {
            throw new LookupFailedException(what + " failed: " + e, e);
        } finally {
            listener.apiCall(System.nanoTime() - started, succeeded);
        }
    }

    public CircuitBreakerState breakerState() {
        return breakerState;
    }

    private void breakerChanged(CircuitBreakerState state) {
        breakerState = state;
        listener.breakerState(state);
        LOG.infof("circuit breaker of the API server of cluster %s is now %s", cluster, state);
    }

    /** Retry and the breaker only for what a healthy server would not answer: never 401/403/404. */
    static LookupFailedException classify(String what, KubernetesClientException e) {
        int code = e.getCode();
        if (code == 429 || code >= 500) {
            return new TransientApiException(what + ": HTTP " + code + " from the API server", e);
        }
        if (code == 401 || code == 403) {
            return new RefusedApiException(what + ": HTTP " + code
                    + " from the API server: the function's credentials may not read it (check its RBAC)", e);
        }
        if (code > 0) {
            return new RefusedApiException(what + ": HTTP " + code + " from the API server", e);
        }
        return new TransientApiException(what + ": cannot reach the API server: " + rootCause(e), e);
    }

    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
