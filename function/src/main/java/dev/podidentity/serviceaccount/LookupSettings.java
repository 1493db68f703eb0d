package dev.podidentity.serviceaccount;

import java.time.Duration;

/**
 * How API lookups are cached and protected (docs/contract.md#lookups). The defaults make a
 * ServiceAccount annotated at T honoured for every pod admitted after T + 2 s, cost one GET per
 * second per busy key, and keep one admission well inside the API server's 10 s webhook timeout.
 *
 * <pre>{@code
 * LookupSettings settings = LookupSettings.defaults();
 * settings.freshFor(); // PT2S: older cached values are re-read before they are used
 * }</pre>
 *
 * @param requestTimeout the limit of one API call
 * @param maxRetries retries after the first call, only on timeouts, connection errors, 5xx and 429
 * @param retryDelay the pause before a retry
 * @param retryJitter random variation of that pause (±)
 * @param budget the longest one admission waits for a lookup; after it, stale or failure
 * @param refreshAfter age after which a used entry is re-read in the background
 * @param freshFor age up to which an entry is used as it is; older ones are re-read first
 * @param maxStale age up to which an entry is still served when the API cannot answer
 * @param cacheSize the most entries kept
 * @param breakerRequests the rolling window of the circuit breaker, in calls
 * @param breakerFailureRatio the share of failed calls in the window that opens the breaker
 * @param breakerDelay how long an open breaker refuses calls before letting one through
 */
public record LookupSettings(Duration requestTimeout, int maxRetries, Duration retryDelay, Duration retryJitter,
        Duration budget, Duration refreshAfter, Duration freshFor, Duration maxStale, long cacheSize,
        int breakerRequests, double breakerFailureRatio, Duration breakerDelay) {

    public LookupSettings {
        positive(requestTimeout, "requestTimeout");
        positive(budget, "budget");
        positive(refreshAfter, "refreshAfter");
        positive(freshFor, "freshFor");
        positive(maxStale, "maxStale");
        positive(breakerDelay, "breakerDelay");
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0, was " + maxRetries);
        }
        if (retryJitter.compareTo(retryDelay) > 0) {
            throw new IllegalArgumentException("retryJitter must not exceed retryDelay, was " + retryJitter
                    + " > " + retryDelay);
        }
        if (refreshAfter.compareTo(freshFor) > 0) {
            throw new IllegalArgumentException("refreshAfter must not exceed freshFor, was " + refreshAfter
                    + " > " + freshFor);
        }
        if (freshFor.compareTo(maxStale) > 0) {
            throw new IllegalArgumentException("freshFor must not exceed maxStale, was " + freshFor + " > " + maxStale);
        }
        if (cacheSize < 1) {
            throw new IllegalArgumentException("cacheSize must be >= 1, was " + cacheSize);
        }
        if (breakerRequests < 1 || breakerFailureRatio <= 0 || breakerFailureRatio > 1) {
            throw new IllegalArgumentException("breaker needs requests >= 1 and 0 < failure ratio <= 1, was "
                    + breakerRequests + ", " + breakerFailureRatio);
        }
    }

    public static LookupSettings defaults() {
        return new LookupSettings(Duration.ofSeconds(1), 2, Duration.ofMillis(100), Duration.ofMillis(50),
                Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(10), 10_000,
                8, 0.5, Duration.ofSeconds(5));
    }

    private static void positive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
