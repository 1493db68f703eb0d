package dev.podidentity.serviceaccount;

/**
 * An API call was not made: the cluster's {@link LookupBulkhead} was full, so the API server is
 * slower than the demand. Not retried and not counted by the circuit breaker (the server did not
 * fail); a known value still answers, else the pod is answered as {@code on-lookup-failure} says.
 *
 * <pre>{@code
 * throw new LookupShedException("GET ServiceAccount shop/api: not sent, ...");
 * }</pre>
 */
public final class LookupShedException extends LookupFailedException {
    private static final long serialVersionUID = 1L;

    public LookupShedException(String message) {
        super(message);
    }
}
