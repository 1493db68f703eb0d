package dev.podidentity.admission;

import dev.podidentity.mutation.PodView;

/**
 * The parts of an {@code AdmissionReview} request this function reads, as
 * {@link AdmissionReviewReader} found them.
 *
 * <pre>{@code
 * AdmissionRequest request = AdmissionReview.request(objectMapper.readValue(body, AdmissionReview.class));
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
 * @param pod {@code request.object} read as a pod, or null when it cannot be
 * @param podProblem why {@code request.object} cannot be read as a pod (shown to the user), or null
 */
public record AdmissionRequest(String apiVersion, String kind, String uid, String operation, String kindGroup,
        String kindKind, String resource, String subResource, String namespace, PodView pod, String podProblem) {

    /** Used when a review carries no TypeMeta: the answer must carry one, or the API server rejects it. */
    static final String DEFAULT_API_VERSION = "admission.k8s.io/v1";
    static final String DEFAULT_KIND = "AdmissionReview";

    /** Only CREATE of a Pod itself (not a subresource such as {@code pods/binding}) is mutated. */
    public boolean isPodCreate() {
        boolean pod = (kindKind != null ? "Pod".equals(kindKind) : "pods".equals(resource))
                && (kindGroup == null || kindGroup.isEmpty());
        return pod && "CREATE".equals(operation) && (subResource == null || subResource.isEmpty());
    }
}
