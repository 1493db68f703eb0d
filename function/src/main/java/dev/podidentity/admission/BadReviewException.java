package dev.podidentity.admission;

/**
 * The request body is not an AdmissionReview this function can answer; it becomes HTTP 400 with
 * the message in a JSON {@code Status}.
 *
 * <pre>{@code
 * throw new BadReviewException("the AdmissionReview has no request");
 * }</pre>
 */
public final class BadReviewException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadReviewException(String message) {
        super(message, null, false, false);
    }
}
