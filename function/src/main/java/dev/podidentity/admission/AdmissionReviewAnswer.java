package dev.podidentity.admission;

import java.util.List;

/**
 * The {@code AdmissionReview} the function answers with, written by {@link AdmissionReviewAnswerWriter}
 * ({@code patch} as base64).
 *
 * <pre>{@code
 * AdmissionReviewAnswer.of(request, Response.allowed(request.uid(), List.of()));
 * // {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"…","allowed":true}}
 * }</pre>
 *
 * @param apiVersion echoed from the request
 * @param kind echoed from the request
 * @param response the decision
 */
public record AdmissionReviewAnswer(String apiVersion, String kind, Response response) {

    public static AdmissionReviewAnswer of(AdmissionRequest request, Response response) {
        return new AdmissionReviewAnswer(request.apiVersion(), request.kind(), response);
    }

    /**
     * {@code response} of the review.
     *
     * @param uid the request's uid
     * @param allowed whether the pod may be created
     * @param patchType {@code JSONPatch} when there is a patch
     * @param patch the RFC 6902 patch (written as base64)
     * @param warnings shown to the user by {@code kubectl}
     * @param status the reason of a denial
     */
    public record Response(String uid, boolean allowed, String patchType, byte[] patch, List<String> warnings,
            Status status) {

        public static Response allowed(String uid, List<String> warnings) {
            return new Response(uid, true, null, null, warnings, null);
        }

        public static Response patched(String uid, byte[] patch, List<String> warnings) {
            return new Response(uid, true, "JSONPatch", patch, warnings, null);
        }

        public static Response denied(String uid, int code, String message) {
            return new Response(uid, false, null, null, List.of(), new Status(code, message));
        }
    }

    /**
     * The {@code metav1.Status} of a denial.
     *
     * @param code an HTTP status code the API server reports
     * @param message why the pod was denied
     */
    public record Status(int code, String message) {
    }
}
