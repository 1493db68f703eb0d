package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.UncheckedIOException;

/**
 * Writes an {@link AdmissionReviewAnswer} as Jackson writes its records with
 * {@link AdmissionJson#WRITER}. Used for every answer.
 *
 * <pre>{@code
 * byte[] body = AdmissionReviewAnswerWriter.toBytes(answer);
 * // {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"…","allowed":true,
 * //  "patchType":"JSONPatch","patch":"W3sib3AiOiJhZGQi…"}}
 * }</pre>
 *
 * <p>Absent and empty values are left out ({@code uid}, {@code patchType}, {@code patch},
 * {@code warnings}, {@code status}); {@code allowed} is always written; {@code patch} is base64, as
 * the API server expects a byte array in JSON.
 */
public final class AdmissionReviewAnswerWriter {

    private AdmissionReviewAnswerWriter() {
    }

    /** The answer as the body of the HTTP response. */
    public static byte[] toBytes(AdmissionReviewAnswer answer) {
        try {
            return AdmissionJson.WRITER.writeValueAsBytes(answer);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("writing records to memory cannot fail", e);
        }
    }
}
