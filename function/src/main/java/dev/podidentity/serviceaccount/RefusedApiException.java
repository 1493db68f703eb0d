package dev.podidentity.serviceaccount;

/**
 * The API server answered and refused (HTTP 401, 403 or another 4xx): retrying would get the same
 * answer, and the server is not sick, so the circuit breaker does not count it either.
 *
 * <pre>{@code
 * throw new RefusedApiException("GET ServiceAccount shop/api: HTTP 403 ...", e);
 * }</pre>
 */
final class RefusedApiException extends LookupFailedException {
    private static final long serialVersionUID = 1L;

    public RefusedApiException(String message, Throwable cause) {
        super(message, cause);
    }
}
