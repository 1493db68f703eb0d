package dev.podidentity.admission;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The parts of an {@code AdmissionReview} request this function reads.
 *
 * <pre>{@code
 * AdmissionRequest request = AdmissionRequest.read(reviewJson);
 * request.isPodCreate(); // CREATE of a pod, no subresource
 * }</pre>
 *
 * @param apiVersion the review's apiVersion, echoed in the answer
 * @param kind the review's kind, echoed in the answer
 * @param uid {@code request.uid}, copied into the answer
 * @param operation {@code request.operation}
 * @param kindGroup {@code request.kind.group}
 * @param kindKind {@code request.kind.kind}
 * @param resource {@code request.resource.resource}
 * @param subResource {@code request.subResource}
 * @param namespace {@code request.namespace}
 * @param object {@code request.object}, possibly a missing node
 */
public record AdmissionRequest(String apiVersion, String kind, String uid, String operation, String kindGroup,
        String kindKind, String resource, String subResource, String namespace, JsonNode object) {

    /** Used when a review carries no TypeMeta: the answer must carry one, or the API server rejects it. */
    static final String DEFAULT_API_VERSION = "admission.k8s.io/v1";
    static final String DEFAULT_KIND = "AdmissionReview";

    /**
     * @throws BadReviewException when the body is not an AdmissionReview with a request
     */
    public static AdmissionRequest read(JsonNode review) {
        if (review == null || review.isNull() || review.isMissingNode()) {
            throw new BadReviewException("the request body is empty: expected an AdmissionReview");
        }
        if (!review.isObject()) {
            throw new BadReviewException("the request body is not a JSON object: expected an AdmissionReview");
        }
        String kind = text(review, "kind");
        if (kind != null && !kind.equals(DEFAULT_KIND)) {
            throw new BadReviewException("expected kind AdmissionReview, got " + kind);
        }
        JsonNode request = review.get("request");
        if (request == null || request.isNull()) {
            throw new BadReviewException("the AdmissionReview has no request");
        }
        if (!request.isObject()) {
            throw new BadReviewException("request of the AdmissionReview must be an object");
        }
        JsonNode requestKind = request.path("kind");
        return new AdmissionRequest(orDefault(text(review, "apiVersion"), DEFAULT_API_VERSION),
                orDefault(kind, DEFAULT_KIND), text(request, "uid"), text(request, "operation"),
                text(requestKind, "group"), text(requestKind, "kind"), text(request.path("resource"), "resource"),
                text(request, "subResource"), text(request, "namespace"), request.path("object"));
    }

    /** Only CREATE of a Pod itself (not a subresource such as {@code pods/binding}) is mutated. */
    public boolean isPodCreate() {
        boolean pod = (kindKind != null ? "Pod".equals(kindKind) : "pods".equals(resource))
                && (kindGroup == null || kindGroup.isEmpty());
        return pod && "CREATE".equals(operation) && (subResource == null || subResource.isEmpty());
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.textValue() : null;
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }
}
