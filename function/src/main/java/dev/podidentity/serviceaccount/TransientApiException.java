package dev.podidentity.serviceaccount;

/**
 * An API call failed in a way worth retrying: a timeout, a connection error, HTTP 5xx or 429.
 *
 * <pre>{@code
 * throw new TransientApiException("GET ServiceAccount shop/api: HTTP 503 from the API server", e);
 * }</pre>
 */
final class TransientApiException extends LookupFailedException {
    private static final long serialVersionUID = 1L;

    public TransientApiException(String message, Throwable cause) {
        super(message, cause);
    }
}
