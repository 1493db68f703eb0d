package dev.podidentity.admission;

/**
 * An {@code AdmissionReview} as it arrived, read in one streaming pass by
 * {@link AdmissionReviewReader} (an ObjectMapper has it from {@link AdmissionJson}); {@link #request(AdmissionReview)} says whether it is one this
 * function can answer.
 *
 * <pre>{@code
 * AdmissionReview review = objectMapper.readValue(bodyBytes, AdmissionReview.class);
 * AdmissionRequest request = AdmissionReview.request(review); // or BadReviewException (HTTP 400)
 * request.pod();                                              // the PodView, or null and request.podProblem()
 * }</pre>
 *
 * @param object whether the body is a JSON object at all
 * @param kind the review's {@code kind}, or null when it has none
 * @param request the request, or null when the review has none or it is not an object
 * @param requestProblem why {@code request} is unusable although present, or null
 */
public record AdmissionReview(boolean object, String kind, AdmissionRequest request, String requestProblem) {

    /**
     * The request of a review that is one, checked in the order a reader of the body would: a JSON
     * object, of kind AdmissionReview, with a request object.
     *
     * @param review the body as read, null for an empty body
     * @throws BadReviewException when the body is not an AdmissionReview with a request
     */
    public static AdmissionRequest request(AdmissionReview review) {
        if (review == null) {
            throw new BadReviewException("the request body is empty: expected an AdmissionReview");
        }
        if (!review.object()) {
            throw new BadReviewException("the request body is not a JSON object: expected an AdmissionReview");
        }
        if (review.kind() != null && !review.kind().equals(AdmissionRequest.DEFAULT_KIND)) {
            throw new BadReviewException("expected kind AdmissionReview, got " + review.kind());
        }
        if (review.request() == null) {
            throw new BadReviewException(
                    review.requestProblem() != null ? review.requestProblem() : "the AdmissionReview has no request");
        }
        return review.request();
    }
}
