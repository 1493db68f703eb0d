package dev.podidentity.serviceaccount;

/**
 * A ServiceAccount could not be looked up (the API server failed, timed out or refused us); the
 * message says why, without any of the ServiceAccount's content.
 *
 * <pre>{@code
 * throw new LookupFailedException("GET payments/api: HTTP 503 from the API server", cause);
 * }</pre>
 */
public class LookupFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LookupFailedException(String message, Throwable cause) {
        super(message, cause);
    }

    public LookupFailedException(String message) {
        super(message);
    }
}
